/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread, except cb_job_thread which is the job's worker */
#include "cb-job-private.h"

#include "cb-client-fds.h"
#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

#define CB_JOB_PATH_PREFIX "/org/cryptburn/CryptBurn1/jobs/"
/* property updates per second: enough for a progress bar, and bounded
 * whatever the drive's speed */
#define CB_JOB_TICK_MS 250
/* the rate is averaged over about this long */
#define CB_JOB_RATE_WINDOW_S 3.0

static const gchar *const cb_job_state_names[] = {
	[CB_JOB_STATE_QUEUED] = "queued",
	[CB_JOB_STATE_WAITING_FOR_PASSPHRASE] = "waiting-for-passphrase",
	[CB_JOB_STATE_WAITING_FOR_MEDIA] = "waiting-for-media",
	[CB_JOB_STATE_RUNNING] = "running",
	[CB_JOB_STATE_SUCCEEDED] = "succeeded",
	[CB_JOB_STATE_FAILED] = "failed",
	[CB_JOB_STATE_CANCELLED] = "cancelled",
};

static const gchar *const cb_job_phase_names[] = {
	[CB_JOB_PHASE_PREPARING] = "preparing", [CB_JOB_PHASE_BLANKING] = "blanking",
	[CB_JOB_PHASE_WRITING] = "writing",	[CB_JOB_PHASE_FIXATING] = "fixating",
	[CB_JOB_PHASE_VERIFYING] = "verifying",
};

static void
cb_job_log(CbJob *self, GLogLevelFlags level, const gchar *message);

CbJob *
cb_job_new(guint id, CbJobSpec *spec)
{
	CbJob *self = g_new0(CbJob, 1);

	self->id = id;
	self->path = g_strdup_printf(CB_JOB_PATH_PREFIX "%u", id);
	self->spec = *spec;
	/* taken over: the caller's cleanup must find nothing to free, and
	 * above all no fd (0 is a valid one) */
	memset(spec, 0, sizeof(*spec));
	spec->stream_fd = -1;
	self->cancellable = g_cancellable_new();
	self->cancelable = TRUE;
	self->copy = 1;
	g_mutex_init(&self->message_lock);
	self->object = cb_dbus_object_skeleton_new(self->path);
	self->iface = cb_dbus_job_skeleton_new();
	cb_dbus_job_set_operation(self->iface, cb_operation_to_string(self->spec.operation));
	cb_dbus_job_set_state(self->iface, cb_job_state_names[CB_JOB_STATE_QUEUED]);
	cb_dbus_job_set_phase(self->iface, cb_job_phase_names[CB_JOB_PHASE_PREPARING]);
	cb_dbus_job_set_drive(self->iface,
			      self->spec.drive != NULL ? cb_drive_get_path(self->spec.drive) : "/");
	cb_dbus_job_set_started_by_uid(self->iface, self->spec.uid);
	cb_dbus_job_set_cancelable(self->iface, TRUE);
	cb_dbus_job_set_checksum(self->iface, "");
	cb_dbus_job_set_write_mode(self->iface, "");
	cb_dbus_job_set_error_name(self->iface, "");
	cb_dbus_job_set_message(self->iface, "");
	cb_dbus_job_set_copies(self->iface,
			       self->spec.options != NULL ? MAX(self->spec.options->copies, 1) : 1);
	cb_dbus_job_set_copy(self->iface, 1);
	cb_dbus_object_skeleton_set_job(self->object, self->iface);
	return self;
}

void
cb_job_spec_clear(CbJobSpec *spec)
{
	g_clear_pointer(&spec->options, cb_job_options_free);
	g_clear_pointer(&spec->sources, g_strfreev);
	cb_client_fd_close(spec->stream_fd);
	spec->stream_fd = -1;
	g_clear_pointer(&spec->drive, cb_drive_unref);
	g_clear_pointer(&spec->peer, g_free);
	g_clear_object(&spec->bus);
}

void
cb_job_free(CbJob *self)
{
	if (self == NULL)
		return;
	cb_job_join(self);
	g_clear_handle_id(&self->tick_id, g_source_remove);
	g_clear_object(&self->iface);
	g_clear_object(&self->object);
	g_clear_object(&self->cancellable);
	cb_job_spec_clear(&self->spec);
	g_clear_error(&self->error);
	g_free(self->checksum);
	g_free(self->message);
	g_mutex_clear(&self->message_lock);
	g_free(self->path);
	g_free(self);
}

const gchar *
cb_job_get_path(CbJob *self)
{
	return self->path;
}

GDBusObjectSkeleton *
cb_job_get_object(CbJob *self)
{
	return G_DBUS_OBJECT_SKELETON(self->object);
}

uid_t
cb_job_get_uid(CbJob *self)
{
	return self->spec.uid;
}

CbDrive *
cb_job_get_drive(CbJob *self)
{
	return self->spec.drive;
}

gboolean
cb_job_is_finished(CbJob *self)
{
	return self->finished;
}

/* the worker's atomics into properties; the skeleton only signals real
 * changes, and coalesces them into one PropertiesChanged per tick */
static void
cb_job_publish(CbJob *self)
{
	guint64 done = __atomic_load_n(&self->bytes_done, __ATOMIC_RELAXED);
	guint64 total = __atomic_load_n(&self->bytes_total, __ATOMIC_RELAXED);
	gint64 now = g_get_monotonic_time();
	gdouble elapsed = (gdouble) (now - self->rate_time) / G_USEC_PER_SEC;
	const gchar *write_mode;

	cb_dbus_job_set_state(self->iface, cb_job_state_names[g_atomic_int_get(&self->state)]);
	cb_dbus_job_set_phase(self->iface, cb_job_phase_names[g_atomic_int_get(&self->phase)]);
	cb_dbus_job_set_bytes_total(self->iface, total);
	cb_dbus_job_set_bytes_done(self->iface, done);
	cb_dbus_job_set_progress(self->iface, total > 0 ? (gdouble) done / (gdouble) total : 0.0);
	cb_dbus_job_set_fifo_fill(self->iface, g_atomic_int_get(&self->fifo_permille) / 1000.0);
	cb_dbus_job_set_fifo_empty_count(self->iface, g_atomic_int_get(&self->fifo_empty_count));
	write_mode = g_atomic_pointer_get(&self->write_mode);
	cb_dbus_job_set_write_mode(self->iface, write_mode != NULL ? write_mode : "");
	cb_dbus_job_set_underrun_proof(self->iface, g_atomic_int_get(&self->underrun_proof));
	cb_dbus_job_set_cancelable(self->iface, g_atomic_int_get(&self->cancelable));
	cb_dbus_job_set_copy(self->iface, g_atomic_int_get(&self->copy));
	cb_dbus_job_set_tags_verified(self->iface, g_atomic_int_get(&self->tags_verified));
	g_mutex_lock(&self->message_lock);
	cb_dbus_job_set_message(self->iface, self->message != NULL ? self->message : "");
	g_mutex_unlock(&self->message_lock);

	/* exponential average of the recent byte rate: steady enough for an
	 * ETA; bytes that go back to 0 start a phase with a rate of its own
	 * (verifying reads back what was written) */
	if (self->rate_time == 0 || done < self->rate_bytes) {
		self->rate_time = now;
		self->rate_bytes = done;
		self->rate = 0;
	} else if (elapsed >= 0.2) {
		gdouble sample = (gdouble) (done - self->rate_bytes) / elapsed;
		gdouble weight = MIN(1.0, elapsed / CB_JOB_RATE_WINDOW_S);

		self->rate = self->rate == 0 ? sample : self->rate + weight * (sample - self->rate);
		self->rate_time = now;
		self->rate_bytes = done;
	}
	if (done == 0 || (g_atomic_int_get(&self->phase) != CB_JOB_PHASE_WRITING &&
			  g_atomic_int_get(&self->phase) != CB_JOB_PHASE_VERIFYING)) {
		cb_dbus_job_set_rate(self->iface, 0);
		cb_dbus_job_set_expected_end_time(self->iface, 0);
	} else {
		cb_dbus_job_set_rate(self->iface, (guint64) self->rate);
		if (self->rate > 0 && total > done)
			cb_dbus_job_set_expected_end_time(
			    self->iface,
			    (guint64) (g_get_real_time() +
				       (gint64) ((total - done) / self->rate * G_USEC_PER_SEC)));
	}
}

void
cb_job_set_waiting_for_media(CbJob *self, const gchar *message)
{
	g_mutex_lock(&self->message_lock);
	g_free(self->message);
	self->message = g_strdup(message);
	g_mutex_unlock(&self->message_lock);
	cb_job_set_state(self,
			 message != NULL ? CB_JOB_STATE_WAITING_FOR_MEDIA : CB_JOB_STATE_RUNNING);
	if (message != NULL)
		cb_job_log(self, G_LOG_LEVEL_INFO, message);
}

static gboolean
cb_job_on_tick(gpointer data)
{
	cb_job_publish(data);
	return G_SOURCE_CONTINUE;
}

static void
cb_job_log(CbJob *self, GLogLevelFlags level, const gchar *message)
{
	g_autofree gchar *uid = g_strdup_printf("%u", (guint) self->spec.uid);

	g_log_structured(G_LOG_DOMAIN, level, "CB_JOB", self->path, "CB_OPERATION",
			 cb_operation_to_string(self->spec.operation), "CB_DRIVE",
			 self->spec.drive != NULL ? cb_drive_get_device(self->spec.drive) : "",
			 "CB_CALLER_UID", uid, "MESSAGE", "%s %s: %s", self->path,
			 cb_operation_to_string(self->spec.operation), message);
}

static void
cb_job_close_fds(CbJob *self)
{
	cb_client_fd_close(self->spec.stream_fd);
	self->spec.stream_fd = -1;
	if (self->spec.options != NULL) {
		cb_client_fd_close(self->spec.options->passphrase_fd);
		self->spec.options->passphrase_fd = -1;
	}
}

/* back on the main thread once the worker has ended */
static gboolean
cb_job_on_finished(gpointer data)
{
	CbJob *self = data;
	const gchar *error_name = "";
	const gchar *message = "succeeded";
	CbJobState state = CB_JOB_STATE_SUCCEEDED;

	self->finish_id = 0;
	g_thread_join(g_steal_pointer(&self->thread));
	g_clear_handle_id(&self->tick_id, g_source_remove);
	/* the client's fds go now, not when the object goes a minute later:
	 * a client reading our output pipe waits for its end */
	cb_job_close_fds(self);
	if (self->error != NULL) {
		g_dbus_error_strip_remote_error(self->error);
		error_name = cb_error_to_dbus_name(self->error);
		message = self->error->message;
		state = cb_error_is_cancelled(self->error) ? CB_JOB_STATE_CANCELLED
							   : CB_JOB_STATE_FAILED;
	}
	g_atomic_int_set(&self->cancelable, FALSE);
	cb_job_set_state(self, state);
	cb_job_publish(self);
	cb_dbus_job_set_rate(self->iface, 0);
	cb_dbus_job_set_expected_end_time(self->iface, 0);
	cb_dbus_job_set_error_name(self->iface, error_name);
	cb_dbus_job_set_checksum(self->iface, self->checksum != NULL ? self->checksum : "");
	/* property changes go out before Completed, so a client that stops
	 * listening at Completed has seen the final state */
	g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(self->iface));
	cb_dbus_job_emit_completed(self->iface, self->error == NULL, error_name);
	cb_job_log(self, self->error == NULL ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE, message);
	self->finished = TRUE;
	if (self->spec.drive != NULL)
		cb_drive_release(self->spec.drive);
	if (self->done != NULL)
		self->done(self, self->done_data);
	return G_SOURCE_REMOVE;
}

static gpointer
cb_job_thread(gpointer data)
{
	CbJob *self = data;

	cb_job_set_state(self, CB_JOB_STATE_RUNNING);
	if (!cb_job_work(self, &self->error) && self->error == NULL)
		g_set_error_literal(&self->error, CB_ERROR, CB_ERROR_FAILED,
				    _("the job failed for an unknown reason"));
	/* nothing is waited for any more */
	g_mutex_lock(&self->message_lock);
	g_clear_pointer(&self->message, g_free);
	g_mutex_unlock(&self->message_lock);
	/* always queued, never run here: g_main_context_invoke() would call
	 * it on this thread when the main loop has stopped (at shutdown) */
	self->finish_id = g_idle_add(cb_job_on_finished, self);
	return NULL;
}

void
cb_job_start(CbJob *self, CbJobDoneFunc done, gpointer user_data)
{
	self->done = done;
	self->done_data = user_data;
	cb_job_log(self, G_LOG_LEVEL_INFO, "started");
	self->tick_id = g_timeout_add(CB_JOB_TICK_MS, cb_job_on_tick, self);
	self->thread = g_thread_new("cb-job", cb_job_thread, self);
}

void
cb_job_cancel(CbJob *self)
{
	if (self->finished)
		return;
	cb_job_log(self, G_LOG_LEVEL_INFO, "cancelling");
	g_cancellable_cancel(self->cancellable);
}

void
cb_job_join(CbJob *self)
{
	/* at daemon shutdown the main loop no longer runs: wait here */
	if (self->thread != NULL) {
		g_cancellable_cancel(self->cancellable);
		g_thread_join(g_steal_pointer(&self->thread));
		/* its end will not be announced: the daemon is going away */
		g_clear_handle_id(&self->finish_id, g_source_remove);
	}
}

void
cb_job_answer_get_error(CbJob *self, GDBusMethodInvocation *invocation)
{
	/* the worker sets the error before it ends and never touches it after */
	const GError *error = self->finished ? self->error : NULL;

	cb_dbus_job_complete_get_error(self->iface, invocation,
				       error != NULL ? cb_error_to_dbus_name(error) : "",
				       error != NULL ? error->message : "");
}

void
cb_job_answer_cancel(CbJob *self, GDBusMethodInvocation *invocation)
{
	if (self->finished) {
		g_dbus_method_invocation_return_error(invocation, CB_ERROR, CB_ERROR_FAILED,
						      _("the job has already ended"));
		return;
	}
	cb_job_cancel(self);
	cb_dbus_job_complete_cancel(self->iface, invocation);
}
