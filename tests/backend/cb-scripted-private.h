/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-scripted-backend.h"
#include "cb-scripted-tray.h"

G_BEGIN_DECLS

/*
 * The scripted backend's parts, shared by cb-scripted-backend.c (open,
 * close, media, reading back, the table), cb-scripted-write.c,
 * cb-scripted-blank.c and cb-scripted-watch.c.
 *
 * Threads: a CbBurn is used by one job or query thread at a time; the
 * watch runs on the main thread.
 */

/* how often a write or a blank reports progress */
#define CB_SCRIPTED_TICK_USEC (50 * 1000)
#define CB_SCRIPTED_SECTOR 2048

struct _CbBurn {
	gchar *device;
	gchar *dir;  /* the scripted drive's directory */
	int read_fd; /* disc.img, from read_start on; -1 before */
};

/* the disc in the tray for an operation on it: NO_MEDIA when the tray is
 * empty, FAILED when tray.ini cannot be read */
CbScriptedDisc *
cb_scripted_burn_disc(CbBurn *self, GError **error);

gboolean
cb_scripted_write(CbBurn *self,
		  int fd,
		  guint64 size,
		  const CbBurnOptions *options,
		  CbBurnProgressFunc progress,
		  gpointer user_data,
		  GCancellable *cancellable,
		  GError **error);
gboolean
cb_scripted_blank(CbBurn *self,
		  CbBlankMode mode,
		  CbBurnProgressFunc progress,
		  gpointer user_data,
		  GCancellable *cancellable,
		  GError **error);

guint
cb_scripted_watch(const gchar *device, CbMediaEventFunc func, gpointer user_data);
void
cb_scripted_unwatch(guint id);

G_END_DECLS
