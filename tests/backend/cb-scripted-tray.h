/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-scripted-disc.h"

G_BEGIN_DECLS

/*
 * A scripted drive is a directory, the DIR of the device "stdio:DIR", whose
 * files a test writes to play media events and reads to see what the
 * daemon did:
 *
 *   drive.ini        optional: [drive] vendor, model, kinds (a list of cd,
 *                    dvd, bd; all three when not given)
 *   tray.ini         the disc in the drive (cb-scripted-disc.h); none: the
 *                    tray is empty. A test replaces it atomically (a
 *                    temporary file in DIR renamed over it) or deletes it.
 *   disc.img         the disc's bytes, as far as written
 *   queue/NAME.ini   discs waiting to go in, taken in name order when the
 *                    drive ejects; NAME.img beside one, if any, is its bytes
 *   out/NNN.ini      discs ejected, numbered from 001, with out/NNN.img
 *                    when they held bytes
 *   events.log       a line per operation: open, close, close eject,
 *                    write SIZE, write simulate SIZE, blank fast|full|format,
 *                    read-start, corrupt OFFSET
 *
 * Threads: any; the backend has a drive open on one thread at a time.
 */

#define CB_SCRIPTED_DRIVE_INI "drive.ini"
#define CB_SCRIPTED_TRAY_INI "tray.ini"
#define CB_SCRIPTED_DISC_IMG "disc.img"

typedef struct {
	gchar *vendor;
	gchar *model;
	guint kinds; /* CbMediaKind bits */
} CbScriptedDrive;

/* DIR, when device is "stdio:DIR" and DIR a directory; NO_SUCH_DRIVE
 * otherwise */
gchar *
cb_scripted_tray_dir(const gchar *device, GError **error);

/* drive.ini, or the defaults; a file that cannot be read is warned of */
CbScriptedDrive *
cb_scripted_drive_load(const gchar *dir);
void
cb_scripted_drive_free(CbScriptedDrive *self);

/* the disc in the tray into *disc, or NULL when the tray is empty */
gboolean
cb_scripted_tray_load(const gchar *dir, CbScriptedDisc **disc, GError **error);

/* DIR/disc.img */
gchar *
cb_scripted_tray_image(const gchar *dir);

/* a line into events.log; a log that cannot be written is warned of */
void
cb_scripted_tray_log(const gchar *dir, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

/* the disc goes to out/ and the first one of queue/ comes in */
gboolean
cb_scripted_tray_eject(const gchar *dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbScriptedDrive, cb_scripted_drive_free)

G_END_DECLS
