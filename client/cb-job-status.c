/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-job-status.h"

#include "cb-json.h"

#include <glib/gi18n.h>

void
cb_job_status_print_json(const gchar *job_path, CbDBusJob *job)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	cb_json_add_string(b, "event", "progress");
	cb_json_add_string(b, "job", job_path);
	cb_json_add_string(b, "state", cb_dbus_job_get_state(job));
	cb_json_add_string(b, "phase", cb_dbus_job_get_phase(job));
	cb_json_add_double(b, "progress", cb_dbus_job_get_progress(job));
	cb_json_add_int(b, "bytes_done", (gint64) cb_dbus_job_get_bytes_done(job));
	cb_json_add_int(b, "bytes_total", (gint64) cb_dbus_job_get_bytes_total(job));
	cb_json_add_int(b, "rate", (gint64) cb_dbus_job_get_rate(job));
	cb_json_add_int(b, "expected_end_time", (gint64) cb_dbus_job_get_expected_end_time(job));
	cb_json_add_double(b, "fifo_fill", cb_dbus_job_get_fifo_fill(job));
	cb_json_add_int(b, "fifo_empty_count", cb_dbus_job_get_fifo_empty_count(job));
	cb_json_add_string(b, "write_mode", cb_dbus_job_get_write_mode(job));
	cb_json_add_boolean(b, "underrun_proof", cb_dbus_job_get_underrun_proof(job));
	cb_json_add_string(b, "message", cb_dbus_job_get_message(job));
	cb_json_add_int(b, "copy", cb_dbus_job_get_copy(job));
	cb_json_add_int(b, "copies", cb_dbus_job_get_copies(job));
	cb_json_add_int(b, "tags_verified", cb_dbus_job_get_tags_verified(job));
	json_builder_end_object(b);
	cb_json_print(b, FALSE);
}

static gchar *
cb_job_status_format_time(gint64 seconds)
{
	if (seconds >= 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT ":%02u:%02u", seconds / 3600,
				       (guint) (seconds / 60 % 60), (guint) (seconds % 60));
	return g_strdup_printf("%u:%02u", (guint) (seconds / 60), (guint) (seconds % 60));
}

/* seconds left: the service's estimate, else from the rate; -1 if unknown */
static gint64
cb_job_status_seconds_left(CbDBusJob *job)
{
	guint64 end = cb_dbus_job_get_expected_end_time(job);
	guint64 rate = cb_dbus_job_get_rate(job);
	guint64 done = cb_dbus_job_get_bytes_done(job);
	guint64 total = cb_dbus_job_get_bytes_total(job);

	if (end > 0)
		return MAX(0, ((gint64) end - g_get_real_time()) / G_USEC_PER_SEC);
	if (rate > 0 && total > done)
		return (gint64) ((total - done) / rate);
	return -1;
}

const gchar *
cb_job_status_phase_label(const gchar *phase)
{
	if (g_strcmp0(phase, "preparing") == 0)
		return _("Preparing");
	if (g_strcmp0(phase, "blanking") == 0)
		return _("Blanking");
	if (g_strcmp0(phase, "writing") == 0)
		return _("Writing");
	if (g_strcmp0(phase, "fixating") == 0)
		return _("Closing the disc");
	if (g_strcmp0(phase, "verifying") == 0)
		return _("Verifying");
	return phase != NULL ? phase : "";
}

gchar *
cb_job_status_text(CbClient *client, CbDBusJob *job)
{
	const gchar *state = cb_dbus_job_get_state(job);
	const gchar *phase = cb_dbus_job_get_phase(job);
	guint64 total = cb_dbus_job_get_bytes_total(job);
	guint64 rate = cb_dbus_job_get_rate(job);
	gint64 left = cb_job_status_seconds_left(job);
	g_autoptr(GString) text = g_string_new(NULL);
	/* a blank job has no buffer to fill */
	gboolean blank = g_strcmp0(cb_dbus_job_get_operation(job), "blank") == 0;
	guint copies = cb_dbus_job_get_copies(job);

	if (g_strcmp0(state, "queued") == 0)
		return g_strdup(_("Queued"));
	if (g_strcmp0(state, "waiting-for-passphrase") == 0)
		return g_strdup(_("Waiting for the passphrase"));
	if (g_strcmp0(state, "waiting-for-media") == 0) {
		g_autofree gchar *device =
		    cb_client_describe_drive(client, cb_dbus_job_get_drive(job));
		/* the whole message was printed on a line of its own */
		return g_strdup_printf(_("Waiting for a disc in %s"),
				       device != NULL ? device : _("the drive"));
	}
	if (copies > 1)
		/* TRANSLATORS: "Copy 2/3: Writing  45%…" */
		g_string_append_printf(text, _("Copy %u/%u: "), cb_dbus_job_get_copy(job), copies);
	g_string_append(text, blank ? _("Blanking") : cb_job_status_phase_label(phase));
	if (total > 0) {
		g_autofree gchar *done_str = g_format_size(cb_dbus_job_get_bytes_done(job));
		g_autofree gchar *total_str = g_format_size(total);
		g_string_append_printf(text, " %3.0f%%  %s / %s",
				       100.0 * cb_dbus_job_get_progress(job), done_str, total_str);
	}
	if (rate > 0) {
		g_autofree gchar *rate_str = g_format_size(rate);
		g_string_append_printf(text, "  %s/s", rate_str);
	}
	if (left >= 0) {
		g_autofree gchar *left_str = cb_job_status_format_time(left);
		g_string_append_printf(text, "  %s %s", left_str, _("left"));
	}
	/* a draining drive buffer is the warning sign of an underrun */
	if (!blank && g_strcmp0(phase, "writing") == 0)
		g_string_append_printf(text, "  %s %3.0f%%", _("buffer"),
				       100.0 * cb_dbus_job_get_fifo_fill(job));
	return g_string_free(g_steal_pointer(&text), FALSE);
}
