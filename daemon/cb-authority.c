/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb_authority_new and cb_authority_guard: main thread; the authorize
 * handler: a GDBus worker thread, one per method call */
#include "cb-authority.h"

#include "cb-dbus-generated.h"
#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include <polkit/polkit.h>

#define CB_AUTHORITY_UID_KEY "cb-caller-uid"

struct _CbAuthority {
	PolkitAuthority *polkit;
};

typedef struct {
	const gchar *interface;
	const gchar *method;
	const gchar *action; /* NULL: decided by cb_authority_check_job */
} CbAuthorityRule;

static const CbAuthorityRule cb_authority_rules[] = {
	{ "org.cryptburn.CryptBurn1.Manager", "BurnFiles", "org.cryptburn.burn" },
	{ "org.cryptburn.CryptBurn1.Manager", "BurnImage", "org.cryptburn.burn" },
	{ "org.cryptburn.CryptBurn1.Manager", "WriteImage", "org.cryptburn.burn" },
	{ "org.cryptburn.CryptBurn1.Drive", "Blank", "org.cryptburn.blank" },
	{ "org.cryptburn.CryptBurn1.Drive", "Eject", "org.cryptburn.eject" },
	{ "org.cryptburn.CryptBurn1.Job", "Cancel", NULL },
};

CbAuthority *
cb_authority_new(GError **error)
{
	g_autoptr(CbAuthority) self = g_new0(CbAuthority, 1);

	self->polkit = polkit_authority_get_sync(NULL, error);
	if (self->polkit == NULL) {
		g_prefix_error(error, _("cannot reach polkit: "));
		return NULL;
	}
	return g_steal_pointer(&self);
}

void
cb_authority_free(CbAuthority *self)
{
	if (self == NULL)
		return;
	g_clear_object(&self->polkit);
	g_free(self);
}

static const CbAuthorityRule *
cb_authority_lookup(GDBusMethodInvocation *invocation)
{
	const gchar *interface = g_dbus_method_invocation_get_interface_name(invocation);
	const gchar *method = g_dbus_method_invocation_get_method_name(invocation);

	for (guint i = 0; i < G_N_ELEMENTS(cb_authority_rules); i++)
		if (g_strcmp0(cb_authority_rules[i].interface, interface) == 0 &&
		    g_strcmp0(cb_authority_rules[i].method, method) == 0)
			return &cb_authority_rules[i];
	return NULL;
}

static gboolean
cb_authority_lookup_uid(GDBusMethodInvocation *invocation, guint32 *uid, GError **error)
{
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
	    g_dbus_method_invocation_get_connection(invocation), "org.freedesktop.DBus",
	    "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser",
	    g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
	    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);

	if (reply == NULL)
		return FALSE;
	g_variant_get(reply, "(u)", uid);
	g_object_set_data(G_OBJECT(invocation), CB_AUTHORITY_UID_KEY, GUINT_TO_POINTER(*uid + 1));
	return TRUE;
}

uid_t
cb_authority_get_caller_uid(GDBusMethodInvocation *invocation)
{
	gpointer stored = g_object_get_data(G_OBJECT(invocation), CB_AUTHORITY_UID_KEY);

	/* every guarded call stored it; anything else is a programming error */
	g_return_val_if_fail(stored != NULL, (uid_t) -1);
	return (uid_t) (GPOINTER_TO_UINT(stored) - 1);
}

static gboolean
cb_authority_check_polkit(CbAuthority *self,
			  GDBusMethodInvocation *invocation,
			  const gchar *action,
			  GError **error)
{
	g_autoptr(PolkitSubject) subject =
	    polkit_system_bus_name_new(g_dbus_method_invocation_get_sender(invocation));
	g_autoptr(PolkitAuthorizationResult) result = NULL;
	PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;
	GDBusMessage *message = g_dbus_method_invocation_get_message(invocation);

	if (g_dbus_message_get_flags(message) &
	    G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
		flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
	result = polkit_authority_check_authorization_sync(self->polkit, subject, action, NULL,
							   flags, NULL, error);
	if (result == NULL) {
		g_prefix_error(error, _("cannot check authorization for %s: "), action);
		if (error != NULL && *error != NULL) {
			(*error)->domain = CB_ERROR;
			(*error)->code = CB_ERROR_NOT_AUTHORIZED;
		}
		return FALSE;
	}
	if (polkit_authorization_result_get_is_authorized(result))
		return TRUE;
	if (polkit_authorization_result_get_is_challenge(result)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
			    _("not authorized for %s: authentication is needed, and the request "
			      "did not allow it (run from a terminal or a desktop session)"),
			    action);
		return FALSE;
	}
	g_set_error(error, CB_ERROR, CB_ERROR_NOT_AUTHORIZED, _("not authorized for %s"), action);
	return FALSE;
}

/* a burn that may blank a used rewritable disc first (option blank)
 * destroys what is on it, as Drive.Blank does, and needs its action too */
static gboolean
cb_authority_check_blank_option(CbAuthority *self,
				GDBusMethodInvocation *invocation,
				GError **error)
{
	GVariant *parameters = g_dbus_method_invocation_get_parameters(invocation);
	g_autoptr(GVariant) options = NULL;
	gboolean blank = FALSE;
	gsize n = g_variant_n_children(parameters);

	if (g_strcmp0(g_dbus_method_invocation_get_interface_name(invocation),
		      "org.cryptburn.CryptBurn1.Manager") != 0 ||
	    n == 0)
		return TRUE;
	options = g_variant_get_child_value(parameters, n - 1);
	if (!g_variant_is_of_type(options, G_VARIANT_TYPE_VARDICT) ||
	    !g_variant_lookup(options, "blank", "b", &blank) || !blank)
		return TRUE;
	return cb_authority_check_polkit(self, invocation, "org.cryptburn.blank", error);
}

/* a job's own uid may cancel it; others need the polkit action */
static gboolean
cb_authority_check_job(CbAuthority *self,
		       GDBusInterfaceSkeleton *interface,
		       GDBusMethodInvocation *invocation,
		       guint32 uid,
		       GError **error)
{
	if (CB_DBUS_IS_JOB(interface) &&
	    cb_dbus_job_get_started_by_uid(CB_DBUS_JOB(interface)) == uid)
		return TRUE;
	return cb_authority_check_polkit(self, invocation, "org.cryptburn.cancel-job-other-user",
					 error);
}

static gboolean
cb_authority_on_authorize(GDBusObjectSkeleton *object,
			  GDBusInterfaceSkeleton *interface,
			  GDBusMethodInvocation *invocation,
			  CbAuthority *self)
{
	const CbAuthorityRule *rule = cb_authority_lookup(invocation);
	g_autoptr(GError) error = NULL;
	guint32 uid = 0;
	gboolean ok;

	if (rule == NULL) {
		g_set_error(&error, CB_ERROR, CB_ERROR_NOT_AUTHORIZED, _("%s.%s is not allowed"),
			    g_dbus_method_invocation_get_interface_name(invocation),
			    g_dbus_method_invocation_get_method_name(invocation));
		ok = FALSE;
	} else if (!cb_authority_lookup_uid(invocation, &uid, &error)) {
		ok = FALSE;
	} else if (rule->action == NULL) {
		ok = cb_authority_check_job(self, interface, invocation, uid, &error);
	} else {
		ok = cb_authority_check_polkit(self, invocation, rule->action, &error) &&
		     cb_authority_check_blank_option(self, invocation, &error);
	}
	if (!ok) {
		g_autofree gchar *uid_field = g_strdup_printf("%u", uid);

		/* MESSAGE must come last: its value is the format */
		g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CB_CALLER_UID", uid_field,
				 "MESSAGE", "denied %s.%s to %s (uid %u): %s",
				 g_dbus_method_invocation_get_interface_name(invocation),
				 g_dbus_method_invocation_get_method_name(invocation),
				 g_dbus_method_invocation_get_sender(invocation), uid,
				 error->message);
		g_dbus_method_invocation_return_gerror(g_object_ref(invocation), error);
	}
	return ok;
}

void
cb_authority_guard(CbAuthority *self, GDBusObjectSkeleton *object)
{
	g_signal_connect(object, "authorize-method", G_CALLBACK(cb_authority_on_authorize), self);
}
