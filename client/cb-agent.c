/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-agent.h"

#include "cb-error.h"
#include "cb-pinentry.h"
#include "cb-tty-prompt.h"

#include <glib/gi18n.h>
#include <string.h>

/* on the client's own connection; the service learns it from the "agent" option */
#define CB_AGENT_PATH "/org/cryptburn/CryptBurn1/PassphraseAgent"
/* the service's message is shown on the terminal: keep it one short line */
#define CB_AGENT_MESSAGE_MAX 200

typedef struct {
	GDBusMethodInvocation *invocation; /* answered exactly once */
	gchar *job;
	gchar *prompt;	    /* for the terminal */
	gchar *description; /* for a pinentry window: the message and the drive */
	gboolean confirm;
	GCancellable *cancellable;
} CbAgentRequest;

struct _CbAgent {
	CbClient *client;
	CbDBusPassphraseAgent *skeleton;
	GHashTable *jobs;
	gboolean starting;
	GPtrArray *held; /* GDBusMethodInvocation, for jobs not known yet */
	GQueue waiting;	 /* CbAgentRequest: one prompt at a time on the terminal */
	CbAgentRequest *active;
	gboolean told_no_terminal;
};

static void
cb_agent_request_free(CbAgentRequest *req)
{
	g_free(req->job);
	g_free(req->prompt);
	g_free(req->description);
	g_object_unref(req->cancellable);
	g_free(req);
}

static void
cb_agent_return_cancelled(GDBusMethodInvocation *invocation)
{
	g_dbus_method_invocation_return_error_literal(invocation, CB_ERROR, CB_ERROR_CANCELLED,
						      _("the passphrase prompt was abandoned"));
}

/* the service's message, without anything a terminal would interpret */
static gchar *
cb_agent_make_prompt(const gchar *message, gboolean confirm)
{
	g_autofree gchar *valid = NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	guint n = 0;

	/* the service asks twice for a new passphrase and compares itself */
	if (confirm)
		return g_strdup(_("Repeat the passphrase: "));
	valid = g_utf8_make_valid(message, -1);
	for (const gchar *p = valid; *p != '\0' && n < CB_AGENT_MESSAGE_MAX;
	     p = g_utf8_next_char(p), n++) {
		gunichar c = g_utf8_get_char(p);
		if (!g_unichar_iscntrl(c))
			g_string_append_unichar(text, c);
	}
	g_strstrip(text->str);
	text->len = strlen(text->str);
	while (text->len > 0 && text->str[text->len - 1] == ':')
		g_string_truncate(text, text->len - 1);
	if (text->len == 0)
		g_string_assign(text, _("Passphrase for the new disc"));
	g_string_append(text, ": ");
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* a pinentry window stands alone: it names the drive the disc is for */
static gchar *
cb_agent_make_description(const gchar *message, const gchar *drive)
{
	if (drive == NULL || *drive == '\0')
		return g_strdup(message);
	return g_strdup_printf(_("%s\n\nDrive: %s"), message, drive);
}

static void
cb_agent_prompt_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	CbAgentRequest *req = data;
	GError *error = NULL;
	CbSecret *secret;

	/* the service compares the two answers itself: one entry a call */
	if (cb_pinentry_wanted()) {
		CbPinentryRequest request = { .description = req->description,
					      .prompt =
						  req->confirm ? _("Repeat:") : _("Passphrase:") };
		secret = cb_pinentry_ask(&request, cancellable, &error);
	} else {
		secret = cb_tty_prompt(req->prompt, cancellable, &error);
	}

	if (secret == NULL)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, secret, (GDestroyNotify) cb_secret_free);
}

static void
cb_agent_next(CbAgent *self);

static void
cb_agent_answer(CbAgent *self, CbAgentRequest *req, CbSecret *secret, const GError *error)
{
	GVariant *value;

	if (secret == NULL && cb_error_is_cancelled(error)) {
		cb_agent_return_cancelled(req->invocation);
		return;
	}
	if (secret == NULL) {
		/* the service fails the job with PassphraseRequired and its own
		 * words; say once what the user can do about it */
		if (g_error_matches(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED) &&
		    !self->told_no_terminal) {
			g_printerr("cryptburn: %s\n", error->message);
			self->told_no_terminal = TRUE;
		}
		g_dbus_method_invocation_return_gerror(req->invocation, error);
		return;
	}
	/* the reply's bytes are the locked pages themselves, not a copy:
	 * they are wiped when GDBus has serialized and dropped the reply */
	value = g_variant_new_from_data(G_VARIANT_TYPE_BYTESTRING, cb_secret_peek(secret),
					cb_secret_size(secret), TRUE,
					(GDestroyNotify) cb_secret_free, secret);
	cb_dbus_passphrase_agent_complete_request_passphrase(self->skeleton, req->invocation,
							     value);
}

static void
cb_agent_on_prompted(GObject *source, GAsyncResult *result, gpointer data)
{
	CbAgent *self = data;
	CbAgentRequest *req = g_steal_pointer(&self->active);
	g_autoptr(GError) error = NULL;
	CbSecret *secret = g_task_propagate_pointer(G_TASK(result), &error);

	cb_agent_answer(self, req, secret, error);
	cb_agent_request_free(req);
	cb_agent_next(self);
}

static void
cb_agent_next(CbAgent *self)
{
	g_autoptr(GTask) task = NULL;

	if (self->active != NULL || g_queue_is_empty(&self->waiting))
		return;
	self->active = g_queue_pop_head(&self->waiting);
	task = g_task_new(NULL, self->active->cancellable, cb_agent_on_prompted, self);
	/* self->active outlives the task: it is freed once the task returned */
	g_task_set_task_data(task, self->active, NULL);
	g_task_run_in_thread(task, cb_agent_prompt_thread);
}

/* the service's unique name, not merely whoever calls: another program
 * on the bus must not collect passphrases through this agent */
static gboolean
cb_agent_check_sender(CbAgent *self, GDBusMethodInvocation *invocation)
{
	g_autofree gchar *owner = cb_client_dup_owner(self->client);

	if (owner != NULL && g_strcmp0(g_dbus_method_invocation_get_sender(invocation), owner) == 0)
		return TRUE;
	g_dbus_method_invocation_return_error_literal(
	    invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
	    _("only the cryptburn service may ask this agent"));
	return FALSE;
}

static void
cb_agent_handle_request(CbAgent *self, GDBusMethodInvocation *invocation)
{
	GVariant *params = g_dbus_method_invocation_get_parameters(invocation);
	const gchar *job;
	const gchar *message;
	const gchar *drive = NULL;
	g_autoptr(GVariant) hints = NULL;
	gboolean confirm = FALSE;
	CbAgentRequest *req;

	g_variant_get(params, "(&o&s@a{sv})", &job, &message, &hints);
	if (!g_hash_table_contains(self->jobs, job)) {
		if (self->starting) {
			g_ptr_array_add(self->held, invocation);
			return;
		}
		g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR,
						      G_DBUS_ERROR_ACCESS_DENIED,
						      _("%s was not started by this client"), job);
		return;
	}
	g_variant_lookup(hints, "confirm", "b", &confirm);
	g_variant_lookup(hints, "drive", "&s", &drive);
	req = g_new0(CbAgentRequest, 1);
	req->invocation = invocation;
	req->job = g_strdup(job);
	req->prompt = cb_agent_make_prompt(message, confirm);
	req->description = cb_agent_make_description(message, drive);
	req->confirm = confirm;
	req->cancellable = g_cancellable_new();
	g_queue_push_tail(&self->waiting, req);
	cb_agent_next(self);
}

static gboolean
cb_agent_on_request(CbDBusPassphraseAgent *skeleton,
		    GDBusMethodInvocation *invocation,
		    const gchar *job,
		    const gchar *message,
		    GVariant *hints,
		    gpointer data)
{
	CbAgent *self = data;

	if (cb_agent_check_sender(self, invocation))
		cb_agent_handle_request(self, invocation);
	return TRUE;
}

/* answers the waiting and held requests matching job (NULL: all) */
static void
cb_agent_drop_queued(CbAgent *self, const gchar *job)
{
	GList *l = self->waiting.head;

	while (l != NULL) {
		GList *next = l->next;
		CbAgentRequest *req = l->data;
		if (job == NULL || g_strcmp0(req->job, job) == 0) {
			g_queue_delete_link(&self->waiting, l);
			cb_agent_return_cancelled(req->invocation);
			cb_agent_request_free(req);
		}
		l = next;
	}
	for (guint i = self->held->len; i > 0; i--) {
		GDBusMethodInvocation *invocation = g_ptr_array_index(self->held, i - 1);
		const gchar *held_job;

		g_variant_get(g_dbus_method_invocation_get_parameters(invocation), "(&o&s@a{sv})",
			      &held_job, NULL, NULL);
		if (job == NULL || g_strcmp0(held_job, job) == 0) {
			g_ptr_array_remove_index(self->held, i - 1);
			cb_agent_return_cancelled(invocation);
		}
	}
}

static gboolean
cb_agent_on_cancel(CbDBusPassphraseAgent *skeleton,
		   GDBusMethodInvocation *invocation,
		   const gchar *job,
		   gpointer data)
{
	CbAgent *self = data;

	if (!cb_agent_check_sender(self, invocation))
		return TRUE;
	/* the prompt thread restores the terminal, then the request is answered */
	if (self->active != NULL && g_strcmp0(self->active->job, job) == 0)
		g_cancellable_cancel(self->active->cancellable);
	cb_agent_drop_queued(self, job);
	cb_dbus_passphrase_agent_complete_cancel(skeleton, invocation);
	return TRUE;
}

CbAgent *
cb_agent_new(CbClient *client, GError **error)
{
	g_autoptr(CbAgent) self = g_new0(CbAgent, 1);

	self->client = client;
	self->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->held = g_ptr_array_new();
	g_queue_init(&self->waiting);
	self->skeleton = cb_dbus_passphrase_agent_skeleton_new();
	g_signal_connect(self->skeleton, "handle-request-passphrase",
			 G_CALLBACK(cb_agent_on_request), self);
	g_signal_connect(self->skeleton, "handle-cancel", G_CALLBACK(cb_agent_on_cancel), self);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->skeleton),
					      cb_client_get_connection(client), CB_AGENT_PATH,
					      error)) {
		g_prefix_error(error, _("cannot offer a passphrase prompt on the bus: "));
		return NULL;
	}
	return g_steal_pointer(&self);
}

void
cb_agent_free(CbAgent *self)
{
	if (self == NULL)
		return;
	cb_agent_stop(self);
	if (self->skeleton != NULL) {
		GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON(self->skeleton);
		g_signal_handlers_disconnect_by_data(skeleton, self);
		if (g_dbus_interface_skeleton_get_connection(skeleton) != NULL)
			g_dbus_interface_skeleton_unexport(skeleton);
		g_object_unref(skeleton);
	}
	g_ptr_array_unref(self->held);
	g_hash_table_unref(self->jobs);
	g_free(self);
}

const gchar *
cb_agent_get_path(CbAgent *self)
{
	return CB_AGENT_PATH;
}

void
cb_agent_set_starting(CbAgent *self, gboolean starting)
{
	g_autoptr(GPtrArray) held = NULL;

	self->starting = starting;
	if (starting)
		return;
	held = g_steal_pointer(&self->held);
	self->held = g_ptr_array_new();
	for (guint i = 0; i < held->len; i++)
		cb_agent_handle_request(self, g_ptr_array_index(held, i));
}

void
cb_agent_add_job(CbAgent *self, const gchar *job_path)
{
	g_hash_table_add(self->jobs, g_strdup(job_path));
}

gboolean
cb_agent_is_prompting(CbAgent *self)
{
	return self != NULL && self->active != NULL;
}

void
cb_agent_cancel_all(CbAgent *self)
{
	if (self == NULL)
		return;
	if (self->active != NULL)
		g_cancellable_cancel(self->active->cancellable);
	cb_agent_drop_queued(self, NULL);
}

void
cb_agent_stop(CbAgent *self)
{
	if (self == NULL)
		return;
	cb_agent_cancel_all(self);
	/* exiting while the prompt thread has the echo off would leave the
	 * terminal without echo; the cancelled prompt returns at once */
	while (self->active != NULL)
		g_main_context_iteration(NULL, TRUE);
}
