/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * cb_burn_blank(): erasing a rewritable disc.
 *
 * Threads: runs on a job's worker thread, progress callbacks included.
 * Starting the erase takes burner_lock (see cb-burner.c); polling the
 * drive does not.
 */

#include "cb-burner-private.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

gboolean
cb_burn_blank(CbBurn *self,
	      gboolean fast,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error)
{
	struct burn_progress p = { 0 };
	guint64 capacity;

	g_return_val_if_fail(self != NULL, FALSE);

	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
		enum burn_disc_status status;

		if (self->is_stdio) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("%s is a test drive writing a file; it cannot be blanked, the "
			      "next burn overwrites it"),
			    self->device);
			return FALSE;
		}
		status = cb_burn_disc_status(self);
		if (!burner_status_is_present(status)) {
			g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, _("no disc in %s"),
				    self->device);
			return FALSE;
		}
		if (!burn_disc_erasable(self->drive)) {
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
				    _("the disc in %s is not rewritable and cannot be blanked"),
				    self->device);
			return FALSE;
		}
		/* libburn reports overwritable discs (DVD+RW, DVD-RAM, BD-RE,
		 * formatted DVD-RW) as blank; there is nothing to erase */
		if (status == BURN_DISC_BLANK) {
			g_debug("%s is blank already", self->device);
			return TRUE;
		}
		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
					    _("blanking cancelled"));
			return FALSE;
		}
		capacity = cb_burn_used_bytes(self) + cb_burn_free_bytes(self, NULL);
		burner_log_messages();
		/* as for writing (cb-burn-write.c): burn_disc_erase() refuses
		 * a drive libburn still counts as busy without touching the
		 * cancel flag; raised first, the refusal fails wrote_well */
		burn_drive_cancel(self->drive);
		burn_disc_erase(self->drive, fast ? 1 : 0);
	}

	/* libburn hands erasing to the drive and cannot interrupt it: a
	 * cancel after this point is ignored, the disc ends up blank */
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
		g_autofree gchar *what = g_strdup_printf(_("blanking %s failed"), self->device);
		burner_set_error(error, CB_ERROR_FAILED, what);
		return FALSE;
	}
	burner_log_messages();
	return TRUE;
}
