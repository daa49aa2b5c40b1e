/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-dialog-agent.h"

#include "cb-error.h"

#include <glib/gi18n.h>

#define CB_DIALOG_AGENT_PATH "/org/cryptburn/CryptBurn1/PassphraseAgent"

struct _CbDialogAgent {
	GObject parent_instance;
	CbDBusPassphraseAgent *skeleton;
	gchar *service_owner;
	gchar *job;
	CbSecret *passphrase;
};

G_DEFINE_TYPE(CbDialogAgent, cb_dialog_agent, G_TYPE_OBJECT)

/* the service's unique name, not merely whoever calls: another program on
 * the bus must not collect the passphrase through this agent */
static gboolean
cb_dialog_agent_check(CbDialogAgent *self, GDBusMethodInvocation *invocation, const gchar *job)
{
	if (g_strcmp0(g_dbus_method_invocation_get_sender(invocation), self->service_owner) != 0) {
		g_dbus_method_invocation_return_error_literal(
		    invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
		    _("only the cryptburn service may ask this agent"));
		return FALSE;
	}
	/* the service calls the agent only on the connection that submitted
	 * the job, and this dialog submits one at a time */
	if (self->job != NULL && g_strcmp0(job, self->job) != 0) {
		g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR,
						      G_DBUS_ERROR_ACCESS_DENIED,
						      _("%s was not started by this dialog"), job);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_dialog_agent_on_request(CbDBusPassphraseAgent *skeleton,
			   GDBusMethodInvocation *invocation,
			   const gchar *job,
			   const gchar *message,
			   GVariant *hints,
			   gpointer data)
{
	CbDialogAgent *self = data;
	g_autoptr(GError) error = NULL;
	CbSecret *copy;
	GVariant *value;

	if (!cb_dialog_agent_check(self, invocation, job))
		return TRUE;
	if (self->passphrase == NULL) {
		g_dbus_method_invocation_return_error_literal(
		    invocation, CB_ERROR, CB_ERROR_CANCELLED, _("the burn was cancelled"));
		return TRUE;
	}
	/* the window asked twice already, so "confirm" gets the same bytes */
	copy = cb_secret_new(cb_secret_size(self->passphrase), &error);
	if (copy == NULL) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return TRUE;
	}
	for (gsize i = 0; i < cb_secret_size(self->passphrase); i++)
		cb_secret_append(copy, cb_secret_peek(self->passphrase)[i]);
	/* the reply's bytes are the locked pages themselves, wiped when GDBus
	 * has serialized and dropped the reply */
	value = g_variant_new_from_data(G_VARIANT_TYPE_BYTESTRING, cb_secret_peek(copy),
					cb_secret_size(copy), TRUE, (GDestroyNotify) cb_secret_free,
					copy);
	cb_dbus_passphrase_agent_complete_request_passphrase(skeleton, invocation, value);
	return TRUE;
}

static gboolean
cb_dialog_agent_on_cancel(CbDBusPassphraseAgent *skeleton,
			  GDBusMethodInvocation *invocation,
			  const gchar *job,
			  gpointer data)
{
	CbDialogAgent *self = data;

	/* requests are answered at once, so there is never a prompt to close */
	if (cb_dialog_agent_check(self, invocation, job))
		cb_dbus_passphrase_agent_complete_cancel(skeleton, invocation);
	return TRUE;
}

static void
cb_dialog_agent_finalize(GObject *object)
{
	CbDialogAgent *self = CB_DIALOG_AGENT(object);

	if (self->skeleton != NULL) {
		GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON(self->skeleton);
		g_signal_handlers_disconnect_by_data(skeleton, self);
		if (g_dbus_interface_skeleton_get_connection(skeleton) != NULL)
			g_dbus_interface_skeleton_unexport(skeleton);
		g_object_unref(skeleton);
	}
	g_clear_pointer(&self->passphrase, cb_secret_free);
	g_free(self->service_owner);
	g_free(self->job);
	G_OBJECT_CLASS(cb_dialog_agent_parent_class)->finalize(object);
}

static void
cb_dialog_agent_class_init(CbDialogAgentClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = cb_dialog_agent_finalize;
}

static void
cb_dialog_agent_init(CbDialogAgent *self)
{
}

CbDialogAgent *
cb_dialog_agent_new(GDBusConnection *connection, const gchar *service_owner, GError **error)
{
	g_autoptr(CbDialogAgent) self = g_object_new(CB_DIALOG_TYPE_AGENT, NULL);

	self->service_owner = g_strdup(service_owner);
	self->skeleton = cb_dbus_passphrase_agent_skeleton_new();
	g_signal_connect(self->skeleton, "handle-request-passphrase",
			 G_CALLBACK(cb_dialog_agent_on_request), self);
	g_signal_connect(self->skeleton, "handle-cancel", G_CALLBACK(cb_dialog_agent_on_cancel),
			 self);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->skeleton), connection,
					      CB_DIALOG_AGENT_PATH, error)) {
		g_prefix_error(error, _("cannot offer a passphrase agent on the bus: "));
		return NULL;
	}
	return g_steal_pointer(&self);
}

const gchar *
cb_dialog_agent_get_path(CbDialogAgent *self)
{
	return CB_DIALOG_AGENT_PATH;
}

void
cb_dialog_agent_set_passphrase(CbDialogAgent *self, CbSecret *passphrase)
{
	g_clear_pointer(&self->passphrase, cb_secret_free);
	self->passphrase = passphrase;
}

void
cb_dialog_agent_set_job(CbDialogAgent *self, const gchar *job_path)
{
	g_free(self->job);
	self->job = g_strdup(job_path);
}

void
cb_dialog_agent_set_service_owner(CbDialogAgent *self, const gchar *service_owner)
{
	g_free(self->service_owner);
	self->service_owner = g_strdup(service_owner);
}
