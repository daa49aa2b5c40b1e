/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburn-dialog: the burn dialog a file manager starts with the files
 * to burn. Its GApplication actions (app.burn, app.select-drive, ...) are
 * on the session bus as org.gtk.Actions, for file managers and tests.
 */
#include "cb-dialog-window.h"
#include "cb-i18n.h"
#include "cb-passphrase.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>

typedef struct {
	AdwApplication *app;
	CbDialogOptions options;
	gint passphrase_fd;
} CbDialog;

static CbDialogWindow *
cb_dialog_window(CbDialog *self)
{
	GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(self->app));
	GList *windows;

	if (window != NULL && CB_DIALOG_IS_WINDOW(window))
		return CB_DIALOG_WINDOW(window);
	/* a window hidden during a burn is not the active one */
	windows = gtk_application_get_windows(GTK_APPLICATION(self->app));
	return windows != NULL ? CB_DIALOG_WINDOW(windows->data) : NULL;
}

static CbDialogWindow *
cb_dialog_ensure_window(CbDialog *self)
{
	CbDialogWindow *window = cb_dialog_window(self);

	if (window == NULL)
		window = cb_dialog_window_new(GTK_APPLICATION(self->app), &self->options);
	return window;
}

static void
cb_dialog_on_activate(GApplication *app, CbDialog *self)
{
	gtk_window_present(GTK_WINDOW(cb_dialog_ensure_window(self)));
}

static void
cb_dialog_on_open(GApplication *app, GFile **files, gint n_files, const gchar *hint, CbDialog *self)
{
	CbDialogWindow *window = cb_dialog_ensure_window(self);

	cb_dialog_window_set_files(window, files, n_files);
	gtk_window_present(GTK_WINDOW(window));
}

static void
cb_dialog_action_burn(GSimpleAction *action, GVariant *param, gpointer data)
{
	CbDialogWindow *window = cb_dialog_window(data);

	if (window != NULL)
		cb_dialog_window_burn(window);
}

static void
cb_dialog_action_select_drive(GSimpleAction *action, GVariant *param, gpointer data)
{
	CbDialogWindow *window = cb_dialog_window(data);
	const gchar *spec = g_variant_get_string(param, NULL);

	if (window != NULL && !cb_dialog_window_select_drive(window, spec))
		g_warning("no drive %s", spec);
}

static void
cb_dialog_action_set_format(GSimpleAction *action, GVariant *param, gpointer data)
{
	CbDialogWindow *window = cb_dialog_window(data);
	const gchar *format = g_variant_get_string(param, NULL);

	if (window != NULL && !cb_dialog_window_set_format(window, format))
		g_warning("no format %s", format);
}

static void
cb_dialog_action_cancel(GSimpleAction *action, GVariant *param, gpointer data)
{
	CbDialogWindow *window = cb_dialog_window(data);

	if (window != NULL)
		cb_dialog_window_cancel(window);
}

static void
cb_dialog_action_eject(GSimpleAction *action, GVariant *param, gpointer data)
{
	CbDialogWindow *window = cb_dialog_window(data);

	if (window != NULL)
		cb_dialog_window_eject(window);
}

static void
cb_dialog_action_quit(GSimpleAction *action, GVariant *param, gpointer data)
{
	CbDialog *self = data;
	CbDialogWindow *window = cb_dialog_window(self);

	/* like closing the window: a running burn keeps the application */
	if (window != NULL)
		gtk_window_close(GTK_WINDOW(window));
}

static const GActionEntry cb_dialog_actions[] = {
	{ "burn", cb_dialog_action_burn },
	{ "select-drive", cb_dialog_action_select_drive, "s" },
	{ "set-format", cb_dialog_action_set_format, "s" },
	{ "cancel", cb_dialog_action_cancel },
	{ "eject", cb_dialog_action_eject },
	{ "quit", cb_dialog_action_quit },
};

/* runs in the process started from the command line, before it knows
 * whether it is the primary instance */
static gint
cb_dialog_on_local_options(GApplication *app, GVariantDict *options, CbDialog *self)
{
	g_autoptr(GError) error = NULL;

	if (g_variant_dict_contains(options, "version")) {
		g_print("cryptburn-dialog %s\n", CB_VERSION);
		return EXIT_SUCCESS;
	}
	if (self->passphrase_fd >= 0) {
		/* the passphrase must not travel to another instance */
		if (!g_application_register(app, NULL, &error)) {
			g_printerr("cryptburn-dialog: %s\n", error->message);
			return EXIT_FAILURE;
		}
		if (g_application_get_is_remote(app)) {
			g_printerr("cryptburn-dialog: --passphrase-fd: %s\n",
				   _("another cryptburn-dialog is open; close it first"));
			return EXIT_FAILURE;
		}
		self->options.passphrase = cb_passphrase_read_fd(self->passphrase_fd, &error);
		if (self->options.passphrase == NULL) {
			g_printerr("cryptburn-dialog: --passphrase-fd: %s\n", error->message);
			return EXIT_FAILURE;
		}
		if (!cb_passphrase_check(self->options.passphrase, FALSE, &error)) {
			g_printerr("cryptburn-dialog: --passphrase-fd: %s\n", error->message);
			return EXIT_FAILURE;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	CbDialog self = { .passphrase_fd = -1 };
	const GOptionEntry entries[] = {
		{ "pbkdf-force-iterations", 0, 0, G_OPTION_ARG_INT,
		  &self.options.pbkdf_force_iterations,
		  N_("Fixed key stretching cost, for tests and slow machines"), N_("N") },
		{ "pbkdf-memory", 0, 0, G_OPTION_ARG_INT, &self.options.pbkdf_memory,
		  N_("Argon2 memory cost in KiB, for tests and slow machines"), N_("KIB") },
		{ "passphrase-fd", 0, 0, G_OPTION_ARG_INT, &self.passphrase_fd,
		  N_("Read the passphrase from this file descriptor, for automation"), N_("FD") },
		{ "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
		{ NULL },
	};
	gint status;

	cb_i18n_init();

	self.app = adw_application_new("org.cryptburn.Dialog", G_APPLICATION_HANDLES_OPEN);
	g_application_add_main_option_entries(G_APPLICATION(self.app), entries);
	g_application_set_option_context_parameter_string(G_APPLICATION(self.app), _("FILE…"));
	g_action_map_add_action_entries(G_ACTION_MAP(self.app), cb_dialog_actions,
					G_N_ELEMENTS(cb_dialog_actions), &self);
	g_signal_connect(self.app, "handle-local-options", G_CALLBACK(cb_dialog_on_local_options),
			 &self);
	g_signal_connect(self.app, "activate", G_CALLBACK(cb_dialog_on_activate), &self);
	g_signal_connect(self.app, "open", G_CALLBACK(cb_dialog_on_open), &self);
	status = g_application_run(G_APPLICATION(self.app), argc, argv);
	g_clear_pointer(&self.options.passphrase, cb_secret_free);
	g_object_unref(self.app);
	return status;
}
