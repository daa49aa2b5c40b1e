/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-dialog-drive-chooser.h"

#include "cb-drive-name.h"
#include "cb-media-name.h"

#include <glib/gi18n.h>
#include <string.h>

#define CB_DRIVE_INTERFACE "org.cryptburn.CryptBurn1.Drive"

struct _CbDialogDriveChooser {
	GtkBox parent_instance;

	GDBusObjectManager *manager;
	GtkWidget *dropdown;
	GtkStringList *labels;
	GPtrArray *paths; /* gchar*, parallel to labels */
	GtkWidget *media_label;
	/* the drive chosen last: selected again when it comes back, as with a
	 * restarted service, whose drives are added again in any order */
	gchar *chosen;
	gboolean updating;
};

G_DEFINE_TYPE(CbDialogDriveChooser, cb_dialog_drive_chooser, GTK_TYPE_BOX)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint cb_dialog_drive_chooser_signals[N_SIGNALS];

CbDBusDrive *
cb_dialog_drive_chooser_get_drive(CbDialogDriveChooser *self, const gchar *path)
{
	if (self->manager == NULL || path == NULL)
		return NULL;
	return CB_DBUS_DRIVE(
	    g_dbus_object_manager_get_interface(self->manager, path, CB_DRIVE_INTERFACE));
}

const gchar *
cb_dialog_drive_chooser_get_selected(CbDialogDriveChooser *self)
{
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->dropdown));

	if (i == GTK_INVALID_LIST_POSITION || i >= self->paths->len)
		return NULL;
	return g_ptr_array_index(self->paths, i);
}

gboolean
cb_dialog_drive_chooser_is_ready(CbDialogDriveChooser *self)
{
	g_autoptr(CbDBusDrive) drive =
	    cb_dialog_drive_chooser_get_drive(self, cb_dialog_drive_chooser_get_selected(self));

	return drive != NULL && !cb_dbus_drive_get_busy(drive);
}

static gchar *
cb_dialog_drive_label(CbDBusDrive *drive)
{
	g_autofree gchar *name =
	    cb_drive_product_name(cb_dbus_drive_get_vendor(drive), cb_dbus_drive_get_model(drive));

	if (name == NULL)
		return g_strdup(cb_dbus_drive_get_device(drive));
	return g_strdup_printf("%s (%s)", name, cb_dbus_drive_get_device(drive));
}

/* udisks' media names, as a person reads them */
static const gchar *
cb_dialog_media_name(const gchar *media)
{
	if (g_strcmp0(media, "file") == 0)
		return _("test drive");
	return cb_media_name(media) != NULL ? cb_media_name(media) : media;
}

static gchar *
cb_dialog_media_text(CbDBusDrive *drive)
{
	const gchar *status = cb_dbus_drive_get_media_status(drive);
	const gchar *media = cb_dialog_media_name(cb_dbus_drive_get_media(drive));
	g_autofree gchar *free_text = g_format_size(cb_dbus_drive_get_free_bytes(drive));

	if (!cb_dbus_drive_get_media_present(drive))
		return g_strdup(_("No disc in the drive"));
	if (cb_dbus_drive_get_busy(drive))
		return g_strdup_printf(_("%s, in use by another job"), media);
	if (g_strcmp0(status, "blank") == 0)
		return g_strdup_printf(_("Blank %s, %s free"), media, free_text);
	if (g_strcmp0(status, "appendable") == 0)
		return g_strdup_printf(_("%s with data, %s free"), media, free_text);
	if (g_strcmp0(status, "full") == 0)
		return g_strdup_printf(cb_dbus_drive_get_media_erasable(drive)
					   ? _("%s, full; it will be blanked if you burn")
					   : _("%s, full"),
				       media);
	if (g_strcmp0(status, "unsuitable") == 0)
		return g_strdup_printf(_("%s, cannot be written"), media);
	return g_strdup(media);
}

/* a manager client stays while the service is gone, without objects */
static gboolean
cb_dialog_drive_chooser_reachable(CbDialogDriveChooser *self)
{
	g_autofree gchar *owner = NULL;

	if (self->manager == NULL)
		return FALSE;
	if (!G_IS_DBUS_OBJECT_MANAGER_CLIENT(self->manager))
		return TRUE;
	owner = g_dbus_object_manager_client_get_name_owner(
	    G_DBUS_OBJECT_MANAGER_CLIENT(self->manager));
	return owner != NULL;
}

static void
cb_dialog_drive_chooser_update_media(CbDialogDriveChooser *self)
{
	g_autoptr(CbDBusDrive) drive =
	    cb_dialog_drive_chooser_get_drive(self, cb_dialog_drive_chooser_get_selected(self));
	g_autofree gchar *text = NULL;

	if (drive != NULL)
		text = cb_dialog_media_text(drive);
	else if (!cb_dialog_drive_chooser_reachable(self))
		text = g_strdup(_("The cryptburn service cannot be reached."));
	else
		text = g_strdup(_("No drive found. Connect a CD, DVD or BD writer."));
	gtk_label_set_text(GTK_LABEL(self->media_label), text);
	g_signal_emit(self, cb_dialog_drive_chooser_signals[SIGNAL_CHANGED], 0);
}

static gint
cb_dialog_compare_proxies(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(g_dbus_proxy_get_object_path(G_DBUS_PROXY(a)),
			 g_dbus_proxy_get_object_path(G_DBUS_PROXY(b)));
}

/* the list again, keeping the chosen drive selected */
static void
cb_dialog_drive_chooser_update(CbDialogDriveChooser *self)
{
	/* none chosen: the first, in the order of the object paths */
	const gchar *selected = self->chosen;
	g_autolist(GDBusObject) objects = NULL;
	GList *drives = NULL;
	guint n_old = g_list_model_get_n_items(G_LIST_MODEL(self->labels));
	g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
	guint select = 0;

	if (self->manager != NULL)
		objects = g_dbus_object_manager_get_objects(self->manager);
	for (GList *l = objects; l != NULL; l = l->next) {
		GDBusInterface *iface = g_dbus_object_get_interface(l->data, CB_DRIVE_INTERFACE);
		if (iface != NULL)
			drives = g_list_prepend(drives, iface);
	}
	drives = g_list_sort(drives, cb_dialog_compare_proxies);
	g_ptr_array_set_size(self->paths, 0);
	for (GList *l = drives; l != NULL; l = l->next) {
		const gchar *path = g_dbus_proxy_get_object_path(l->data);
		if (g_strcmp0(path, selected) == 0)
			select = self->paths->len;
		g_ptr_array_add(self->paths, g_strdup(path));
		g_ptr_array_add(labels, cb_dialog_drive_label(l->data));
	}
	g_list_free_full(drives, g_object_unref);
	g_ptr_array_add(labels, NULL);
	self->updating = TRUE;
	gtk_string_list_splice(self->labels, 0, n_old, (const gchar *const *) labels->pdata);
	if (self->paths->len > 0)
		gtk_drop_down_set_selected(GTK_DROP_DOWN(self->dropdown), select);
	self->updating = FALSE;
	cb_dialog_drive_chooser_update_media(self);
}

static void
cb_dialog_drive_chooser_on_properties_changed(GDBusObjectManagerClient *manager,
					      GDBusObjectProxy *object,
					      GDBusProxy *proxy,
					      GVariant *changed,
					      const gchar *const *invalidated,
					      gpointer data)
{
	CbDialogDriveChooser *self = data;

	if (g_strcmp0(g_dbus_proxy_get_interface_name(proxy), CB_DRIVE_INTERFACE) == 0)
		cb_dialog_drive_chooser_update_media(self);
}

void
cb_dialog_drive_chooser_set_manager(CbDialogDriveChooser *self, GDBusObjectManager *manager)
{
	if (self->manager != NULL)
		g_signal_handlers_disconnect_by_data(self->manager, self);
	g_set_object(&self->manager, manager);
	if (manager != NULL) {
		g_signal_connect_swapped(manager, "object-added",
					 G_CALLBACK(cb_dialog_drive_chooser_update), self);
		g_signal_connect_swapped(manager, "object-removed",
					 G_CALLBACK(cb_dialog_drive_chooser_update), self);
		g_signal_connect(manager, "interface-proxy-properties-changed",
				 G_CALLBACK(cb_dialog_drive_chooser_on_properties_changed), self);
		g_signal_connect_swapped(manager, "notify::name-owner",
					 G_CALLBACK(cb_dialog_drive_chooser_update), self);
	}
	cb_dialog_drive_chooser_update(self);
}

/* a person's choice, or select()'s */
static void
cb_dialog_drive_chooser_on_selected(CbDialogDriveChooser *self)
{
	const gchar *path = cb_dialog_drive_chooser_get_selected(self);

	if (self->updating)
		return;
	if (path != NULL) {
		g_free(self->chosen);
		self->chosen = g_strdup(path);
	}
	cb_dialog_drive_chooser_update_media(self);
}

gboolean
cb_dialog_drive_chooser_select(CbDialogDriveChooser *self, const gchar *spec)
{
	for (guint i = 0; i < self->paths->len; i++) {
		const gchar *path = g_ptr_array_index(self->paths, i);
		g_autoptr(CbDBusDrive) drive = cb_dialog_drive_chooser_get_drive(self, path);

		if (g_strcmp0(path, spec) == 0 || g_strcmp0(strrchr(path, '/') + 1, spec) == 0 ||
		    (drive != NULL && g_strcmp0(cb_dbus_drive_get_device(drive), spec) == 0)) {
			gtk_drop_down_set_selected(GTK_DROP_DOWN(self->dropdown), i);
			return TRUE;
		}
	}
	return FALSE;
}

static void
cb_dialog_drive_chooser_dispose(GObject *object)
{
	CbDialogDriveChooser *self = CB_DIALOG_DRIVE_CHOOSER(object);

	if (self->manager != NULL)
		g_signal_handlers_disconnect_by_data(self->manager, self);
	g_clear_object(&self->manager);
	G_OBJECT_CLASS(cb_dialog_drive_chooser_parent_class)->dispose(object);
}

static void
cb_dialog_drive_chooser_finalize(GObject *object)
{
	CbDialogDriveChooser *self = CB_DIALOG_DRIVE_CHOOSER(object);

	g_clear_object(&self->labels);
	g_ptr_array_unref(self->paths);
	g_free(self->chosen);
	G_OBJECT_CLASS(cb_dialog_drive_chooser_parent_class)->finalize(object);
}

static void
cb_dialog_drive_chooser_class_init(CbDialogDriveChooserClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cb_dialog_drive_chooser_dispose;
	object_class->finalize = cb_dialog_drive_chooser_finalize;
	cb_dialog_drive_chooser_signals[SIGNAL_CHANGED] =
	    g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			 NULL, G_TYPE_NONE, 0);
}

static void
cb_dialog_drive_chooser_init(CbDialogDriveChooser *self)
{
	self->paths = g_ptr_array_new_with_free_func(g_free);
	gtk_orientable_set_orientation(GTK_ORIENTABLE(self), GTK_ORIENTATION_VERTICAL);
	gtk_box_set_spacing(GTK_BOX(self), 8);
	self->labels = gtk_string_list_new(NULL);
	self->dropdown = gtk_drop_down_new(G_LIST_MODEL(g_object_ref(self->labels)), NULL);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self->dropdown),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Drive"), -1);
	g_signal_connect_swapped(self->dropdown, "notify::selected",
				 G_CALLBACK(cb_dialog_drive_chooser_on_selected), self);
	gtk_box_append(GTK_BOX(self), self->dropdown);
	self->media_label = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(self->media_label), 0);
	gtk_widget_add_css_class(self->media_label, "dim-label");
	gtk_box_append(GTK_BOX(self), self->media_label);
}

GtkWidget *
cb_dialog_drive_chooser_new(void)
{
	return g_object_new(CB_DIALOG_TYPE_DRIVE_CHOOSER, NULL);
}
