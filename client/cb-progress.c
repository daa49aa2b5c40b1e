/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-progress.h"

#include "cb-term-escape.h"

#include <glib/gi18n.h>
#include <unistd.h>

struct _CbProgress {
	gchar *label;
	gboolean enabled;
	gint64 started; /* monotonic, µs */
	gboolean shown;
};

CbProgress *
cb_progress_new(const gchar *label, gboolean enabled)
{
	CbProgress *self = g_new0(CbProgress, 1);
	self->label = g_strdup(label);
	self->enabled = enabled && isatty(STDERR_FILENO);
	self->started = g_get_monotonic_time();
	return self;
}

void
cb_progress_update(CbProgress *self, guint64 done, guint64 total)
{
	gdouble elapsed = (g_get_monotonic_time() - self->started) / (gdouble) G_USEC_PER_SEC;
	gdouble rate = elapsed > 0 ? done / elapsed : 0;
	g_autofree gchar *rate_str = NULL;
	g_autofree gchar *eta_str = NULL;
	g_autofree gchar *done_str = NULL;
	g_autofree gchar *total_str = NULL;

	if (!self->enabled)
		return;
	done_str = g_format_size(done);
	total_str = g_format_size(total);
	rate_str = g_format_size((guint64) rate);
	if (rate > 0 && total > done) {
		guint64 left = (guint64) ((total - done) / rate);
		eta_str =
		    g_strdup_printf("%" G_GUINT64_FORMAT ":%02u", left / 60, (guint) (left % 60));
	} else {
		eta_str = g_strdup("--:--");
	}
	/* \33[K clears what a longer previous line left */
	g_printerr("\r%s %3.0f%%  %s / %s  %s/s  %s %s\33[K", self->label,
		   total > 0 ? 100.0 * done / total : 0.0, done_str, total_str, rate_str, _("left"),
		   eta_str);
	self->shown = TRUE;
}

void
cb_progress_show(CbProgress *self, const gchar *text)
{
	g_autofree gchar *safe = NULL;

	if (!self->enabled)
		return;
	/* the line is made of what the service says */
	safe = cb_term_escape(text, CB_TERM_ESCAPE_FIELD);
	g_printerr("\r%s\33[K", safe);
	self->shown = TRUE;
}

void
cb_progress_finish(CbProgress *self)
{
	if (self->shown)
		g_printerr("\r\33[K");
	self->shown = FALSE;
}

void
cb_progress_free(CbProgress *self)
{
	if (self == NULL)
		return;
	cb_progress_finish(self);
	g_free(self->label);
	g_free(self);
}
