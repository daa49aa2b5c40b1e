/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-dialog-progress.h"

#include <glib/gi18n.h>

struct _CbDialogProgress {
	GtkBox parent_instance;

	GtkWidget *phase_label;
	GtkWidget *bar;
	GtkWidget *detail_label;
	GtkWidget *message_label;
};

G_DEFINE_TYPE(CbDialogProgress, cb_dialog_progress, GTK_TYPE_BOX)

const gchar *
cb_dialog_progress_phase_text(const gchar *state, const gchar *phase)
{
	if (g_strcmp0(state, "queued") == 0)
		return _("Waiting for the drive");
	if (g_strcmp0(state, "waiting-for-passphrase") == 0)
		return _("Setting the passphrase");
	if (g_strcmp0(state, "waiting-for-media") == 0)
		return _("Waiting for a disc");
	if (g_strcmp0(phase, "blanking") == 0)
		return _("Blanking the disc");
	if (g_strcmp0(phase, "writing") == 0)
		return _("Writing");
	if (g_strcmp0(phase, "fixating") == 0)
		return _("Closing the disc");
	if (g_strcmp0(phase, "verifying") == 0)
		return _("Verifying what was written");
	return _("Preparing the encrypted image");
}

static void
cb_dialog_progress_append(GString *detail, const gchar *text)
{
	if (detail->len > 0)
		g_string_append(detail, " — ");
	g_string_append(detail, text);
}

/* speed, time left and which copy, as far as the job knows them */
static gchar *
cb_dialog_progress_detail(CbDBusJob *job)
{
	guint64 rate = cb_dbus_job_get_rate(job);
	guint64 end = cb_dbus_job_get_expected_end_time(job);
	g_autoptr(GString) detail = g_string_new(NULL);

	if (rate > 0) {
		g_autofree gchar *size = g_format_size(rate);
		g_autofree gchar *speed = g_strdup_printf(_("%s/s"), size);
		cb_dialog_progress_append(detail, speed);
	}
	if (end > 0) {
		gint64 left = ((gint64) end - g_get_real_time()) / G_USEC_PER_SEC;
		g_autofree gchar *time_left = NULL;
		if (left >= 60)
			time_left =
			    g_strdup_printf(_("about %d min left"), (gint) ((left + 59) / 60));
		else if (left >= 0)
			time_left = g_strdup_printf(_("%d s left"), (gint) left);
		if (time_left != NULL)
			cb_dialog_progress_append(detail, time_left);
	}
	if (cb_dbus_job_get_copies(job) > 1) {
		g_autofree gchar *copy = g_strdup_printf(
		    _("disc %u of %u"), cb_dbus_job_get_copy(job), cb_dbus_job_get_copies(job));
		cb_dialog_progress_append(detail, copy);
	}
	return g_string_free(g_steal_pointer(&detail), FALSE);
}

guint
cb_dialog_progress_update(CbDialogProgress *self, CbDBusJob *job)
{
	const gchar *state = cb_dbus_job_get_state(job);
	gdouble progress = CLAMP(cb_dbus_job_get_progress(job), 0.0, 1.0);
	guint percent = (guint) (progress * 100);
	g_autofree gchar *percent_text = g_strdup_printf("%u %%", percent);
	g_autofree gchar *detail = cb_dialog_progress_detail(job);

	gtk_label_set_text(GTK_LABEL(self->phase_label),
			   cb_dialog_progress_phase_text(state, cb_dbus_job_get_phase(job)));
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->bar), progress);
	gtk_progress_bar_set_text(GTK_PROGRESS_BAR(self->bar), percent_text);
	gtk_label_set_text(GTK_LABEL(self->detail_label), detail);
	gtk_label_set_text(GTK_LABEL(self->message_label),
			   g_strcmp0(state, "waiting-for-media") == 0 ? cb_dbus_job_get_message(job)
								      : "");
	return percent;
}

void
cb_dialog_progress_reset(CbDialogProgress *self)
{
	gtk_label_set_text(GTK_LABEL(self->phase_label), _("Starting"));
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->bar), 0);
	gtk_progress_bar_set_text(GTK_PROGRESS_BAR(self->bar), "0 %");
	gtk_label_set_text(GTK_LABEL(self->detail_label), "");
	gtk_label_set_text(GTK_LABEL(self->message_label), "");
}

static void
cb_dialog_progress_class_init(CbDialogProgressClass *klass)
{
}

static void
cb_dialog_progress_init(CbDialogProgress *self)
{
	gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
	gtk_box_set_spacing(GTK_BOX(self), 12);
	g_object_set(self, "margin-start", 24, "margin-end", 24, "valign", GTK_ALIGN_CENTER, NULL);
	self->phase_label = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->phase_label, "title-2");
	gtk_box_append(GTK_BOX(self), self->phase_label);
	self->bar = gtk_progress_bar_new();
	gtk_progress_bar_set_show_text(GTK_PROGRESS_BAR(self->bar), TRUE);
	gtk_box_append(GTK_BOX(self), self->bar);
	self->detail_label = gtk_label_new(NULL);
	gtk_widget_add_css_class(self->detail_label, "dim-label");
	gtk_box_append(GTK_BOX(self), self->detail_label);
	self->message_label = gtk_label_new(NULL);
	gtk_label_set_wrap(GTK_LABEL(self->message_label), TRUE);
	gtk_label_set_justify(GTK_LABEL(self->message_label), GTK_JUSTIFY_CENTER);
	gtk_box_append(GTK_BOX(self), self->message_label);
}

GtkWidget *
cb_dialog_progress_new(void)
{
	return g_object_new(CB_DIALOG_TYPE_PROGRESS, NULL);
}
