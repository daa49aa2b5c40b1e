/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread: every step is an asynchronous call whose answer comes back
 * on the main loop */
#include "cb-authority.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include <polkit/polkit.h>

/* the bus daemon answers at once; this only bounds a wedged bus */
#define CB_AUTHORITY_UID_TIMEOUT_MS 5000

struct _CbAuthority {
	PolkitAuthority *polkit;
	GHashTable *pending;	     /* CbCheck set */
	GHashTable *pending_per_uid; /* uid -> count, of checks past the uid lookup */
};

/* one request on its way through the uid lookup and its polkit actions;
 * the asynchronous call in flight holds a reference, so that an answer
 * after the authority went (at shutdown) finds a check to drop */
typedef struct {
	CbAuthority *authority; /* NULL once the authority is gone */
	CbRequest *request;
	CbAuthorityAllowedFunc allowed;
	gpointer user_data;
	GCancellable *cancellable;
	guint timeout_id;
	guint next_action;
	gboolean counted; /* in pending_per_uid */
	gboolean timed_out;
	guint timeout_s;
} CbCheck;

static void
cb_check_clear(gpointer data)
{
	CbCheck *check = data;

	g_clear_pointer(&check->request, cb_request_free);
	g_clear_object(&check->cancellable);
}

static CbCheck *
cb_check_ref(CbCheck *check)
{
	return g_rc_box_acquire(check);
}

static void
cb_check_unref(CbCheck *check)
{
	g_rc_box_release_full(check, cb_check_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCheck, cb_check_unref)

CbAuthority *
cb_authority_new(GError **error)
{
	g_autoptr(CbAuthority) self = g_new0(CbAuthority, 1);

	self->pending = g_hash_table_new(NULL, NULL);
	self->pending_per_uid = g_hash_table_new(NULL, NULL);
	self->polkit = polkit_authority_get_sync(NULL, error);
	if (self->polkit == NULL) {
		g_prefix_error(error, _("cannot reach polkit: "));
		return NULL;
	}
	return g_steal_pointer(&self);
}

static void
cb_check_finish(CbCheck *check, GError *error);

void
cb_authority_free(CbAuthority *self)
{
	if (self == NULL)
		return;
	/* checks still waiting are answered now; their calls in flight only
	 * find an orphaned check when they come back */
	while (self->pending != NULL && g_hash_table_size(self->pending) > 0) {
		GHashTableIter iter;
		gpointer check;

		g_hash_table_iter_init(&iter, self->pending);
		g_hash_table_iter_next(&iter, &check, NULL);
		g_cancellable_cancel(((CbCheck *) check)->cancellable);
		cb_check_finish(check, g_error_new_literal(CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
							   _("the service is stopping")));
	}
	g_clear_pointer(&self->pending, g_hash_table_unref);
	g_clear_pointer(&self->pending_per_uid, g_hash_table_unref);
	g_clear_object(&self->polkit);
	g_free(self);
}

guint
cb_authority_count_pending(CbAuthority *self)
{
	return g_hash_table_size(self->pending);
}

static void
cb_check_log_denial(CbCheck *check, const GError *error)
{
	GDBusMethodInvocation *invocation = check->request->invocation;
	g_autofree gchar *uid_field = g_strdup_printf("%d", (gint) check->request->uid);

	/* MESSAGE must come last: its value is the format */
	g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "CB_CALLER_UID", uid_field, "MESSAGE",
			 "denied %s.%s to %s (uid %s): %s",
			 g_dbus_method_invocation_get_interface_name(invocation),
			 g_dbus_method_invocation_get_method_name(invocation),
			 g_dbus_method_invocation_get_sender(invocation), uid_field,
			 error->message);
}

/* the end of a check, allowed (error NULL) or refused; takes error */
static void
cb_check_finish(CbCheck *check, GError *error)
{
	CbAuthority *self = check->authority;

	g_clear_handle_id(&check->timeout_id, g_source_remove);
	if (self != NULL) {
		if (check->counted) {
			gpointer key = GUINT_TO_POINTER(check->request->uid);
			guint n = GPOINTER_TO_UINT(g_hash_table_lookup(self->pending_per_uid, key));

			if (n > 1)
				g_hash_table_insert(self->pending_per_uid, key,
						    GUINT_TO_POINTER(n - 1));
			else
				g_hash_table_remove(self->pending_per_uid, key);
			check->counted = FALSE;
		}
		g_hash_table_remove(self->pending, check);
		check->authority = NULL;
	}
	if (error != NULL) {
		cb_check_log_denial(check, error);
		cb_request_return_error(g_steal_pointer(&check->request), error);
		g_error_free(error);
	} else {
		check->allowed(g_steal_pointer(&check->request), check->user_data);
	}
	/* the authority's reference */
	cb_check_unref(check);
}

static void
cb_check_next_action(CbCheck *check);

static void
cb_check_on_polkit(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(CbCheck) check = data;
	g_autoptr(PolkitAuthorizationResult) answer = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *action;

	answer =
	    polkit_authority_check_authorization_finish(POLKIT_AUTHORITY(source), result, &error);
	if (check->authority == NULL)
		return;
	action = check->request->actions[check->next_action];
	if (answer == NULL) {
		if (check->timed_out)
			cb_check_finish(check,
					g_error_new(CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
						    _("polkit did not answer within %u s whether "
						      "%s is allowed"),
						    check->timeout_s, action));
		else
			cb_check_finish(check,
					g_error_new(CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
						    _("cannot check authorization for %s: %s"),
						    action, error->message));
		return;
	}
	if (polkit_authorization_result_get_is_authorized(answer)) {
		check->next_action++;
		cb_check_next_action(check);
		return;
	}
	if (polkit_authorization_result_get_is_challenge(answer)) {
		cb_check_finish(check,
				g_error_new(CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
					    _("not authorized for %s: authentication is needed, "
					      "and the request did not allow it (run from a "
					      "terminal or a desktop session)"),
					    action));
		return;
	}
	cb_check_finish(check, g_error_new(CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
					   _("not authorized for %s"), action));
}

static gboolean
cb_check_interactive(CbCheck *check)
{
	GDBusMessage *message = g_dbus_method_invocation_get_message(check->request->invocation);

	return (g_dbus_message_get_flags(message) &
		G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
}

static void
cb_check_next_action(CbCheck *check)
{
	const gchar *action = check->request->actions[check->next_action];
	g_autoptr(PolkitSubject) subject = NULL;
	PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

	if (action == NULL) {
		cb_check_finish(check, NULL);
		return;
	}
	if (cb_check_interactive(check))
		flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
	subject = polkit_system_bus_name_new(
	    g_dbus_method_invocation_get_sender(check->request->invocation));
	polkit_authority_check_authorization(check->authority->polkit, subject, action, NULL, flags,
					     check->cancellable, cb_check_on_polkit,
					     cb_check_ref(check));
}

static gboolean
cb_check_on_timeout(gpointer data)
{
	CbCheck *check = data;

	/* the answer to the cancelled call finishes the check */
	check->timeout_id = 0;
	check->timed_out = TRUE;
	g_cancellable_cancel(check->cancellable);
	return G_SOURCE_REMOVE;
}

static void
cb_check_on_uid(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(CbCheck) check = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	CbAuthority *self = check->authority;
	gpointer key;
	guint n;
	guint32 uid;

	if (self == NULL)
		return;
	if (reply == NULL) {
		cb_check_finish(check, g_error_new(CB_ERROR, CB_ERROR_NOT_AUTHORIZED,
						   _("cannot find out who is calling: %s"),
						   error->message));
		return;
	}
	g_variant_get(reply, "(u)", &uid);
	check->request->uid = uid;
	if (check->request->has_owner && check->request->owner_uid == uid) {
		cb_check_finish(check, NULL);
		return;
	}
	key = GUINT_TO_POINTER(uid);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(self->pending_per_uid, key));
	if (n >= CB_AUTHORITY_MAX_PENDING_PER_UID) {
		cb_check_finish(check,
				g_error_new(CB_ERROR, CB_ERROR_BUSY,
					    _("too many requests of yours wait for authorization "
					      "(%u); wait for them to be answered"),
					    n));
		return;
	}
	g_hash_table_insert(self->pending_per_uid, key, GUINT_TO_POINTER(n + 1));
	check->counted = TRUE;
	check->timeout_s = cb_check_interactive(check) ? CB_AUTHORITY_INTERACTIVE_TIMEOUT_S
						       : CB_AUTHORITY_TIMEOUT_S;
	check->timeout_id = g_timeout_add_seconds(check->timeout_s, cb_check_on_timeout, check);
	cb_check_next_action(check);
}

void
cb_authority_check(CbAuthority *self,
		   CbRequest *request,
		   CbAuthorityAllowedFunc allowed,
		   gpointer user_data)
{
	CbCheck *check = g_rc_box_new0(CbCheck);
	GDBusMethodInvocation *invocation = request->invocation;

	check->authority = self;
	check->request = request;
	check->allowed = allowed;
	check->user_data = user_data;
	check->cancellable = g_cancellable_new();
	g_hash_table_add(self->pending, check);
	if (g_hash_table_size(self->pending) > CB_AUTHORITY_MAX_PENDING) {
		cb_check_finish(check,
				g_error_new(CB_ERROR, CB_ERROR_BUSY,
					    _("too many requests wait for authorization (%u); try "
					      "again later"),
					    CB_AUTHORITY_MAX_PENDING));
		return;
	}
	g_dbus_connection_call(
	    g_dbus_method_invocation_get_connection(invocation), "org.freedesktop.DBus",
	    "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser",
	    g_variant_new("(s)", g_dbus_method_invocation_get_sender(invocation)),
	    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, CB_AUTHORITY_UID_TIMEOUT_MS,
	    check->cancellable, cb_check_on_uid, cb_check_ref(check));
}
