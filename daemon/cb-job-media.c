/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A burn job's disc: the drive grabbed with a disc that takes the image,
 * as a careful person would get one. A disc that will not do (none, one
 * already written, one too small, a rewritable one holding data without
 * the blank option) is never touched: the job releases the drive, says
 * what it needs (state waiting-for-media, Job.Message) and looks again
 * when the disc changes (udev or the backend's events, cb-drive.c), every
 * few seconds besides, until the media-timeout. A used rewritable disc is
 * blanked only with the blank option; an unformatted one is formatted, as
 * it holds nothing.
 *
 * Threads: the job's worker thread.
 */
#include "cb-job-media.h"

#include "cb-error.h"
#include "cb-media-name.h"

#include <glib/gi18n-lib.h>

/* a media query the drive's object started just before the job claimed
 * it (cb-drive.c) holds the drive for a moment */
#define CB_MEDIA_OPEN_PATIENCE_US (10 * G_USEC_PER_SEC)
#define CB_MEDIA_OPEN_RETRY_US (50 * 1000)

/* a look at the drive even without an event: a drive udev does not tell
 * of (a container without udev) still gets its disc noticed */
#define CB_MEDIA_POLL_US (5 * G_USEC_PER_SEC)

/* the largest disc of each kind a drive writes: CD-R 80 min, DVD+R DL,
 * BD-R XL with four layers */
static const struct {
	CbMediaKind kind;
	guint64 largest;
	const gchar *name;
} cb_media_kinds[] = {
	{ CB_MEDIA_KIND_CD, 737280000, "CD" },
	{ CB_MEDIA_KIND_DVD, 8547991552, "DVD" },
	{ CB_MEDIA_KIND_BD, 128001769472, "BD" },
};

typedef enum {
	CB_MEDIA_TAKE,
	CB_MEDIA_BLANK_FIRST,
	CB_MEDIA_FORMAT_FIRST,
	CB_MEDIA_WAIT,
} CbMediaVerdict;

/* "DVD+RW" for "dvd_plus_rw" */
static gchar *
cb_media_display_name(const gchar *media)
{
	if (media == NULL || media[0] == '\0')
		return g_strdup(_("disc"));
	if (g_strcmp0(media, "file") == 0)
		return g_strdup(_("image file"));
	return g_strdup(cb_media_name(media) != NULL ? cb_media_name(media) : media);
}

/* "a blank DVD or BD of at least 5.2 GB", or NULL when no disc this
 * drive writes can hold total bytes */
static gchar *
cb_media_wanted(const CbMediaInfo *media, guint64 total)
{
	guint kinds = media->writable_kinds != 0 ? media->writable_kinds : ~0u;
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autofree gchar *size = g_format_size(total);
	g_autofree gchar *list = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cb_media_kinds); i++)
		if ((kinds & cb_media_kinds[i].kind) != 0 && cb_media_kinds[i].largest >= total)
			g_ptr_array_add(names, (gpointer) cb_media_kinds[i].name);
	if (names->len == 0)
		return NULL;
	if (names->len == 1)
		list = g_strdup(g_ptr_array_index(names, 0));
	else if (names->len == 2)
		/* TRANSLATORS: "CD or DVD" */
		list = g_strdup_printf(_("%s or %s"), (gchar *) g_ptr_array_index(names, 0),
				       (gchar *) g_ptr_array_index(names, 1));
	else
		/* TRANSLATORS: "CD, DVD or BD" */
		list = g_strdup_printf(_("%s, %s or %s"), (gchar *) g_ptr_array_index(names, 0),
				       (gchar *) g_ptr_array_index(names, 1),
				       (gchar *) g_ptr_array_index(names, 2));
	/* TRANSLATORS: "a blank DVD or BD of at least 5.2 GB" */
	return g_strdup_printf(_("a blank %s of at least %s"), list, size);
}

/* what to do with the disc in the drive; why says what is wrong with it */
static CbMediaVerdict
cb_media_judge(CbJob *self, const CbMediaInfo *media, guint64 total, GError **why)
{
	const gchar *device = cb_drive_get_device(self->spec.drive);
	g_autofree gchar *name = cb_media_display_name(media->media);
	g_autofree gchar *holds = g_format_size(media->free_bytes);
	g_autofree gchar *needs = g_format_size(total);
	gboolean used =
	    g_strcmp0(media->status, "appendable") == 0 || g_strcmp0(media->status, "full") == 0;

	if (!media->present) {
		g_set_error(why, CB_ERROR, CB_ERROR_NO_MEDIA, _("There is no disc in %s."), device);
		return CB_MEDIA_WAIT;
	}
	if (media->unformatted)
		return CB_MEDIA_FORMAT_FIRST;
	if (used && media->erasable && self->spec.options->blank) {
		if (media->capacity >= total)
			return CB_MEDIA_BLANK_FIRST;
		g_free(holds);
		holds = g_format_size(media->capacity);
	} else if (used && media->erasable) {
		/* cryptsetup reads the header at the disc's start: a later
		 * session could never be opened, and overwriting is for the
		 * person to decide */
		g_set_error(why, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("The %s in %s holds data, which is kept unless the burn is asked to "
			      "blank it first (cryptburn burn --blank)."),
			    name, device);
		return CB_MEDIA_WAIT;
	} else if (used) {
		g_set_error(why, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("The %s in %s has been written already."), name, device);
		return CB_MEDIA_WAIT;
	} else if (g_strcmp0(media->status, "blank") != 0) {
		g_set_error(why, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("The %s in %s cannot be written by this drive."), name, device);
		return CB_MEDIA_WAIT;
	} else if (media->free_bytes >= total) {
		return CB_MEDIA_TAKE;
	}
	g_set_error(why, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL,
		    _("The %s in %s holds %s; the encrypted image needs %s."), name, device, holds,
		    needs);
	return CB_MEDIA_WAIT;
}

static void
cb_job_on_blank_progress(const CbBurnStatus *status, gpointer data)
{
	CbJob *self = data;
	__atomic_store_n(&self->bytes_done, status->bytes_done, __ATOMIC_RELAXED);
}

gboolean
cb_job_media_blank(CbJob *self, CbBurn *burn, CbBlankMode mode, GError **error)
{
	g_autoptr(CbMediaInfo) media = cb_burn_get_media(burn);
	guint64 done = __atomic_load_n(&self->bytes_done, __ATOMIC_RELAXED);
	guint64 total = __atomic_load_n(&self->bytes_total, __ATOMIC_RELAXED);
	gboolean ok;

	cb_job_set_phase(self, CB_JOB_PHASE_BLANKING);
	cb_job_set_bytes(self, 0, media->capacity);
	ok = cb_burn_blank(burn, mode, cb_job_on_blank_progress, self, self->cancellable, error);
	/* a burn's own progress goes on from where it was */
	if (self->spec.operation != CB_OPERATION_BLANK) {
		cb_job_set_phase(self, CB_JOB_PHASE_PREPARING);
		cb_job_set_bytes(self, done, total);
	}
	return ok;
}

/* the job gives up waiting: cancelled, or the media-timeout passed */
static void
cb_media_give_up(CbJob *self, GError *why, GError **error)
{
	if (g_cancellable_is_cancelled(self->cancellable)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("cancelled while waiting for a disc"));
		return;
	}
	g_set_error(error, CB_ERROR, why->code,
		    g_dngettext(GETTEXT_PACKAGE,
				"no suitable disc was inserted within %u second: %s",
				"no suitable disc was inserted within %u seconds: %s",
				self->spec.options->media_timeout),
		    self->spec.options->media_timeout, why->message);
}

/* why, what is wanted, and which copy, for Job.Message */
static gchar *
cb_media_message(const CbMediaInfo *media, guint64 total, guint copy, guint copies, GError *why)
{
	g_autofree gchar *wanted = cb_media_wanted(media, total);
	g_autofree gchar *need = NULL;

	/* TRANSLATORS: "Insert a blank DVD or BD of at least 5.2 GB." */
	need = g_strdup_printf(_("Insert %s."), wanted);
	if (copy > 1)
		/* TRANSLATORS: "Copy 1 of 3 is done. There is no disc in
		 * /dev/sr0. Insert a blank DVD…" */
		return g_strdup_printf(_("Copy %u of %u is done. %s %s"), copy - 1, copies,
				       why->message, need);
	return g_strdup_printf("%s %s", why->message, need);
}

CbBurn *
cb_job_open_drive(CbJob *self, GError **error)
{
	CbDrive *drive = self->spec.drive;
	gint64 deadline = g_get_monotonic_time() + CB_MEDIA_OPEN_PATIENCE_US;

	for (;;) {
		g_autoptr(GError) error_local = NULL;
		CbBurn *burn = cb_burn_open(cb_drive_get_device(drive),
					    cb_drive_get_stdio_capacity(drive), &error_local);

		if (burn != NULL)
			return burn;
		if (!g_error_matches(error_local, CB_ERROR, CB_ERROR_BUSY) ||
		    g_get_monotonic_time() >= deadline ||
		    g_cancellable_is_cancelled(self->cancellable)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_usleep(CB_MEDIA_OPEN_RETRY_US);
	}
}

CbBurn *
cb_job_media_acquire(CbJob *self, guint64 total, guint copy, guint since, GError **error)
{
	CbDrive *drive = self->spec.drive;
	const CbJobOptions *options = self->spec.options;
	gint64 deadline = g_get_monotonic_time() + (gint64) options->media_timeout * G_USEC_PER_SEC;
	/* the disc was just blanked: it must be taken now, not blanked again */
	gboolean blanked = FALSE;

	for (;;) {
		guint generation = cb_drive_get_media_generation(drive);
		g_autoptr(CbMediaInfo) media = NULL;
		g_autoptr(GError) why = NULL;
		g_autofree gchar *wanted = NULL;
		g_autofree gchar *message = NULL;
		CbMediaVerdict verdict;
		CbBurn *burn;

		burn = cb_job_open_drive(self, error);
		if (burn == NULL)
			return NULL;
		media = cb_burn_get_media(burn);
		cb_drive_report_media(drive, media);
		wanted = cb_media_wanted(media, total);
		if (wanted == NULL) {
			g_autofree gchar *size = g_format_size(total);
			cb_burn_close(burn, FALSE);
			g_set_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL,
				    _("the encrypted image needs %s, more than any disc %s writes "
				      "holds"),
				    size, cb_drive_get_device(drive));
			return NULL;
		}
		verdict = cb_media_judge(self, media, total, &why);
		/* the next copy goes on another disc: the one just written
		 * must have gone out first, whatever the drive reports */
		if (copy > 1 && media->removable && generation == since &&
		    verdict != CB_MEDIA_WAIT) {
			verdict = CB_MEDIA_WAIT;
			g_set_error(&why, CB_ERROR, CB_ERROR_NO_MEDIA,
				    _("The disc just written is still in %s."),
				    cb_drive_get_device(drive));
		}
		if (verdict == CB_MEDIA_TAKE) {
			cb_job_set_waiting_for_media(self, NULL);
			return burn;
		}
		if (verdict != CB_MEDIA_WAIT && blanked) {
			g_autofree gchar *name = cb_media_display_name(media->media);
			cb_burn_close(burn, FALSE);
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
				    _("the %s in %s still holds data after it was blanked"), name,
				    cb_drive_get_device(drive));
			return NULL;
		}
		if (verdict != CB_MEDIA_WAIT) {
			gboolean ok;

			blanked = TRUE;
			ok = cb_job_media_blank(self, burn,
						verdict == CB_MEDIA_FORMAT_FIRST ? CB_BLANK_FORMAT
										 : CB_BLANK_FAST,
						error);
			cb_burn_close(burn, FALSE);
			if (!ok)
				return NULL;
			continue;
		}
		blanked = FALSE;
		cb_burn_close(burn, FALSE);
		if (!media->removable || options->media_timeout == 0) {
			g_propagate_error(error, g_steal_pointer(&why));
			return NULL;
		}
		message = cb_media_message(media, total, copy, options->copies, why);
		cb_job_set_waiting_for_media(self, message);
		if (g_get_monotonic_time() >= deadline ||
		    g_cancellable_is_cancelled(self->cancellable)) {
			cb_media_give_up(self, why, error);
			return NULL;
		}
		cb_drive_wait_media_change(drive, generation,
					   MIN(deadline, g_get_monotonic_time() + CB_MEDIA_POLL_US),
					   self->cancellable);
	}
}
