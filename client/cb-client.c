/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-client.h"

#include "cb-drive-name.h"

#include "cb-error.h"
#include "cb-polkit-agent.h"

#include <glib/gi18n.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _CbClient {
	GDBusConnection *connection;
	GDBusObjectManager *manager;
	gboolean interactive;
	CbPolkitAgent *polkit_agent;
};

static gchar *
cb_client_bus_address(void)
{
	g_autofree gchar *address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	return address != NULL ? g_steal_pointer(&address) : g_strdup("?");
}

CbClient *
cb_client_new(CbClientFlags flags, GError **error)
{
	g_autoptr(CbClient) self = g_new0(CbClient, 1);
	g_autofree gchar *owner = NULL;

	/* org.cryptburn.CryptBurn1.Error.* must map back to CB_ERROR codes */
	(void) cb_error_quark();

	/* honours DBUS_SYSTEM_BUS_ADDRESS, which is how tests use a private bus */
	self->connection = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	if (self->connection == NULL) {
		g_autofree gchar *address = cb_client_bus_address();
		g_prefix_error(error, _("cannot connect to the system bus (%s): "), address);
		return NULL;
	}
	/* without DO_NOT_AUTO_START the bus starts an activatable service */
	self->manager = cb_dbus_object_manager_client_new_sync(
	    self->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, CB_BUS_NAME,
	    CB_OBJECT_MANAGER_PATH, NULL, error);
	if (self->manager == NULL) {
		if (error != NULL)
			g_dbus_error_strip_remote_error(*error);
		g_prefix_error(error, _("cannot reach the cryptburn service: "));
		return NULL;
	}
	owner = cb_client_dup_owner(self);
	if (owner == NULL) {
		g_autofree gchar *address = cb_client_bus_address();
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("the cryptburn service (%s) is not running on the system bus (%s) "
			      "and cannot be started; is cryptburnd installed?"),
			    CB_BUS_NAME, address);
		return NULL;
	}
	if ((flags & CB_CLIENT_AUTHORIZE) && isatty(STDIN_FILENO)) {
		self->interactive = TRUE;
		self->polkit_agent = cb_polkit_agent_register();
	}
	return g_steal_pointer(&self);
}

void
cb_client_free(CbClient *self)
{
	if (self == NULL)
		return;
	g_clear_pointer(&self->polkit_agent, cb_polkit_agent_unregister);
	g_clear_object(&self->manager);
	/* the agent's last answer must leave before the process does */
	if (self->connection != NULL)
		g_dbus_connection_flush_sync(self->connection, NULL, NULL);
	g_clear_object(&self->connection);
	g_free(self);
}

GDBusConnection *
cb_client_get_connection(CbClient *self)
{
	return self->connection;
}

GDBusObjectManager *
cb_client_get_object_manager(CbClient *self)
{
	return self->manager;
}

gchar *
cb_client_dup_owner(CbClient *self)
{
	return g_dbus_object_manager_client_get_name_owner(
	    G_DBUS_OBJECT_MANAGER_CLIENT(self->manager));
}

static gboolean
cb_client_is_number(const gchar *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s != '\0'; s++)
		if (!g_ascii_isdigit(*s))
			return FALSE;
	return TRUE;
}

/* jobs/9 before jobs/10 */
static gint
cb_client_compare_paths(gconstpointer a, gconstpointer b)
{
	const gchar *pa = g_dbus_proxy_get_object_path(G_DBUS_PROXY(a));
	const gchar *pb = g_dbus_proxy_get_object_path(G_DBUS_PROXY(b));
	const gchar *la = strrchr(pa, '/');
	const gchar *lb = strrchr(pb, '/');

	if (la - pa == lb - pb && strncmp(pa, pb, (gsize) (la - pa)) == 0 &&
	    cb_client_is_number(la + 1) && cb_client_is_number(lb + 1)) {
		guint64 na = g_ascii_strtoull(la + 1, NULL, 10);
		guint64 nb = g_ascii_strtoull(lb + 1, NULL, 10);
		return na < nb ? -1 : na > nb;
	}
	return strcmp(pa, pb);
}

GList *
cb_client_list(CbClient *self, const gchar *interface)
{
	GList *objects = g_dbus_object_manager_get_objects(self->manager);
	GList *found = NULL;

	for (GList *l = objects; l != NULL; l = l->next) {
		GDBusInterface *iface = g_dbus_object_get_interface(l->data, interface);
		if (iface != NULL)
			found = g_list_prepend(found, iface);
	}
	g_list_free_full(objects, g_object_unref);
	return g_list_sort(found, cb_client_compare_paths);
}

static gchar *
cb_client_drive_label(CbDBusDrive *drive)
{
	g_autofree gchar *name =
	    cb_drive_product_name(cb_dbus_drive_get_vendor(drive), cb_dbus_drive_get_model(drive));

	if (name == NULL)
		return g_strdup(cb_dbus_drive_get_device(drive));
	return g_strdup_printf("%s (%s)", cb_dbus_drive_get_device(drive), name);
}

/* "/dev/sr0 (HL-DT-ST BD-RE), stdio:/tmp/disc" for error messages */
static gchar *
cb_client_drive_list_text(GList *drives)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (GList *l = drives; l != NULL; l = l->next) {
		g_autofree gchar *label = cb_client_drive_label(l->data);
		if (text->len > 0)
			g_string_append(text, ", ");
		g_string_append(text, label);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static gboolean
cb_client_drive_matches(CbDBusDrive *drive, const gchar *spec, const gchar *resolved)
{
	const gchar *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(drive));
	const gchar *device = cb_dbus_drive_get_device(drive);

	return g_strcmp0(device, spec) == 0 || g_strcmp0(path, spec) == 0 ||
	       g_strcmp0(strrchr(path, '/') + 1, spec) == 0 ||
	       (resolved != NULL && g_strcmp0(device, resolved) == 0);
}

CbDBusDrive *
cb_client_find_drive(CbClient *self, const gchar *spec, GError **error)
{
	GList *drives = cb_client_list(self, CB_DRIVE_INTERFACE);
	g_autofree gchar *names = cb_client_drive_list_text(drives);
	g_autofree gchar *resolved = NULL;
	CbDBusDrive *found = NULL;

	/* /dev/cdrom and friends are symlinks to the node the service names */
	if (spec != NULL && spec[0] == '/')
		resolved = realpath(spec, NULL);
	for (GList *l = drives; l != NULL && spec != NULL; l = l->next) {
		if (cb_client_drive_matches(l->data, spec, resolved)) {
			found = g_object_ref(l->data);
			break;
		}
	}
	if (spec == NULL && drives != NULL && drives->next == NULL)
		found = g_object_ref(drives->data);
	g_list_free_full(drives, g_object_unref);
	if (found != NULL)
		return found;

	if (names[0] == '\0' && spec != NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE,
			    _("no drive “%s”: the cryptburn service sees no drives"), spec);
	else if (names[0] == '\0')
		g_set_error_literal(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE,
				    _("the cryptburn service sees no drives"));
	else if (spec != NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE,
			    _("no drive “%s”; the drives are: %s"), spec, names);
	else
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("there are several drives; choose one with --drive: %s"), names);
	return NULL;
}

CbDBusJob *
cb_client_find_job(CbClient *self, const gchar *spec, GError **error)
{
	g_autofree gchar *path = NULL;
	GDBusInterface *job = NULL;

	if (spec[0] == '/')
		path = g_strdup(spec);
	else
		path = g_strdup_printf("%s/%s", CB_JOBS_PATH, spec);
	if (g_variant_is_object_path(path))
		job = g_dbus_object_manager_get_interface(self->manager, path, CB_JOB_INTERFACE);
	if (job == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("there is no job “%s”; “cryptburn jobs” lists them"), spec);
		return NULL;
	}
	return CB_DBUS_JOB(job);
}

gchar *
cb_client_describe_drive(CbClient *self, const gchar *drive_path)
{
	g_autoptr(GDBusInterface) drive = NULL;

	if (drive_path == NULL || g_strcmp0(drive_path, "/") == 0)
		return NULL;
	drive = g_dbus_object_manager_get_interface(self->manager, drive_path, CB_DRIVE_INTERFACE);
	if (drive == NULL)
		return g_strdup(drive_path);
	return g_strdup(cb_dbus_drive_get_device(CB_DBUS_DRIVE(drive)));
}

static GDBusCallFlags
cb_client_call_flags(CbClient *self)
{
	return self->interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
				 : G_DBUS_CALL_FLAGS_NONE;
}

/* typing a password for polkit takes longer than the default 25 s */
static gint
cb_client_call_timeout(CbClient *self)
{
	return self->interactive ? G_MAXINT : -1;
}

void
cb_client_call(CbClient *self,
	       const gchar *object_path,
	       const gchar *interface,
	       const gchar *method,
	       GVariant *parameters,
	       const GVariantType *reply_type,
	       GUnixFDList *fd_list,
	       GCancellable *cancellable,
	       GAsyncReadyCallback callback,
	       gpointer user_data)
{
	g_dbus_connection_call_with_unix_fd_list(
	    self->connection, CB_BUS_NAME, object_path, interface, method, parameters, reply_type,
	    cb_client_call_flags(self), cb_client_call_timeout(self), fd_list, cancellable,
	    callback, user_data);
}

GVariant *
cb_client_call_finish(CbClient *self, GAsyncResult *result, GError **error)
{
	GVariant *reply =
	    g_dbus_connection_call_with_unix_fd_list_finish(self->connection, NULL, result, error);
	if (reply == NULL && error != NULL)
		g_dbus_error_strip_remote_error(*error);
	return reply;
}

GVariant *
cb_client_call_sync(CbClient *self,
		    const gchar *object_path,
		    const gchar *interface,
		    const gchar *method,
		    GVariant *parameters,
		    const GVariantType *reply_type,
		    GError **error)
{
	GVariant *reply = g_dbus_connection_call_sync(
	    self->connection, CB_BUS_NAME, object_path, interface, method, parameters, reply_type,
	    cb_client_call_flags(self), cb_client_call_timeout(self), NULL, error);
	if (reply == NULL && error != NULL)
		g_dbus_error_strip_remote_error(*error);
	return reply;
}

gchar *
cb_client_error_name(const GError *error)
{
	/* G_DBUS_ERROR codes are registered under their org.freedesktop names */
	if (error->domain == G_DBUS_ERROR)
		return g_dbus_error_encode_gerror(error);
	return g_strdup(cb_error_to_dbus_name(error));
}
