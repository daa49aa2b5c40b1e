/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-burner.h"

G_BEGIN_DECLS

/*
 * What the daemon needs of a drive, as one table of functions. The
 * installed cryptburnd has exactly one implementation, libburn's
 * (cb_libburn_backend, in cb-burner.c and its cb-burn-*.c helpers). The
 * tests build a second daemon binary with a scripted implementation that
 * plays media events a file cannot show: a tray opened and closed, a disc
 * that is full, rewritable, unformatted or too small, another disc for the
 * next copy (tests/backend/). That one is never built into the installed
 * daemon.
 *
 * The rest of the daemon calls the cb_burn_* / cb_burner_* functions of
 * cb-burner.h, which go to the backend installed at start-up
 * (cb_drive_backend_install), before any thread exists.
 *
 * Threads: as documented for each cb-burner.h function; a backend may be
 * called from several job threads at once, for different devices.
 */

typedef struct _CbDriveBackend CbDriveBackend;

/* the backend saw the disc in device change (tray, insert, eject); called
 * on the main thread */
typedef void (*CbMediaEventFunc)(const gchar *device, gpointer user_data);

struct _CbDriveBackend {
	const gchar *name;

	gboolean (*init)(GError **error);
	void (*shutdown)(void);

	/* grab the drive; see cb_burn_open */
	CbBurn *(*open)(const gchar *device, guint64 stdio_capacity, GError **error);
	void (*close)(CbBurn *burn, gboolean eject);
	/* the device the handle was opened on, for messages */
	const gchar *(*device)(CbBurn *burn);
	CbMediaInfo *(*get_media)(CbBurn *burn);

	/* see cb_burn_write */
	gboolean (*write)(CbBurn *burn,
			  int fd,
			  guint64 size,
			  const CbBurnOptions *options,
			  CbBurnProgressFunc progress,
			  gpointer user_data,
			  GCancellable *cancellable,
			  GError **error);
	/* see cb_burn_blank */
	gboolean (*blank)(CbBurn *burn,
			  CbBlankMode mode,
			  CbBurnProgressFunc progress,
			  gpointer user_data,
			  GCancellable *cancellable,
			  GError **error);

	/* reading back (cb_burn_verify does the comparing): read_start
	 * readies the drive once (a test drive's page cache is dropped, so
	 * that the disc and not the cache is read), read fills buf with len
	 * bytes from offset, a multiple of 2048 */
	gboolean (*read_start)(CbBurn *burn, GError **error);
	gboolean (*read)(CbBurn *burn, guint64 offset, guint8 *buf, gsize len, GError **error);

	/* the test hook of cryptburnd --test-corrupt-after-write: flips the
	 * byte at offset of what a test drive wrote; refuses real drives */
	gboolean (*corrupt)(const gchar *device, guint64 offset, GError **error);

	/* media events this backend sees itself, for a device udev does not
	 * know (a scripted drive); NULL when udev tells of them. Returns a
	 * watch id > 0, or 0 when there is nothing to watch. */
	guint (*watch)(const gchar *device, CbMediaEventFunc func, gpointer user_data);
	void (*unwatch)(guint id);
};

/* libburn: real drives (/dev/srN) and stdio: test drives */
extern const CbDriveBackend cb_libburn_backend;

/* before cb_burner_init, on the main thread, once */
void
cb_drive_backend_install(const CbDriveBackend *backend);
const CbDriveBackend *
cb_drive_backend_get(void);

/* the backend's own media events for device, if it has any (see watch) */
guint
cb_drive_backend_watch(const gchar *device, CbMediaEventFunc func, gpointer user_data);
void
cb_drive_backend_unwatch(guint id);

G_END_DECLS
