/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-follow.h"

#include "cb-error.h"
#include "cb-exit.h"
#include "cb-job-status.h"
#include "cb-json.h"
#include "cb-progress.h"
#include "cb-term-escape.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* the service changes properties a few times a second at most */
#define CB_FOLLOW_TICK_MS 250
#define CB_FOLLOW_JSON_MS 500
/* a job whose State is final may still have its Completed signal on the
 * way, with the better message; wait that long for it */
#define CB_FOLLOW_GRACE_MS 500
/* the job object may be announced just after the start call returned */
#define CB_FOLLOW_APPEAR_S 10

struct _CbFollow {
	CbClient *client;
	CbAgent *agent;
	CbFollowFlags flags;
	GCancellable *cancellable; /* our calls; cancelled when we are gone */
	guint signal_sources[3];
	guint signals;
	gboolean leave;

	gchar *job_path;
	CbDBusJob *job;
	gboolean cancel_sent;
	guint grace_source;
	gboolean finished;
	gboolean job_failed; /* the job itself said so */
	GError *error;	     /* the job's failure; NULL when it succeeded */
	gchar *error_name;

	CbProgress *progress; /* NULL unless on a terminal */
	gboolean dirty;
	gint64 last_json;
	gchar *last_state;
	gchar *last_phase;
	gchar *last_message;
	guint last_copy;
};

static gboolean
cb_follow_on_signal(gpointer data);

CbFollow *
cb_follow_new(CbClient *client, CbAgent *agent, CbFollowFlags flags)
{
	CbFollow *self = g_new0(CbFollow, 1);
	const int signals[] = { SIGINT, SIGTERM, SIGHUP };

	self->client = client;
	self->agent = agent;
	self->flags = flags;
	self->cancellable = g_cancellable_new();
	for (guint i = 0; i < G_N_ELEMENTS(signals); i++)
		self->signal_sources[i] = g_unix_signal_add(signals[i], cb_follow_on_signal, self);
	if (!(flags & CB_FOLLOW_QUIET) && isatty(STDERR_FILENO))
		self->progress = cb_progress_new("", TRUE);
	return self;
}

void
cb_follow_free(CbFollow *self)
{
	if (self == NULL)
		return;
	/* replies still on the way must not find us */
	g_cancellable_cancel(self->cancellable);
	g_object_unref(self->cancellable);
	for (guint i = 0; i < G_N_ELEMENTS(self->signal_sources); i++)
		g_source_remove(self->signal_sources[i]);
	g_clear_handle_id(&self->grace_source, g_source_remove);
	g_clear_object(&self->job);
	g_clear_pointer(&self->progress, cb_progress_free);
	g_clear_error(&self->error);
	g_free(self->error_name);
	g_free(self->job_path);
	g_free(self->last_state);
	g_free(self->last_phase);
	g_free(self->last_message);
	g_free(self);
}

static const gchar *
cb_follow_job_name(CbFollow *self)
{
	const gchar *slash = strrchr(self->job_path, '/');
	return slash != NULL ? slash + 1 : self->job_path;
}

static void
cb_follow_on_cancel_reply(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *message = NULL;
	CbFollow *self;

	reply = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), NULL,
								result, &error);
	if (reply != NULL || g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	self = data;
	g_dbus_error_strip_remote_error(error);
	if (self->progress != NULL)
		cb_progress_finish(self->progress);
	message = cb_term_escape(error->message, CB_TERM_ESCAPE_KEEP_NEWLINES);
	g_printerr(_("cryptburn: cannot cancel the job: %s; waiting for it to end\n"), message);
}

static void
cb_follow_cancel_job(CbFollow *self)
{
	if (self->cancel_sent)
		return;
	self->cancel_sent = TRUE;
	cb_client_call(
	    self->client, self->job_path, CB_JOB_INTERFACE, "Cancel",
	    g_variant_new("(@a{sv})", g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)), NULL,
	    NULL, self->cancellable, cb_follow_on_cancel_reply, self);
}

static gboolean
cb_follow_on_signal(gpointer data)
{
	CbFollow *self = data;

	self->signals++;
	if (!(self->flags & CB_FOLLOW_CANCEL_ON_SIGNAL) || self->signals > 1) {
		self->leave = TRUE;
		return G_SOURCE_CONTINUE;
	}
	/* the prompt goes first: it has the terminal's echo off */
	cb_agent_cancel_all(self->agent);
	/* before the start call returned, the job is cancelled when it does */
	if (self->job_path != NULL)
		cb_follow_cancel_job(self);
	if (self->progress != NULL)
		cb_progress_finish(self->progress);
	if (!(self->flags & CB_FOLLOW_QUIET))
		g_printerr(_("Cancelling the job; interrupt again to stop waiting for it.\n"));
	return G_SOURCE_CONTINUE;
}

gboolean
cb_follow_wait(CbFollow *self, const gboolean *done)
{
	while (!*done && !self->leave)
		g_main_context_iteration(NULL, TRUE);
	return !self->leave;
}

static void
cb_follow_finish(CbFollow *self, gboolean success, const gchar *name)
{
	g_autofree gchar *message = NULL;
	g_autoptr(GError) error_local = NULL;

	if (self->finished)
		return;
	self->finished = TRUE;
	if (success)
		return;
	self->job_failed = TRUE;
	if (name == NULL || name[0] == '\0')
		name = CB_DBUS_ERROR_PREFIX "Failed";
	/* the message may name files, so the service tells it to the job's
	 * own uid only, on request */
	if (!cb_dbus_job_call_get_error_sync(self->job, g_variant_new("a{sv}", NULL), NULL,
					     &message, NULL, &error_local)) {
		g_dbus_error_strip_remote_error(error_local);
		message =
		    g_strdup_printf(_("the job failed, and the service would not say why: %s"),
				    error_local->message);
	}
	if (message[0] == '\0') {
		g_free(message);
		message = g_strdup(_("the job failed without saying why"));
	}
	/* CB_ERROR is registered with GDBus: the name maps back to its code */
	self->error = g_dbus_error_new_for_dbus_error(name, message);
	g_dbus_error_strip_remote_error(self->error);
	self->error_name = g_strdup(name);
}

static void
cb_follow_fail_here(CbFollow *self, CbError code, gchar *message)
{
	if (self->finished)
		return;
	self->finished = TRUE;
	self->error = g_error_new_literal(CB_ERROR, code, message);
	self->error_name = g_strdup(cb_error_to_dbus_name(self->error));
	g_free(message);
}

static gboolean
cb_follow_is_final(const gchar *state)
{
	return g_strcmp0(state, "succeeded") == 0 || g_strcmp0(state, "failed") == 0 ||
	       g_strcmp0(state, "cancelled") == 0;
}

static gboolean
cb_follow_on_grace(gpointer data)
{
	CbFollow *self = data;
	const gchar *state = cb_dbus_job_get_state(self->job);
	const gchar *name = cb_dbus_job_get_error_name(self->job);

	self->grace_source = 0;
	if (g_strcmp0(state, "cancelled") == 0 && (name == NULL || name[0] == '\0'))
		name = CB_DBUS_ERROR_PREFIX "Cancelled";
	cb_follow_finish(self, g_strcmp0(state, "succeeded") == 0, name);
	return G_SOURCE_REMOVE;
}

static void
cb_follow_check_state(CbFollow *self)
{
	if (self->grace_source == 0 && cb_follow_is_final(cb_dbus_job_get_state(self->job)))
		self->grace_source = g_timeout_add(CB_FOLLOW_GRACE_MS, cb_follow_on_grace, self);
}

static void
cb_follow_emit_json(CbFollow *self)
{
	cb_job_status_print_json(self->job_path, self->job);
	self->last_json = g_get_monotonic_time();
	self->dirty = FALSE;
}

static void
cb_follow_draw(CbFollow *self)
{
	g_autofree gchar *text = NULL;

	if (self->progress == NULL || self->finished || cb_agent_is_prompting(self->agent))
		return;
	text = cb_job_status_text(self->client, self->job);
	cb_progress_show(self->progress, text);
}

/* what the job waits for ("Insert a blank DVD…"), on a line of its own
 * whether or not stderr is a terminal: a person must read it to go on */
static void
cb_follow_say_message(CbFollow *self)
{
	const gchar *message = cb_dbus_job_get_message(self->job);
	g_autofree gchar *safe = NULL;

	if (message == NULL || message[0] == '\0')
		return;
	if (self->progress != NULL)
		cb_progress_finish(self->progress);
	safe = cb_term_escape(message, CB_TERM_ESCAPE_KEEP_NEWLINES);
	g_printerr("cryptburn: %s\n", safe);
}

static gboolean
cb_follow_on_tick(gpointer data)
{
	CbFollow *self = data;

	cb_follow_draw(self);
	if ((self->flags & CB_FOLLOW_JSON) && self->dirty &&
	    g_get_monotonic_time() - self->last_json >= CB_FOLLOW_JSON_MS * 1000)
		cb_follow_emit_json(self);
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_follow_take_change(gchar **last, const gchar *now)
{
	if (g_strcmp0(*last, now) == 0)
		return FALSE;
	g_free(*last);
	*last = g_strdup(now);
	return TRUE;
}

static void
cb_follow_on_properties(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer data)
{
	CbFollow *self = data;
	/* both are evaluated: each remembers what it saw */
	gboolean state = cb_follow_take_change(&self->last_state, cb_dbus_job_get_state(self->job));
	gboolean phase = cb_follow_take_change(&self->last_phase, cb_dbus_job_get_phase(self->job));
	gboolean message =
	    cb_follow_take_change(&self->last_message, cb_dbus_job_get_message(self->job));
	gboolean copy = self->last_copy != cb_dbus_job_get_copy(self->job);

	self->last_copy = cb_dbus_job_get_copy(self->job);
	self->dirty = TRUE;
	/* a new state, phase, copy or message is news: not held back by the
	 * throttle */
	if ((self->flags & CB_FOLLOW_JSON) && (state || phase || message || copy) &&
	    !self->finished)
		cb_follow_emit_json(self);
	if (message && !(self->flags & (CB_FOLLOW_JSON | CB_FOLLOW_QUIET)) && !self->finished)
		cb_follow_say_message(self);
	cb_follow_check_state(self);
}

static void
cb_follow_on_completed(CbDBusJob *job, gboolean success, const gchar *error_name, gpointer data)
{
	cb_follow_finish(data, success, error_name);
}

static void
cb_follow_on_service_gone(CbFollow *self)
{
	cb_follow_fail_here(self, CB_ERROR_FAILED,
			    g_strdup_printf(_("the cryptburn service left the bus before job %s "
					      "ended; its result is unknown"),
					    cb_follow_job_name(self)));
}

static void
cb_follow_on_owner(GObject *manager, GParamSpec *pspec, gpointer data)
{
	CbFollow *self = data;
	g_autofree gchar *owner = cb_client_dup_owner(self->client);

	if (owner == NULL)
		cb_follow_on_service_gone(self);
}

static void
cb_follow_on_removed(GDBusObjectManager *manager, GDBusObject *object, gpointer data)
{
	CbFollow *self = data;
	g_autofree gchar *owner = NULL;

	if (g_strcmp0(g_dbus_object_get_object_path(object), self->job_path) != 0)
		return;
	owner = cb_client_dup_owner(self->client);
	if (owner == NULL)
		cb_follow_on_service_gone(self);
	else
		cb_follow_fail_here(
		    self, CB_ERROR_FAILED,
		    g_strdup_printf(_("job %s vanished before it reported a result"),
				    cb_follow_job_name(self)));
}

static gboolean
cb_follow_on_appear_timeout(gpointer data)
{
	gboolean *timed_out = data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/* the job's proxy; the start call's reply can overtake the announcement */
static gboolean
cb_follow_find_job(CbFollow *self, GError **error)
{
	GDBusObjectManager *manager = cb_client_get_object_manager(self->client);
	gboolean timed_out = FALSE;
	guint timeout = 0;

	for (;;) {
		g_autofree gchar *owner = NULL;
		GDBusInterface *job =
		    g_dbus_object_manager_get_interface(manager, self->job_path, CB_JOB_INTERFACE);

		if (job != NULL) {
			self->job = CB_DBUS_JOB(job);
			break;
		}
		owner = cb_client_dup_owner(self->client);
		if (owner == NULL || timed_out || self->leave) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("the cryptburn service does not show job %s"),
				    self->job_path);
			break;
		}
		if (timeout == 0)
			timeout = g_timeout_add_seconds(CB_FOLLOW_APPEAR_S,
							cb_follow_on_appear_timeout, &timed_out);
		g_main_context_iteration(NULL, TRUE);
	}
	if (timeout != 0 && !timed_out)
		g_source_remove(timeout);
	return self->job != NULL;
}

static void
cb_follow_print_result(const gchar *job_path,
		       CbDBusJob *job,
		       const GError *error,
		       const gchar *error_name)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	const gchar *checksum = job != NULL ? cb_dbus_job_get_checksum(job) : NULL;

	json_builder_begin_object(b);
	cb_json_add_string(b, "event", "result");
	cb_json_add_string(b, "job", job_path);
	cb_json_add_boolean(b, "success", error == NULL);
	cb_json_add_string(b, "error", error_name);
	cb_json_add_string(b, "message", error != NULL ? error->message : NULL);
	cb_json_add_int(b, "bytes", job != NULL ? (gint64) cb_dbus_job_get_bytes_done(job) : 0);
	cb_json_add_string(b, "checksum",
			   checksum != NULL && checksum[0] != '\0' ? checksum : NULL);
	json_builder_end_object(b);
	cb_json_print(b, FALSE);
}

static int
cb_follow_exit_status(const GError *error)
{
	/* cb_exit_report's "nothing was left behind" is untrue of a disc */
	if (cb_error_is_cancelled(error)) {
		g_autofree gchar *message =
		    cb_term_escape(error->message, CB_TERM_ESCAPE_KEEP_NEWLINES);
		g_printerr("cryptburn: %s\n", message);
		return CB_EXIT_INTERRUPTED;
	}
	return cb_exit_report(error);
}

int
cb_follow_report_failure(CbFollowFlags flags, const GError *error)
{
	if (flags & CB_FOLLOW_JSON) {
		g_autofree gchar *name = cb_client_error_name(error);
		cb_follow_print_result(NULL, NULL, error, name);
	}
	return cb_follow_exit_status(error);
}

static int
cb_follow_report(CbFollow *self, const GError *error, const gchar *error_name)
{
	if (self->flags & CB_FOLLOW_JSON)
		cb_follow_print_result(self->job_path, self->job, error, error_name);
	if (error != NULL)
		return cb_follow_exit_status(error);
	if (self->progress != NULL && self->job != NULL) {
		g_autofree gchar *size = g_format_size(cb_dbus_job_get_bytes_done(self->job));
		/* a blank job counts the bytes it erased, not written */
		if (g_strcmp0(cb_dbus_job_get_operation(self->job), "blank") == 0)
			g_printerr(_("Finished: the disc is blank.\n"));
		else
			g_printerr(_("Finished: %s written.\n"), size);
	}
	return CB_EXIT_OK;
}

gboolean
cb_follow_job_failed(CbFollow *self)
{
	return self->job_failed;
}

int
cb_follow_fail(CbFollow *self, const GError *error)
{
	g_autofree gchar *name = cb_client_error_name(error);
	return cb_follow_report(self, error, name);
}

typedef struct {
	gboolean done;
	gchar *job;
	GError *error;
} CbFollowStart;

static void
cb_follow_on_started(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	CbFollowStart *start;

	reply = g_dbus_connection_call_with_unix_fd_list_finish(G_DBUS_CONNECTION(source), NULL,
								result, &error);
	/* cancelled: the command gave up waiting and start is gone */
	if (reply == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	start = data;
	start->done = TRUE;
	if (reply == NULL) {
		g_dbus_error_strip_remote_error(error);
		start->error = g_steal_pointer(&error);
		return;
	}
	g_variant_get(reply, "(o)", &start->job);
}

gchar *
cb_follow_start_job(CbFollow *self,
		    const gchar *object_path,
		    const gchar *interface,
		    const gchar *method,
		    GVariant *parameters,
		    GUnixFDList *fds,
		    gboolean *refused,
		    GError **error)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFollowStart start = { 0 };

	*refused = FALSE;
	cb_client_call(self->client, object_path, interface, method, parameters,
		       G_VARIANT_TYPE("(o)"), fds, cancellable, cb_follow_on_started, &start);
	if (!cb_follow_wait(self, &start.done)) {
		g_cancellable_cancel(cancellable);
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("stopped waiting; if the service started the job, it goes "
				      "on (“cryptburn jobs” lists the jobs)"));
		return NULL;
	}
	if (start.error != NULL) {
		/* the service's or the bus's own no; a timeout leaves it open */
		*refused = start.error->domain == CB_ERROR || start.error->domain == G_DBUS_ERROR;
		g_propagate_error(error, start.error);
		return NULL;
	}
	return start.job;
}

int
cb_follow_run(CbFollow *self, const gchar *job_path)
{
	GDBusObjectManager *manager = cb_client_get_object_manager(self->client);
	g_autoptr(GError) error = NULL;
	gulong handlers[4];
	guint tick;

	self->job_path = g_strdup(job_path);
	if (!cb_follow_find_job(self, &error))
		return cb_follow_fail(self, error);
	if (self->signals > 0 && (self->flags & CB_FOLLOW_CANCEL_ON_SIGNAL))
		cb_follow_cancel_job(self);

	handlers[0] = g_signal_connect(self->job, "g-properties-changed",
				       G_CALLBACK(cb_follow_on_properties), self);
	handlers[1] =
	    g_signal_connect(self->job, "completed", G_CALLBACK(cb_follow_on_completed), self);
	handlers[2] =
	    g_signal_connect(manager, "object-removed", G_CALLBACK(cb_follow_on_removed), self);
	handlers[3] =
	    g_signal_connect(manager, "notify::name-owner", G_CALLBACK(cb_follow_on_owner), self);
	tick = g_timeout_add(CB_FOLLOW_TICK_MS, cb_follow_on_tick, self);

	cb_follow_take_change(&self->last_state, cb_dbus_job_get_state(self->job));
	cb_follow_take_change(&self->last_phase, cb_dbus_job_get_phase(self->job));
	if (self->flags & CB_FOLLOW_JSON)
		cb_follow_emit_json(self);
	cb_follow_check_state(self);
	cb_follow_draw(self);

	while (!self->finished && !self->leave)
		g_main_context_iteration(NULL, TRUE);

	g_source_remove(tick);
	g_clear_handle_id(&self->grace_source, g_source_remove);
	g_signal_handler_disconnect(self->job, handlers[0]);
	g_signal_handler_disconnect(self->job, handlers[1]);
	g_signal_handler_disconnect(manager, handlers[2]);
	g_signal_handler_disconnect(manager, handlers[3]);
	/* a prompt the service gave up on ends its line before the result */
	cb_agent_stop(self->agent);
	if (self->progress != NULL)
		cb_progress_finish(self->progress);

	if (!self->finished) {
		g_autofree gchar *message =
		    (self->flags & CB_FOLLOW_CANCEL_ON_SIGNAL)
			? g_strdup_printf(_("stopped waiting; the service is still cancelling "
					    "job %s"),
					  cb_follow_job_name(self))
			: g_strdup_printf(_("stopped watching; job %s goes on"),
					  cb_follow_job_name(self));
		g_set_error_literal(&error, CB_ERROR, CB_ERROR_CANCELLED, message);
		return cb_follow_fail(self, error);
	}
	return cb_follow_report(self, self->error, self->error_name);
}
