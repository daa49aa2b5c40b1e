/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-drive-backend.h"

#include <libburn/libburn.h>

G_BEGIN_DECLS

/*
 * The libburn backend, shared by cb-burner.c (init, message queue, media,
 * open and close, the backend table), cb-burn-write.c,
 * cb-burn-strategy.c, cb-burn-read.c and cb-burn-blank.c;
 * not for the rest of the daemon.
 *
 * Threads: the helpers below run on whichever thread calls them, a job's
 * worker thread except during cb_burner_init/shutdown. Those documented
 * "lock held" in cb-burner.c touch libburn's process-wide state and must
 * be called with burner_lock held (see the top of cb-burner.c).
 */

#define CB_BURN_SECTOR 2048
/* how often a write or blank looks at the drive: progress for the job,
 * and the end of the write noticed within 50 ms (a status read is cheap) */
#define CB_BURN_POLL_USEC (50 * 1000)

/* every libburn control call runs under it: grab, release, starting a
 * write or an erase, cancelling */
extern GMutex burner_lock;

struct _CbBurn {
	gchar *device;
	gchar *key; /* in burner_open_devices */
	gboolean is_stdio;
	guint64 stdio_capacity;
	struct burn_drive_info *info;
	struct burn_drive *drive;
};

/* libburn's message queue, in cb-burner.c */
void
burner_discard_messages(void);
void
burner_log_messages(void);
gchar *
burner_take_messages(gboolean *still_going, int *os_errno);
void
burner_set_error(GError **error, gint code, const gchar *what);
void
burner_set_error_reason(
    GError **error, gint code, const gchar *what, const gchar *reason, int os_errno);

/* the disc, in cb-burner.c */
gboolean
burner_status_is_present(enum burn_disc_status status);
enum burn_disc_status
cb_burn_disc_status(CbBurn *self);
guint64
cb_burn_free_bytes(CbBurn *self, struct burn_write_opts *opts);
guint64
cb_burn_used_bytes(CbBurn *self);
/* DVD-RAM, restricted-overwrite DVD-RW, DVD+RW (DL), BD-RE */
gboolean
cb_burn_profile_is_overwritable(int profile);
/* an overwritable disc that has never been formatted; lock held */
gboolean
cb_burn_is_unformatted(CbBurn *self);

/* the backend's entries (cb_libburn_backend in cb-burner.c) */
gboolean
cb_libburn_write(CbBurn *self,
		 int fd,
		 guint64 size,
		 const CbBurnOptions *options,
		 CbBurnProgressFunc progress,
		 gpointer user_data,
		 GCancellable *cancellable,
		 GError **error);
gboolean
cb_libburn_blank(CbBurn *self,
		 CbBlankMode mode,
		 CbBurnProgressFunc progress,
		 gpointer user_data,
		 GCancellable *cancellable,
		 GError **error);
gboolean
cb_libburn_read_start(CbBurn *self, GError **error);
gboolean
cb_libburn_read(CbBurn *self, guint64 offset, guint8 *buf, gsize len, GError **error);
gboolean
cb_libburn_corrupt(const gchar *device, guint64 offset, GError **error);

/* how a write is done, in cb-burn-strategy.c */
typedef struct {
	const gchar *write_mode; /* "sao", "tao", "raw", "packet", "stdio" */
	gboolean underrun_proof;
	gboolean stream_recording;
} CbBurnStrategy;

/* sets speed, simulation, stream recording, underrun protection and the
 * write type on opts for disc; fails with CB_ERROR_UNSUPPORTED_MEDIA when
 * the drive and the disc cannot write it so; lock held */
gboolean
cb_burn_strategy_choose(CbBurn *self,
			struct burn_write_opts *opts,
			struct burn_disc *disc,
			const CbBurnOptions *options,
			CbBurnStrategy *strategy,
			GError **error);

G_END_DECLS
