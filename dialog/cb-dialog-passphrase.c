/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-dialog-passphrase.h"

#include "cb-passphrase.h"

#include <glib/gi18n.h>
#include <string.h>

struct _CbDialogPassphrase {
	GtkBox parent_instance;
	GtkWidget *entry;
	GtkWidget *repeat;
	GtkWidget *level;
	GtkWidget *hint;
	CbSecret *preset;
	gboolean acceptable;
};

G_DEFINE_TYPE(CbDialogPassphrase, cb_dialog_passphrase, GTK_TYPE_BOX)

static guint cb_dialog_passphrase_changed_signal;

static void
cb_dialog_passphrase_update(CbDialogPassphrase *self)
{
	const gchar *text = gtk_editable_get_text(GTK_EDITABLE(self->entry));
	const gchar *again = gtk_editable_get_text(GTK_EDITABLE(self->repeat));
	g_autofree gchar *reason = NULL;
	gboolean acceptable = FALSE;
	gint score = 0;

	if (self->preset != NULL) {
		acceptable = TRUE;
	} else if (text[0] == '\0') {
		gtk_label_set_text(GTK_LABEL(self->hint), _("Choose a passphrase for the disc."));
	} else {
		score = cb_passphrase_score(text, &reason);
		if (score < 0)
			gtk_label_set_text(GTK_LABEL(self->hint), reason);
		else if (strcmp(text, again) != 0)
			gtk_label_set_text(GTK_LABEL(self->hint),
					   again[0] == '\0' ? _("Type the passphrase again.")
							    : _("The passphrases do not match."));
		else
			acceptable = TRUE;
		if (acceptable)
			gtk_label_set_text(GTK_LABEL(self->hint), "");
	}
	gtk_level_bar_set_value(GTK_LEVEL_BAR(self->level), MAX(score, 0));
	if (acceptable != self->acceptable) {
		self->acceptable = acceptable;
		g_signal_emit(self, cb_dialog_passphrase_changed_signal, 0);
	}
}

static void
cb_dialog_passphrase_finalize(GObject *object)
{
	CbDialogPassphrase *self = CB_DIALOG_PASSPHRASE(object);

	g_clear_pointer(&self->preset, cb_secret_free);
	G_OBJECT_CLASS(cb_dialog_passphrase_parent_class)->finalize(object);
}

static void
cb_dialog_passphrase_class_init(CbDialogPassphraseClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = cb_dialog_passphrase_finalize;
	cb_dialog_passphrase_changed_signal =
	    g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			 NULL, G_TYPE_NONE, 0);
}

static GtkWidget *
cb_dialog_passphrase_entry(CbDialogPassphrase *self, const gchar *placeholder)
{
	GtkWidget *entry = gtk_password_entry_new();

	gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(entry), TRUE);
	g_object_set(entry, "placeholder-text", placeholder, NULL);
	gtk_accessible_update_property(GTK_ACCESSIBLE(entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       placeholder, -1);
	g_signal_connect_swapped(entry, "changed", G_CALLBACK(cb_dialog_passphrase_update), self);
	gtk_box_append(GTK_BOX(self), entry);
	return entry;
}

static void
cb_dialog_passphrase_init(CbDialogPassphrase *self)
{
	gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
	gtk_box_set_spacing(GTK_BOX(self), 6);
	self->entry = cb_dialog_passphrase_entry(self, _("Passphrase"));
	self->repeat = cb_dialog_passphrase_entry(self, _("Repeat passphrase"));
	self->level = gtk_level_bar_new_for_interval(0, 100);
	gtk_level_bar_set_mode(GTK_LEVEL_BAR(self->level), GTK_LEVEL_BAR_MODE_CONTINUOUS);
	gtk_level_bar_add_offset_value(GTK_LEVEL_BAR(self->level), GTK_LEVEL_BAR_OFFSET_LOW, 30);
	gtk_level_bar_add_offset_value(GTK_LEVEL_BAR(self->level), GTK_LEVEL_BAR_OFFSET_HIGH, 60);
	gtk_level_bar_add_offset_value(GTK_LEVEL_BAR(self->level), GTK_LEVEL_BAR_OFFSET_FULL, 90);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->level), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       _("Passphrase strength"), -1);
	gtk_box_append(GTK_BOX(self), self->level);
	self->hint = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(self->hint), 0);
	gtk_label_set_wrap(GTK_LABEL(self->hint), TRUE);
	gtk_widget_add_css_class(self->hint, "dim-label");
	gtk_box_append(GTK_BOX(self), self->hint);
	cb_dialog_passphrase_update(self);
}

GtkWidget *
cb_dialog_passphrase_new(void)
{
	return g_object_new(CB_DIALOG_TYPE_PASSPHRASE, NULL);
}

gboolean
cb_dialog_passphrase_is_acceptable(CbDialogPassphrase *self)
{
	return self->acceptable;
}

static CbSecret *
cb_dialog_passphrase_copy(const guint8 *bytes, gsize size, GError **error)
{
	CbSecret *secret = cb_secret_new(MAX(size, 1), error);

	if (secret == NULL)
		return NULL;
	for (gsize i = 0; i < size; i++)
		cb_secret_append(secret, bytes[i]);
	return secret;
}

CbSecret *
cb_dialog_passphrase_dup_secret(CbDialogPassphrase *self, GError **error)
{
	const gchar *text;

	if (self->preset != NULL)
		return cb_dialog_passphrase_copy(cb_secret_peek(self->preset),
						 cb_secret_size(self->preset), error);
	/* GtkPasswordEntry keeps its text in GTK's own non-pageable memory */
	text = gtk_editable_get_text(GTK_EDITABLE(self->entry));
	if (strlen(text) > CB_PASSPHRASE_MAX) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    _("The passphrase is longer than %d bytes."), CB_PASSPHRASE_MAX);
		return NULL;
	}
	return cb_dialog_passphrase_copy((const guint8 *) text, strlen(text), error);
}

void
cb_dialog_passphrase_set_preset(CbDialogPassphrase *self, CbSecret *passphrase)
{
	g_clear_pointer(&self->preset, cb_secret_free);
	self->preset = passphrase;
	gtk_widget_set_visible(self->entry, passphrase == NULL);
	gtk_widget_set_visible(self->repeat, passphrase == NULL);
	gtk_widget_set_visible(self->level, passphrase == NULL);
	if (passphrase != NULL)
		gtk_label_set_text(GTK_LABEL(self->hint),
				   _("The passphrase was given on the command line."));
	cb_dialog_passphrase_update(self);
}

void
cb_dialog_passphrase_clear(CbDialogPassphrase *self)
{
	gtk_editable_set_text(GTK_EDITABLE(self->entry), "");
	gtk_editable_set_text(GTK_EDITABLE(self->repeat), "");
}
