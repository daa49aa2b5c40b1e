/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cb_scripted_blank(): blanking or formatting a scripted disc, with the
 * refusals cb-burner.h documents. It takes tray.ini's blank-ms, reporting
 * progress through the disc's capacity meanwhile, and can be cancelled
 * until it ends (which a real drive cannot: the tests can hold a blank
 * job in progress and stop it).
 *
 * Threads: a job's worker thread, progress callbacks included.
 */
#include "cb-scripted-private.h"

#include "cb-error.h"

#include <glib/gstdio.h>

typedef enum {
	CB_BLANK_HOW_NOTHING,
	CB_BLANK_HOW_ERASE,
	CB_BLANK_HOW_FORMAT,
} CbBlankHow;

static const gchar *
cb_blank_mode_name(CbBlankMode mode)
{
	switch (mode) {
	case CB_BLANK_FAST:
		return "fast";
	case CB_BLANK_FULL:
		return "full";
	case CB_BLANK_FORMAT:
		return "format";
	}
	return "?";
}

/* what mode means for the disc, as for libburn's backend (cb-burn-blank.c) */
static gboolean
cb_blank_choose(
    CbBurn *self, CbScriptedDisc *disc, CbBlankMode mode, CbBlankHow *how, GError **error)
{
	const gchar *name = cb_scripted_disc_name(disc);
	gboolean blank = g_strcmp0(disc->status, "blank") == 0;

	if (!disc->erasable) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    "the %s in %s is not rewritable and cannot be blanked", name,
			    self->device);
		return FALSE;
	}
	if (mode == CB_BLANK_FORMAT) {
		/* a sequential DVD-RW is formatted to restricted overwrite */
		if (!disc->overwritable && g_strcmp0(disc->media, "dvd_rw") != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
				    "the %s in %s cannot be formatted; only DVD-RW, DVD+RW, "
				    "DVD-RAM and BD-RE can",
				    name, self->device);
			return FALSE;
		}
		*how = disc->overwritable && !disc->unformatted && blank ? CB_BLANK_HOW_NOTHING
									 : CB_BLANK_HOW_FORMAT;
		return TRUE;
	}
	/* an unformatted disc holds nothing; formatting it is asked by name */
	*how = blank || disc->unformatted ? CB_BLANK_HOW_NOTHING : CB_BLANK_HOW_ERASE;
	return TRUE;
}

/* the drive at work for blank-ms */
static gboolean
cb_blank_wait(CbBurn *self,
	      CbScriptedDisc *disc,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error)
{
	gint64 start = g_get_monotonic_time();
	gint64 length = (gint64) disc->blank_ms * 1000;

	for (;;) {
		gint64 elapsed = g_get_monotonic_time() - start;
		CbBurnStatus st = { .phase = CB_BURN_PHASE_WRITING, .write_mode = "" };

		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED, "blanking %s cancelled",
				    self->device);
			return FALSE;
		}
		st.bytes_done =
		    length > 0
			? (guint64) ((gdouble) disc->capacity * MIN(elapsed, length) / length)
			: disc->capacity;
		if (progress != NULL)
			progress(&st, user_data);
		if (elapsed >= length)
			return TRUE;
		g_usleep((gulong) MIN((gint64) CB_SCRIPTED_TICK_USEC, length - elapsed));
	}
}

gboolean
cb_scripted_blank(CbBurn *self,
		  CbBlankMode mode,
		  CbBurnProgressFunc progress,
		  gpointer user_data,
		  GCancellable *cancellable,
		  GError **error)
{
	g_autoptr(CbScriptedDisc) disc = cb_scripted_burn_disc(self, error);
	g_autofree gchar *image = NULL;
	CbBlankHow how = CB_BLANK_HOW_NOTHING;

	if (disc == NULL || !cb_blank_choose(self, disc, mode, &how, error))
		return FALSE;
	if (how == CB_BLANK_HOW_NOTHING) {
		g_debug("%s is blank already", self->device);
		return TRUE;
	}
	cb_scripted_tray_log(self->dir, "blank %s", cb_blank_mode_name(mode));
	if (!cb_blank_wait(self, disc, progress, user_data, cancellable, error))
		return FALSE;
	image = cb_scripted_tray_image(self->dir);
	if (g_unlink(image) != 0 && errno != ENOENT) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "cannot blank %s: %s", image,
			    g_strerror(errno));
		return FALSE;
	}
	g_free(disc->status);
	disc->status = g_strdup("blank");
	disc->used = 0;
	if (how == CB_BLANK_HOW_FORMAT) {
		disc->unformatted = FALSE;
		disc->overwritable = TRUE;
	}
	return cb_scripted_disc_save(disc, error);
}
