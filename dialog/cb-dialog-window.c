/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-dialog-window.h"

#include "cb-dbus-generated.h"
#include "cb-dialog-agent.h"
#include "cb-dialog-drive-chooser.h"
#include "cb-dialog-passphrase.h"
#include "cb-dialog-progress.h"
#include "cb-error.h"
#include "cb-volume-id.h"

#include <glib/gi18n.h>
#include <string.h>

#define CB_BUS_NAME "org.cryptburn.CryptBurn1"
#define CB_OBJECT_MANAGER_PATH "/org/cryptburn/CryptBurn1"
#define CB_MANAGER_PATH CB_OBJECT_MANAGER_PATH "/Manager"
#define CB_MANAGER_INTERFACE "org.cryptburn.CryptBurn1.Manager"
/* a hidden window lingers this long after its burn ended, for the
 * notification's Eject button */
#define CB_DIALOG_LINGER_S (10 * 60)
/* a service that left the bus is started again at most this often */
#define CB_DIALOG_RESTART_US (10 * G_USEC_PER_SEC)
/* files that arrive this soon after others belong to the same selection */
#define CB_DIALOG_SAME_SELECTION_US (3 * G_USEC_PER_SEC)
/* ISO 9660 volume ids hold at most 32 bytes */
#define CB_DIALOG_VOLUME_ID_MAX 32

typedef struct {
	const gchar *id;
	const gchar *label;
	gboolean weak;
} CbDialogFormat;

static const CbDialogFormat cb_dialog_formats[] = {
	{ "luks2", N_("LUKS2 (recommended)"), FALSE },
	{ "luks1", N_("LUKS1, for older cryptsetup"), FALSE },
	{ "loop-aes", N_("loop-AES, as enciso and aespipe write it"), FALSE },
	{ "plain", N_("plain dm-crypt, no header"), TRUE },
	{ "cryptoloop", N_("cryptoloop, no header"), TRUE },
};

/* discs a cancelled write leaves unusable */
static const gchar *const cb_dialog_write_once[] = {
	"cd_r", "dvd_r", "dvd_r_dl", "dvd_plus_r", "dvd_plus_r_dl", "bd_r", NULL,
};

struct _CbDialogWindow {
	AdwApplicationWindow parent_instance;

	GDBusConnection *bus;
	GDBusObjectManager *manager;
	CbDialogAgent *agent;
	GPtrArray *sources; /* gchar*, absolute paths */
	CbDialogOptions options;
	gchar *format;

	GtkWidget *stack;
	GtkWidget *burn_button;
	GtkWidget *cancel_button;
	GtkWidget *files_label;
	CbDialogDriveChooser *drives;
	GtkWidget *format_label;
	GtkWidget *format_buttons[G_N_ELEMENTS(cb_dialog_formats)];
	GtkWidget *weak_warning;
	GtkWidget *volume_entry;
	GtkWidget *verify_check;
	GtkWidget *eject_check;
	CbDialogPassphrase *passphrase;
	GtkWidget *error_label;

	CbDialogProgress *progress;

	GtkWidget *result_page;
	GtkWidget *eject_button;

	gboolean starting;
	gchar *drive_path; /* of the job's drive */
	CbDBusJob *job;
	gboolean asking_error; /* GetError is on its way for the failed job */
	gboolean hidden;
	guint last_notified; /* percent */
	guint linger_id;
	gint64 restarted_at; /* monotonic µs */
	gint64 files_at;     /* monotonic µs */
};

G_DEFINE_TYPE(CbDialogWindow, cb_dialog_window, ADW_TYPE_APPLICATION_WINDOW)

static void
cb_dialog_window_update_sensitivity(CbDialogWindow *self)
{
	gboolean ready = cb_dialog_drive_chooser_is_ready(self->drives) && self->sources->len > 0 &&
			 self->job == NULL && !self->starting &&
			 cb_dialog_passphrase_is_acceptable(self->passphrase);

	gtk_widget_set_sensitive(self->burn_button, ready);
}

gboolean
cb_dialog_window_select_drive(CbDialogWindow *self, const gchar *spec)
{
	return cb_dialog_drive_chooser_select(self->drives, spec);
}

/* ---- options ---------------------------------------------------------- */

static void
cb_dialog_window_on_format_toggled(GtkCheckButton *button, CbDialogWindow *self)
{
	const CbDialogFormat *format = g_object_get_data(G_OBJECT(button), "cb-format");
	g_autofree gchar *text = NULL;

	if (!gtk_check_button_get_active(button))
		return;
	g_free(self->format);
	self->format = g_strdup(format->id);
	text = g_strdup_printf(_("Encryption: %s"), _(format->label));
	gtk_label_set_text(GTK_LABEL(self->format_label), text);
	gtk_widget_set_visible(self->weak_warning, format->weak);
}

gboolean
cb_dialog_window_set_format(CbDialogWindow *self, const gchar *format)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cb_dialog_formats); i++) {
		if (g_strcmp0(cb_dialog_formats[i].id, format) == 0) {
			gtk_check_button_set_active(GTK_CHECK_BUTTON(self->format_buttons[i]),
						    TRUE);
			return TRUE;
		}
	}
	return FALSE;
}

/* the names of the files to burn, for the window */
static gchar *
cb_dialog_window_files_text(CbDialogWindow *self)
{
	g_autoptr(GString) text = g_string_new(NULL);

	if (self->sources->len == 0)
		return g_strdup(
		    _("Nothing to burn: start cryptburn-dialog with files or folders."));
	for (guint i = 0; i < self->sources->len; i++) {
		g_autofree gchar *name = g_path_get_basename(g_ptr_array_index(self->sources, i));
		g_string_append_printf(text, "%s%s", i > 0 ? ", " : "", name);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

void
cb_dialog_window_set_files(CbDialogWindow *self, GFile **files, gint n_files)
{
	gint64 now = g_get_monotonic_time();
	g_autoptr(GString) refused = g_string_new(NULL);
	g_autofree gchar *text = NULL;

	if (cb_dialog_window_is_burning(self))
		return;
	/* Thunar runs its command twice for one selection of folders and
	 * files, the folders apart: what comes this soon belongs to it */
	if (self->files_at == 0 || now - self->files_at > CB_DIALOG_SAME_SELECTION_US) {
		g_ptr_array_set_size(self->sources, 0);
		gtk_label_set_text(GTK_LABEL(self->error_label), "");
	}
	self->files_at = now;
	for (gint i = 0; i < n_files; i++) {
		g_autofree gchar *path = g_file_get_path(files[i]);
		if (path == NULL) {
			/* the daemon's reader opens local paths as the user */
			g_autofree gchar *uri = g_file_get_uri(files[i]);
			g_string_append_printf(refused, "%s%s", refused->len > 0 ? ", " : "", uri);
			continue;
		}
		if (!g_ptr_array_find_with_equal_func(self->sources, path, g_str_equal, NULL))
			g_ptr_array_add(self->sources, g_steal_pointer(&path));
	}
	text = cb_dialog_window_files_text(self);
	gtk_label_set_text(GTK_LABEL(self->files_label), text);
	if (refused->len > 0) {
		g_autofree gchar *msg = g_strdup_printf(
		    _("Only local files can be burned; left out: %s"), refused->str);
		gtk_label_set_text(GTK_LABEL(self->error_label), msg);
	}
	if (self->sources->len > 0) {
		/* the name the disc would get anyway, to be seen and changed */
		g_autofree gchar *volume = NULL;
		g_ptr_array_add(self->sources, NULL);
		volume = cb_volume_id_default((const gchar *const *) self->sources->pdata);
		g_ptr_array_remove_index(self->sources, self->sources->len - 1);
		gtk_editable_set_text(GTK_EDITABLE(self->volume_entry), volume);
	}
	cb_dialog_window_update_sensitivity(self);
}

/* ---- the job ---------------------------------------------------------- */

gboolean
cb_dialog_window_is_burning(CbDialogWindow *self)
{
	return self->starting || self->job != NULL;
}

static void
cb_dialog_window_notify(CbDialogWindow *self, const gchar *title, const gchar *body, gboolean eject)
{
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
	g_autoptr(GNotification) notification = g_notification_new(title);

	if (app == NULL)
		return;
	if (body != NULL && body[0] != '\0')
		g_notification_set_body(notification, body);
	if (eject)
		g_notification_add_button(notification, _("Eject"), "app.eject");
	g_application_send_notification(app, "burn", notification);
}

static void
cb_dialog_window_update_job(CbDialogWindow *self)
{
	guint percent = cb_dialog_progress_update(self->progress, self->job);

	gtk_widget_set_sensitive(self->cancel_button, cb_dbus_job_get_cancelable(self->job));
	if (self->hidden && percent >= self->last_notified + 5) {
		g_autofree gchar *title = g_strdup_printf(_("Burning… %u%%"), percent);
		self->last_notified = percent;
		cb_dialog_window_notify(self, title, NULL, FALSE);
	}
}

static gboolean
cb_dialog_window_linger_done(gpointer data)
{
	CbDialogWindow *self = data;

	self->linger_id = 0;
	gtk_window_destroy(GTK_WINDOW(self));
	return G_SOURCE_REMOVE;
}

static void
cb_dialog_window_finish(CbDialogWindow *self, gboolean success, const gchar *message)
{
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
	g_autoptr(CbDBusJob) job = g_steal_pointer(&self->job);

	g_signal_handlers_disconnect_by_data(job, self);
	cb_dialog_agent_set_passphrase(self->agent, NULL);
	adw_status_page_set_icon_name(ADW_STATUS_PAGE(self->result_page),
				      success ? "media-optical-symbolic" : "dialog-error-symbolic");
	adw_status_page_set_title(ADW_STATUS_PAGE(self->result_page),
				  success ? _("Disc ready") : _("The burn failed"));
	adw_status_page_set_description(ADW_STATUS_PAGE(self->result_page),
					success ? _("The encrypted disc was written.") : message);
	gtk_widget_set_visible(self->eject_button, TRUE);
	gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "result");
	gtk_widget_set_visible(self->cancel_button, FALSE);
	gtk_widget_set_visible(self->burn_button, FALSE);
	if (self->hidden) {
		cb_dialog_window_notify(self, success ? _("Disc ready") : _("The burn failed"),
					success ? NULL : message, success);
		self->linger_id =
		    g_timeout_add_seconds(CB_DIALOG_LINGER_S, cb_dialog_window_linger_done, self);
	}
	if (app != NULL)
		g_application_release(app);
}

static void
cb_dialog_window_on_got_error(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(CbDialogWindow) self = data;
	g_autofree gchar *message = NULL;
	g_autoptr(GError) error = NULL;

	self->asking_error = FALSE;
	if (!cb_dbus_job_call_get_error_finish(CB_DBUS_JOB(source), NULL, &message, result,
					       &error)) {
		g_dbus_error_strip_remote_error(error);
		message = g_strdup_printf(_("The service would not say why: %s"), error->message);
	}
	/* the service may have left the bus meanwhile, which ended it */
	if (self->job != NULL)
		cb_dialog_window_finish(self, FALSE, message);
}

/* the message may name the user's files: the service tells it to the
 * job's uid on request only, never in a property or signal */
static void
cb_dialog_window_fail(CbDialogWindow *self)
{
	if (self->asking_error)
		return;
	self->asking_error = TRUE;
	cb_dbus_job_call_get_error(self->job, g_variant_new("a{sv}", NULL), NULL,
				   cb_dialog_window_on_got_error, g_object_ref(self));
}

static void
cb_dialog_window_on_completed(CbDBusJob *job,
			      gboolean success,
			      const gchar *error_name,
			      CbDialogWindow *self)
{
	if (success)
		cb_dialog_window_finish(self, TRUE, NULL);
	else
		cb_dialog_window_fail(self);
}

/* Completed may have gone out before the proxy listened: the job's State
 * tells, and it keeps its error for a minute after */
static gboolean
cb_dialog_window_check_ended(CbDialogWindow *self)
{
	const gchar *state = cb_dbus_job_get_state(self->job);

	if (g_strcmp0(state, "succeeded") == 0) {
		cb_dialog_window_finish(self, TRUE, NULL);
		return TRUE;
	}
	if (g_strcmp0(state, "failed") == 0 || g_strcmp0(state, "cancelled") == 0) {
		cb_dialog_window_fail(self);
		return TRUE;
	}
	return FALSE;
}

static void
cb_dialog_window_on_job_changed(CbDBusJob *job,
				GVariant *changed,
				const gchar *const *invalidated,
				CbDialogWindow *self)
{
	cb_dialog_window_update_job(self);
}

static void
cb_dialog_window_show_error(CbDialogWindow *self, const gchar *prefix, GError *error)
{
	g_autofree gchar *text = NULL;

	g_dbus_error_strip_remote_error(error);
	text = g_strdup_printf("%s: %s", prefix, error->message);
	gtk_label_set_text(GTK_LABEL(self->error_label), text);
}

static void
cb_dialog_window_on_burn_started(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(CbDialogWindow) self = data;
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);
	const gchar *path;

	self->starting = FALSE;
	if (reply != NULL) {
		g_variant_get(reply, "(&o)", &path);
		cb_dialog_agent_set_job(self->agent, path);
		self->job = cb_dbus_job_proxy_new_sync(self->bus, G_DBUS_PROXY_FLAGS_NONE,
						       CB_BUS_NAME, path, NULL, &error);
	}
	if (self->job == NULL) {
		cb_dialog_agent_set_passphrase(self->agent, NULL);
		gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "setup");
		gtk_widget_set_visible(self->burn_button, TRUE);
		gtk_widget_set_visible(self->cancel_button, FALSE);
		cb_dialog_window_show_error(self, _("The burn could not start"), error);
		cb_dialog_window_update_sensitivity(self);
		if (self->hidden)
			gtk_window_destroy(GTK_WINDOW(self));
		if (app != NULL)
			g_application_release(app);
		return;
	}
	g_signal_connect(self->job, "completed", G_CALLBACK(cb_dialog_window_on_completed), self);
	g_signal_connect(self->job, "g-properties-changed",
			 G_CALLBACK(cb_dialog_window_on_job_changed), self);
	if (!cb_dialog_window_check_ended(self))
		cb_dialog_window_update_job(self);
}

static GVariant *
cb_dialog_window_burn_options(CbDialogWindow *self)
{
	GVariantBuilder options;
	const gchar *volume = gtk_editable_get_text(GTK_EDITABLE(self->volume_entry));

	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "format", g_variant_new_string(self->format));
	if (volume[0] != '\0')
		g_variant_builder_add(&options, "{sv}", "volume-id", g_variant_new_string(volume));
	g_variant_builder_add(&options, "{sv}", "verify",
			      g_variant_new_boolean(gtk_check_button_get_active(
				  GTK_CHECK_BUTTON(self->verify_check))));
	g_variant_builder_add(&options, "{sv}", "eject",
			      g_variant_new_boolean(gtk_check_button_get_active(
				  GTK_CHECK_BUTTON(self->eject_check))));
	g_variant_builder_add(&options, "{sv}", "agent",
			      g_variant_new_object_path(cb_dialog_agent_get_path(self->agent)));
	if (self->options.pbkdf_force_iterations > 0)
		g_variant_builder_add(&options, "{sv}", "pbkdf-force-iterations",
				      g_variant_new_uint32(self->options.pbkdf_force_iterations));
	if (self->options.pbkdf_memory > 0)
		g_variant_builder_add(&options, "{sv}", "pbkdf-memory",
				      g_variant_new_uint32(self->options.pbkdf_memory));
	return g_variant_builder_end(&options);
}

void
cb_dialog_window_burn(CbDialogWindow *self)
{
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));
	g_autoptr(GDBusInterface) manager = NULL;
	g_autoptr(GError) error = NULL;
	CbSecret *secret;

	/* as the button: nothing while it cannot be pressed, or is not shown
	 * (the result page: the window is for one burn) */
	if (!gtk_widget_is_sensitive(self->burn_button) ||
	    !gtk_widget_get_visible(self->burn_button) || self->manager == NULL)
		return;
	manager = g_dbus_object_manager_get_interface(self->manager, CB_MANAGER_PATH,
						      CB_MANAGER_INTERFACE);
	if (manager == NULL)
		return;
	secret = cb_dialog_passphrase_dup_secret(self->passphrase, &error);
	if (secret == NULL) {
		cb_dialog_window_show_error(self, _("The passphrase cannot be used"), error);
		return;
	}
	cb_dialog_agent_set_passphrase(self->agent, secret);
	cb_dialog_agent_set_job(self->agent, NULL);
	cb_dialog_passphrase_clear(self->passphrase);
	g_free(self->drive_path);
	self->drive_path = g_strdup(cb_dialog_drive_chooser_get_selected(self->drives));
	self->starting = TRUE;
	self->last_notified = 0;
	gtk_label_set_text(GTK_LABEL(self->error_label), "");
	cb_dialog_progress_reset(self->progress);
	gtk_stack_set_visible_child_name(GTK_STACK(self->stack), "progress");
	gtk_widget_set_visible(self->burn_button, FALSE);
	gtk_widget_set_visible(self->cancel_button, TRUE);
	cb_dialog_window_update_sensitivity(self);
	/* the burn runs on when the window is closed */
	if (app != NULL)
		g_application_hold(app);
	/* polkit may ask the user through the desktop's agent first */
	g_dbus_proxy_call(
	    G_DBUS_PROXY(manager), "BurnFiles",
	    g_variant_new(
		"(o@as@a{sv})", self->drive_path,
		g_variant_new_strv((const gchar *const *) self->sources->pdata, self->sources->len),
		cb_dialog_window_burn_options(self)),
	    G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, NULL,
	    cb_dialog_window_on_burn_started, g_object_ref(self));
}

static void
cb_dialog_window_on_cancelled(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(CbDialogWindow) self = data;
	g_autoptr(GError) error = NULL;

	if (!cb_dbus_job_call_cancel_finish(CB_DBUS_JOB(source), result, &error))
		cb_dialog_window_show_error(self, _("The burn could not be cancelled"), error);
}

static void
cb_dialog_window_really_cancel(CbDialogWindow *self)
{
	if (self->job == NULL)
		return;
	cb_dbus_job_call_cancel(self->job, g_variant_new("a{sv}", NULL), NULL,
				cb_dialog_window_on_cancelled, g_object_ref(self));
}

static void
cb_dialog_window_on_cancel_response(AdwMessageDialog *dialog,
				    const gchar *response,
				    CbDialogWindow *self)
{
	if (g_strcmp0(response, "stop") == 0)
		cb_dialog_window_really_cancel(self);
}

static gboolean
cb_dialog_window_spoils_disc(CbDialogWindow *self)
{
	g_autoptr(CbDBusDrive) drive =
	    cb_dialog_drive_chooser_get_drive(self->drives, self->drive_path);

	return drive != NULL && g_strcmp0(cb_dbus_job_get_phase(self->job), "writing") == 0 &&
	       g_strv_contains(cb_dialog_write_once, cb_dbus_drive_get_media(drive));
}

void
cb_dialog_window_cancel(CbDialogWindow *self)
{
	GtkWidget *dialog;

	if (self->job == NULL)
		return;
	if (!cb_dialog_window_spoils_disc(self)) {
		cb_dialog_window_really_cancel(self);
		return;
	}
	dialog = adw_message_dialog_new(GTK_WINDOW(self), _("Stop writing?"),
					_("The disc can be written only once: stopped now, it "
					  "cannot be used again."));
	adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "continue", _("_Keep Writing"),
					 "stop", _("_Stop and Spoil the Disc"), NULL);
	adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "stop",
						   ADW_RESPONSE_DESTRUCTIVE);
	adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "continue");
	adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "continue");
	g_signal_connect(dialog, "response", G_CALLBACK(cb_dialog_window_on_cancel_response), self);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void
cb_dialog_window_on_ejected(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(CbDialogWindow) self = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(source), result, &error);

	if (reply == NULL) {
		g_dbus_error_strip_remote_error(error);
		adw_status_page_set_description(ADW_STATUS_PAGE(self->result_page), error->message);
	}
}

void
cb_dialog_window_eject(CbDialogWindow *self)
{
	g_autoptr(CbDBusDrive) drive = cb_dialog_drive_chooser_get_drive(
	    self->drives, self->drive_path ?: cb_dialog_drive_chooser_get_selected(self->drives));

	if (drive == NULL)
		return;
	g_dbus_proxy_call(G_DBUS_PROXY(drive), "Eject", g_variant_new("(a{sv})", NULL),
			  G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, G_MAXINT, NULL,
			  cb_dialog_window_on_ejected, g_object_ref(self));
}

/* ---- building the window ---------------------------------------------- */

static gboolean
cb_dialog_window_on_close(GtkWindow *window, gpointer data)
{
	CbDialogWindow *self = CB_DIALOG_WINDOW(window);

	if (!cb_dialog_window_is_burning(self))
		return FALSE;
	/* the application is held: the job is followed in notifications */
	self->hidden = TRUE;
	gtk_widget_set_visible(GTK_WIDGET(self), FALSE);
	return TRUE;
}

/* GTK 4.8 gives a button with a mnemonic the accessible name "_Burn
 * Burn": screen readers get the label without its underscore */
static GtkWidget *
cb_dialog_button_new(const gchar *mnemonic)
{
	GtkWidget *button = gtk_button_new_with_mnemonic(mnemonic);
	g_autoptr(GString) name = g_string_new(NULL);

	for (const gchar *p = mnemonic; *p != '\0'; p++) {
		/* "_B" is B, "__" an underscore */
		if (*p == '_' && p[1] != '\0')
			p++;
		g_string_append_c(name, *p);
	}
	gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       name->str, -1);
	return button;
}

static GtkWidget *
cb_dialog_heading(const gchar *text)
{
	GtkWidget *label = gtk_label_new(text);

	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_widget_add_css_class(label, "heading");
	return label;
}

static GtkWidget *
cb_dialog_window_build_formats(CbDialogWindow *self)
{
	GtkWidget *expander = gtk_expander_new(_("Compatibility"));
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 3);
	GtkWidget *group = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(cb_dialog_formats); i++) {
		GtkWidget *button = gtk_check_button_new_with_label(_(cb_dialog_formats[i].label));
		g_object_set_data(G_OBJECT(button), "cb-format", (gpointer) &cb_dialog_formats[i]);
		if (group != NULL)
			gtk_check_button_set_group(GTK_CHECK_BUTTON(button),
						   GTK_CHECK_BUTTON(group));
		group = button;
		g_signal_connect(button, "toggled", G_CALLBACK(cb_dialog_window_on_format_toggled),
				 self);
		self->format_buttons[i] = button;
		gtk_box_append(GTK_BOX(box), button);
	}
	self->weak_warning =
	    gtk_label_new(_("Weak: without a header there is no salt and no key stretching, "
			    "so a guessed passphrase opens the disc at once. Use it only for "
			    "programs that read nothing else."));
	gtk_label_set_wrap(GTK_LABEL(self->weak_warning), TRUE);
	gtk_label_set_xalign(GTK_LABEL(self->weak_warning), 0);
	gtk_widget_add_css_class(self->weak_warning, "error");
	gtk_widget_set_visible(self->weak_warning, FALSE);
	gtk_box_append(GTK_BOX(box), self->weak_warning);
	gtk_expander_set_child(GTK_EXPANDER(expander), box);
	return expander;
}

static GtkWidget *
cb_dialog_window_build_setup(CbDialogWindow *self)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	GtkWidget *scroller = gtk_scrolled_window_new();

	g_object_set(box, "margin-start", 18, "margin-end", 18, "margin-top", 12, "margin-bottom",
		     18, NULL);
	gtk_box_append(GTK_BOX(box), cb_dialog_heading(_("Files")));
	self->files_label = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(self->files_label), 0);
	gtk_label_set_wrap(GTK_LABEL(self->files_label), TRUE);
	gtk_box_append(GTK_BOX(box), self->files_label);

	gtk_box_append(GTK_BOX(box), cb_dialog_heading(_("Drive")));
	self->drives = CB_DIALOG_DRIVE_CHOOSER(cb_dialog_drive_chooser_new());
	g_signal_connect_swapped(self->drives, "changed",
				 G_CALLBACK(cb_dialog_window_update_sensitivity), self);
	gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->drives));

	gtk_box_append(GTK_BOX(box), cb_dialog_heading(_("Disc")));
	self->volume_entry = gtk_entry_new();
	gtk_entry_set_max_length(GTK_ENTRY(self->volume_entry), CB_DIALOG_VOLUME_ID_MAX);
	gtk_entry_set_placeholder_text(GTK_ENTRY(self->volume_entry), _("Volume name"));
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->volume_entry),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Volume name"), -1);
	gtk_box_append(GTK_BOX(box), self->volume_entry);
	self->verify_check = gtk_check_button_new_with_label(_("Verify the disc after writing"));
	gtk_check_button_set_active(GTK_CHECK_BUTTON(self->verify_check), TRUE);
	gtk_box_append(GTK_BOX(box), self->verify_check);
	self->eject_check = gtk_check_button_new_with_label(_("Eject the disc when done"));
	gtk_box_append(GTK_BOX(box), self->eject_check);
	self->format_label = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(self->format_label), 0);
	gtk_box_append(GTK_BOX(box), self->format_label);
	gtk_box_append(GTK_BOX(box), cb_dialog_window_build_formats(self));

	gtk_box_append(GTK_BOX(box), cb_dialog_heading(_("Passphrase")));
	self->passphrase = CB_DIALOG_PASSPHRASE(cb_dialog_passphrase_new());
	g_signal_connect_swapped(self->passphrase, "changed",
				 G_CALLBACK(cb_dialog_window_update_sensitivity), self);
	gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->passphrase));

	self->error_label = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(self->error_label), 0);
	gtk_label_set_wrap(GTK_LABEL(self->error_label), TRUE);
	gtk_widget_add_css_class(self->error_label, "error");
	gtk_box_append(GTK_BOX(box), self->error_label);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroller), box);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroller), GTK_POLICY_NEVER,
				       GTK_POLICY_AUTOMATIC);
	return scroller;
}

static GtkWidget *
cb_dialog_window_build_result(CbDialogWindow *self)
{
	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	GtkWidget *close = cb_dialog_button_new(_("_Close"));

	self->result_page = adw_status_page_new();
	self->eject_button = cb_dialog_button_new(_("_Eject"));
	g_signal_connect_swapped(self->eject_button, "clicked", G_CALLBACK(cb_dialog_window_eject),
				 self);
	g_signal_connect_swapped(close, "clicked", G_CALLBACK(gtk_window_close), self);
	gtk_widget_add_css_class(close, "suggested-action");
	gtk_widget_set_halign(buttons, GTK_ALIGN_CENTER);
	gtk_box_append(GTK_BOX(buttons), self->eject_button);
	gtk_box_append(GTK_BOX(buttons), close);
	adw_status_page_set_child(ADW_STATUS_PAGE(self->result_page), buttons);
	return self->result_page;
}

static void
cb_dialog_window_dispose(GObject *object)
{
	CbDialogWindow *self = CB_DIALOG_WINDOW(object);

	g_clear_handle_id(&self->linger_id, g_source_remove);
	if (self->job != NULL)
		g_signal_handlers_disconnect_by_data(self->job, self);
	g_clear_object(&self->job);
	if (self->manager != NULL)
		g_signal_handlers_disconnect_by_data(self->manager, self);
	g_clear_object(&self->manager);
	g_clear_object(&self->agent);
	G_OBJECT_CLASS(cb_dialog_window_parent_class)->dispose(object);
}

static void
cb_dialog_window_finalize(GObject *object)
{
	CbDialogWindow *self = CB_DIALOG_WINDOW(object);

	g_clear_pointer(&self->options.passphrase, cb_secret_free);
	g_clear_object(&self->bus);
	g_ptr_array_unref(self->sources);
	g_free(self->format);
	g_free(self->drive_path);
	G_OBJECT_CLASS(cb_dialog_window_parent_class)->finalize(object);
}

static void
cb_dialog_window_class_init(CbDialogWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_dialog_window_dispose;
	object_class->finalize = cb_dialog_window_finalize;
}

static void
cb_dialog_window_init(CbDialogWindow *self)
{
	GtkWidget *content = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	GtkWidget *header = adw_header_bar_new();

	self->sources = g_ptr_array_new_with_free_func(g_free);
	gtk_window_set_title(GTK_WINDOW(self), _("Burn an Encrypted Disc"));
	gtk_window_set_default_size(GTK_WINDOW(self), 460, 680);

	self->burn_button = cb_dialog_button_new(_("_Burn"));
	gtk_widget_add_css_class(self->burn_button, "suggested-action");
	g_signal_connect_swapped(self->burn_button, "clicked", G_CALLBACK(cb_dialog_window_burn),
				 self);
	adw_header_bar_pack_end(ADW_HEADER_BAR(header), self->burn_button);
	self->cancel_button = cb_dialog_button_new(_("_Cancel Burn"));
	gtk_widget_add_css_class(self->cancel_button, "destructive-action");
	g_signal_connect_swapped(self->cancel_button, "clicked",
				 G_CALLBACK(cb_dialog_window_cancel), self);
	gtk_widget_set_visible(self->cancel_button, FALSE);
	adw_header_bar_pack_end(ADW_HEADER_BAR(header), self->cancel_button);
	gtk_box_append(GTK_BOX(content), header);

	self->stack = gtk_stack_new();
	gtk_widget_set_vexpand(self->stack, TRUE);
	gtk_stack_add_named(GTK_STACK(self->stack), cb_dialog_window_build_setup(self), "setup");
	self->progress = CB_DIALOG_PROGRESS(cb_dialog_progress_new());
	gtk_stack_add_named(GTK_STACK(self->stack), GTK_WIDGET(self->progress), "progress");
	gtk_stack_add_named(GTK_STACK(self->stack), cb_dialog_window_build_result(self), "result");
	gtk_box_append(GTK_BOX(content), self->stack);
	adw_application_window_set_content(ADW_APPLICATION_WINDOW(self), content);
	g_signal_connect(self, "close-request", G_CALLBACK(cb_dialog_window_on_close), NULL);
	cb_dialog_window_set_format(self, "luks2");
}

/* ---- the service ------------------------------------------------------ */

static void
cb_dialog_window_on_service_started(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	/* when it cannot be started, the drive list says the service cannot
	 * be reached, and it is followed again once it appears */
	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	if (reply == NULL)
		g_debug("cryptburnd was not started again: %s", error->message);
}

/* cryptburnd leaves the bus after a minute without jobs, and may be
 * restarted: its drives go and come back through the object manager, on
 * their own; the agent must answer the new unique name; a job is gone with
 * the service that ran it */
static void
cb_dialog_window_on_service_owner(CbDialogWindow *self)
{
	g_autofree gchar *owner = g_dbus_object_manager_client_get_name_owner(
	    G_DBUS_OBJECT_MANAGER_CLIENT(self->manager));
	gint64 now = g_get_monotonic_time();

	cb_dialog_agent_set_service_owner(self->agent, owner);
	if (owner != NULL) {
		gtk_label_set_text(GTK_LABEL(self->error_label), "");
		return;
	}
	if (self->job != NULL) {
		cb_dialog_window_finish(self, FALSE,
					_("The cryptburn service stopped during the burn. A "
					  "write-once disc may be unusable."));
		return;
	}
	/* the window still shows the drives: start the service again, but
	 * not in a loop when it stops as soon as it starts */
	if (self->restarted_at != 0 && now - self->restarted_at < CB_DIALOG_RESTART_US)
		return;
	self->restarted_at = now;
	g_dbus_connection_call(
	    self->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
	    "StartServiceByName", g_variant_new("(su)", CB_BUS_NAME, 0), G_VARIANT_TYPE("(u)"),
	    G_DBUS_CALL_FLAGS_NONE, -1, NULL, cb_dialog_window_on_service_started, NULL);
}

static gboolean
cb_dialog_window_connect(CbDialogWindow *self, GError **error)
{
	g_autofree gchar *owner = NULL;

	/* org.cryptburn.CryptBurn1.Error.* map back to CB_ERROR codes */
	(void) cb_error_quark();
	/* honours DBUS_SYSTEM_BUS_ADDRESS, which is how tests use a private bus */
	self->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	if (self->bus == NULL)
		return FALSE;
	/* this starts the service when it is not running */
	self->manager = cb_dbus_object_manager_client_new_sync(
	    self->bus, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, CB_BUS_NAME, CB_OBJECT_MANAGER_PATH,
	    NULL, error);
	if (self->manager == NULL)
		return FALSE;
	owner = g_dbus_object_manager_client_get_name_owner(
	    G_DBUS_OBJECT_MANAGER_CLIENT(self->manager));
	self->agent = cb_dialog_agent_new(self->bus, owner, error);
	if (self->agent == NULL) {
		g_clear_object(&self->manager);
		return FALSE;
	}
	cb_dialog_drive_chooser_set_manager(self->drives, self->manager);
	g_signal_connect_swapped(self->manager, "notify::name-owner",
				 G_CALLBACK(cb_dialog_window_on_service_owner), self);
	if (owner == NULL) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_FAILED,
		    _("the cryptburn service is not running and cannot be started"));
		return FALSE;
	}
	return TRUE;
}

CbDialogWindow *
cb_dialog_window_new(GtkApplication *app, CbDialogOptions *options)
{
	CbDialogWindow *self = g_object_new(CB_DIALOG_TYPE_WINDOW, "application", app, NULL);
	g_autoptr(GError) error = NULL;

	self->options = *options;
	options->passphrase = NULL;
	if (self->options.passphrase != NULL) {
		g_autoptr(GError) copy_error = NULL;
		CbSecret *copy =
		    cb_secret_new(cb_secret_size(self->options.passphrase), &copy_error);
		for (gsize i = 0; copy != NULL && i < cb_secret_size(self->options.passphrase); i++)
			cb_secret_append(copy, cb_secret_peek(self->options.passphrase)[i]);
		if (copy != NULL)
			cb_dialog_passphrase_set_preset(self->passphrase, copy);
	}
	if (!cb_dialog_window_connect(self, &error))
		cb_dialog_window_show_error(self, _("The cryptburn service cannot be reached"),
					    error);
	return self;
}
