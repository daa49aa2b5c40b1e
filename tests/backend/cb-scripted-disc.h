/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-burner.h"

G_BEGIN_DECLS

/*
 * A scripted drive's disc: the [disc] group of a tray.ini (or of
 * a queued disc waiting to go in), with the defaults a real disc of that
 * media has. Keys:
 *
 *   media          udisks' name without "optical_": cd_r, dvd_plus_rw, bd_re…
 *   status         blank | appendable | full | unsuitable (default blank)
 *   capacity       bytes (default: the media's usual size)
 *   used           bytes already on it (default 0)
 *   erasable       default true for *_rw*, dvd_ram, bd_re
 *   overwritable   default true for dvd_plus_rw*, dvd_ram, bd_re
 *   unformatted    default false
 *   speeds         kB/s, fastest first (default: a few of the media kind's)
 *   simulate       the disc can simulate a write; default true for cd_*,
 *                  dvd_r, dvd_rw
 *   write-fail-at  a write fails once it has written this many bytes
 *   write-rate     bytes per second a write is held to (default: no limit)
 *   blank-ms       how long blanking or formatting takes (default 200)
 *   write-mode     sao, tao, raw or packet, what the job reports; default
 *                  sao for cd_* and dvd_r, tao otherwise
 *
 * Threads: any; a disc is used by one thread at a time.
 */

typedef struct {
	GKeyFile *file; /* as read: saved back with the keys a burn changes */
	gchar *path;
	gchar *media;
	gchar *status;
	guint64 capacity;
	guint64 used;
	gboolean erasable;
	gboolean overwritable;
	gboolean unformatted;
	gboolean simulate;
	GArray *speeds;	      /* guint32 kB/s */
	gint64 write_fail_at; /* -1: never */
	guint64 write_rate;   /* 0: as fast as the pipe */
	guint blank_ms;
	/* "sao", "tao", "raw" or "packet", as the job reports it: a static
	 * string, since a job keeps it after the write (CbBurnStatus) */
	const gchar *write_mode;
} CbScriptedDisc;

/* reads path, which must exist; a key of the wrong type or a status we do
 * not know fails with CB_ERROR_FAILED naming the file */
CbScriptedDisc *
cb_scripted_disc_load(const gchar *path, GError **error);
void
cb_scripted_disc_free(CbScriptedDisc *self);

/* writes status, used, unformatted and overwritable back into its file,
 * atomically (a temporary file renamed over it), keeping every other key */
gboolean
cb_scripted_disc_save(CbScriptedDisc *self, GError **error);

/* what a write can use: all of an overwritable disc, which is written in
 * place from its start, the rest of a write-once disc that is not full */
guint64
cb_scripted_disc_free_bytes(const CbScriptedDisc *self);

/* CB_MEDIA_KIND_CD, _DVD or _BD from the media name; 0 when unknown */
guint
cb_scripted_disc_kind(const CbScriptedDisc *self);

/* "DVD+R", "BD-RE", … for messages; the media name when unknown */
const gchar *
cb_scripted_disc_name(const CbScriptedDisc *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbScriptedDisc, cb_scripted_disc_free)

G_END_DECLS
