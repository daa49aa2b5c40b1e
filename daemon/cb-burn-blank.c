/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * cb_libburn_blank(): erasing or formatting a rewritable disc.
 *
 * Threads: runs on a job's worker thread, progress callbacks included.
 * Starting the erase or format takes burner_lock (see cb-burner.c);
 * polling the drive does not.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - burn_disc_erase() blanks CD-RW and sequential DVD-RW; fast erases
 *   only the table of contents. It cannot be interrupted once started.
 * - burn_disc_format() formats DVD-RW (to restricted overwrite), DVD+RW,
 *   DVD-RAM and BD-RE; bit4 of its flag formats a formatted disc again,
 *   size mode 2 (flag bits 1-2) takes the largest size, bit6 avoids
 *   lengthy certification.
 * - Overwritable discs (DVD-RAM, restricted-overwrite DVD-RW, DVD+RW,
 *   BD-RE) are written in place and always say "blank"; what is on them
 *   is gone once their first blocks are overwritten, as every reader
 *   looks for a header or file system there.
 */

#include "cb-burner-private.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

/* more than every header a reader looks for: LUKS's binary header and
 * first JSON copy (32 KiB), loop-aes' key area (16 KiB), ISO 9660's
 * volume descriptors (from 32 KiB) */
#define CB_BLANK_ZERO_BYTES (2 * 1024 * 1024)
#define CB_FORMAT_FLAG_MAX_SIZE (2 << 1)
#define CB_FORMAT_FLAG_AGAIN (1 << 4)
#define CB_FORMAT_FLAG_QUICK (1 << 6)

typedef enum {
	CB_BLANK_HOW_ERASE,
	CB_BLANK_HOW_FORMAT,
	CB_BLANK_HOW_ZERO,
	CB_BLANK_HOW_NOTHING,
} CbBlankHow;

/* what mode means for the disc in the drive; lock held */
static gboolean
cb_blank_choose(CbBurn *self, CbBlankMode mode, CbBlankHow *how, GError **error)
{
	enum burn_disc_status status = cb_burn_disc_status(self);
	gboolean overwritable;
	gboolean unformatted;
	int profile = 0;
	char name[80] = "";

	if (!burner_status_is_present(status)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, _("no disc in %s"), self->device);
		return FALSE;
	}
	burn_disc_get_profile(self->drive, &profile, name);
	overwritable = cb_burn_profile_is_overwritable(profile);
	unformatted = overwritable && cb_burn_is_unformatted(self);
	if (mode == CB_BLANK_FORMAT) {
		if (!overwritable && profile != 0x14) {
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
				    _("the %s in %s cannot be formatted; only DVD-RW, DVD+RW, "
				      "DVD-RAM and BD-RE can"),
				    name, self->device);
			return FALSE;
		}
		*how = CB_BLANK_HOW_FORMAT;
		return TRUE;
	}
	if (overwritable) {
		/* an unformatted disc holds nothing; formatting it is asked by name */
		*how = unformatted	       ? CB_BLANK_HOW_NOTHING
		       : mode == CB_BLANK_FAST ? CB_BLANK_HOW_ZERO
					       : CB_BLANK_HOW_FORMAT;
		return TRUE;
	}
	if (!burn_disc_erasable(self->drive)) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("the disc in %s is not rewritable and cannot be blanked"),
			    self->device);
		return FALSE;
	}
	*how = status == BURN_DISC_BLANK ? CB_BLANK_HOW_NOTHING : CB_BLANK_HOW_ERASE;
	return TRUE;
}

/* the first blocks of an overwritable disc, zeroed; lock held */
static gboolean
cb_blank_zero_start(CbBurn *self, GError **error)
{
	g_autofree gchar *zeros = g_malloc0(CB_BLANK_ZERO_BYTES);
	g_autofree gchar *what = NULL;

	if (burn_random_access_write(self->drive, 0, zeros, CB_BLANK_ZERO_BYTES, 1) == 1)
		return TRUE;
	what = g_strdup_printf(_("blanking %s failed"), self->device);
	burner_set_error(error, CB_ERROR_FAILED, what);
	return FALSE;
}

/* starts the erase or format; lock held */
static void
cb_blank_start(CbBurn *self, CbBlankMode mode, CbBlankHow how)
{
	/* as for writing (cb-burn-write.c): libburn refuses a drive it still
	 * counts as busy without touching the cancel flag; raised first,
	 * the refusal fails wrote_well */
	burn_drive_cancel(self->drive);
	if (how == CB_BLANK_HOW_ERASE) {
		burn_disc_erase(self->drive, mode == CB_BLANK_FAST ? 1 : 0);
		return;
	}
	burn_disc_format(self->drive, 0,
			 CB_FORMAT_FLAG_MAX_SIZE | CB_FORMAT_FLAG_QUICK |
			     (cb_burn_is_unformatted(self) ? 0 : CB_FORMAT_FLAG_AGAIN));
}

gboolean
cb_libburn_blank(CbBurn *self,
		 CbBlankMode mode,
		 CbBurnProgressFunc progress,
		 gpointer user_data,
		 GCancellable *cancellable,
		 GError **error)
{
	struct burn_progress p = { 0 };
	guint64 capacity;
	CbBlankHow how;

	g_return_val_if_fail(self != NULL, FALSE);

	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);

		if (self->is_stdio) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("%s is a test drive writing a file; it cannot be blanked, the "
			      "next burn overwrites it"),
			    self->device);
			return FALSE;
		}
		if (!cb_blank_choose(self, mode, &how, error))
			return FALSE;
		if (how == CB_BLANK_HOW_NOTHING) {
			g_debug("%s is blank already", self->device);
			return TRUE;
		}
		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
					    _("blanking cancelled"));
			return FALSE;
		}
		if (how == CB_BLANK_HOW_ZERO)
			return cb_blank_zero_start(self, error);
		capacity = cb_burn_used_bytes(self) + cb_burn_free_bytes(self, NULL);
		burner_log_messages();
		cb_blank_start(self, mode, how);
	}

	/* libburn hands erasing and formatting to the drive and cannot
	 * interrupt it: a cancel after this point is ignored */
	while (burn_drive_get_status(self->drive, &p) != BURN_DRIVE_IDLE) {
		if (progress != NULL && p.sectors > 0) {
			CbBurnStatus st = { .phase = CB_BURN_PHASE_WRITING };
			st.bytes_done = (guint64) ((gdouble) capacity *
						   CLAMP(p.sector, 0, p.sectors) / p.sectors);
			progress(&st, user_data);
		}
		g_usleep(CB_BURN_POLL_USEC);
	}
	if (!burn_drive_wrote_well(self->drive)) {
		g_autofree gchar *what =
		    g_strdup_printf(how == CB_BLANK_HOW_FORMAT ? _("formatting %s failed")
							       : _("blanking %s failed"),
				    self->device);
		burner_set_error(error, CB_ERROR_FAILED, what);
		return FALSE;
	}
	burner_log_messages();
	return TRUE;
}
