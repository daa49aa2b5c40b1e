/* SPDX-License-Identifier: GPL-3.0-or-later */
/* the job commands: jobs, watch, cancel */
#include "cb-commands.h"

#include "cb-client.h"
#include "cb-config.h"
#include "cb-exit.h"
#include "cb-follow.h"
#include "cb-job-status.h"
#include "cb-json.h"
#include "cb-table.h"

#include <glib/gi18n.h>
#include <string.h>

static void
cb_jobs_print_text(CbClient *client, GList *jobs)
{
	const gchar *headers[] = { _("JOB"),   _("OPERATION"), _("STATE"), _("PROGRESS"),
				   _("DRIVE"), _("UID"),       NULL };
	g_autoptr(CbTable) table = cb_table_new(headers);

	for (GList *l = jobs; l != NULL; l = l->next) {
		CbDBusJob *job = l->data;
		const gchar *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(job));
		g_autofree gchar *drive =
		    cb_client_describe_drive(client, cb_dbus_job_get_drive(job));
		g_autofree gchar *progress =
		    g_strdup_printf("%.0f%%", 100.0 * cb_dbus_job_get_progress(job));
		g_autofree gchar *uid = g_strdup_printf("%u", cb_dbus_job_get_started_by_uid(job));
		const gchar *cells[] = { strrchr(path, '/') + 1,
					 cb_dbus_job_get_operation(job),
					 cb_dbus_job_get_state(job),
					 progress,
					 drive != NULL ? drive : "-",
					 uid,
					 NULL };
		cb_table_add_row(table, cells);
	}
	cb_table_print(table);
}

static void
cb_jobs_print_json(CbClient *client, GList *jobs)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_array(b);
	for (GList *l = jobs; l != NULL; l = l->next) {
		CbDBusJob *job = l->data;
		const gchar *drive = cb_dbus_job_get_drive(job);
		g_autofree gchar *device = cb_client_describe_drive(client, drive);

		json_builder_begin_object(b);
		cb_json_add_string(b, "job", g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)));
		cb_json_add_string(b, "operation", cb_dbus_job_get_operation(job));
		cb_json_add_string(b, "state", cb_dbus_job_get_state(job));
		cb_json_add_string(b, "phase", cb_dbus_job_get_phase(job));
		cb_json_add_double(b, "progress", cb_dbus_job_get_progress(job));
		cb_json_add_int(b, "bytes_done", (gint64) cb_dbus_job_get_bytes_done(job));
		cb_json_add_int(b, "bytes_total", (gint64) cb_dbus_job_get_bytes_total(job));
		cb_json_add_string(b, "drive", g_strcmp0(drive, "/") != 0 ? drive : NULL);
		cb_json_add_string(b, "device", device);
		cb_json_add_int(b, "uid", cb_dbus_job_get_started_by_uid(job));
		cb_json_add_boolean(b, "cancelable", cb_dbus_job_get_cancelable(job));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	cb_json_print(b, TRUE);
}

/* parses "cryptburn COMMAND [--json] [-q] [JOB]": json and quiet are
 * offered when not NULL */
static gboolean
cb_jobs_parse(int *argc,
	      char ***argv,
	      const gchar *parameter,
	      const gchar *summary,
	      gboolean *json,
	      gboolean *quiet,
	      gchar ***rest,
	      GError **error)
{
	g_autoptr(GOptionContext) context = g_option_context_new(parameter);
	g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
	const GOptionEntry json_entry = {
		"json", 0, 0, G_OPTION_ARG_NONE, json, N_("Print as JSON"), NULL
	};
	const GOptionEntry quiet_entry = {
		"quiet", 'q', 0, G_OPTION_ARG_NONE, quiet, N_("No progress display"), NULL
	};
	const GOptionEntry rest_entry = {
		G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, rest, NULL, NULL
	};

	g_option_context_set_summary(context, summary);
	g_option_context_set_description(context, cb_exit_help());
	if (json != NULL)
		g_array_append_val(entries, json_entry);
	if (quiet != NULL)
		g_array_append_val(entries, quiet_entry);
	g_array_append_val(entries, rest_entry);
	return cb_config_parse(context, (const GOptionEntry *) entries->data, argc, argv, error);
}

/* exactly one JOB argument (want_job) or none */
static gboolean
cb_jobs_check_args(gchar **rest, gboolean want_job, GError **error)
{
	guint n = rest != NULL ? g_strv_length(rest) : 0;

	if (want_job && n != 1) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name exactly one JOB: its number or object path"));
		return FALSE;
	}
	if (!want_job && n != 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    _("unexpected argument “%s”"), rest[0]);
		return FALSE;
	}
	return TRUE;
}

int
cb_cmd_jobs(int argc, char **argv)
{
	gboolean json = FALSE;
	g_auto(GStrv) rest = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	GList *jobs;

	if (!cb_jobs_parse(&argc, &argv, NULL,
			   _("Lists the jobs of the cryptburn service: running, queued, or "
			     "ended in the last minute."),
			   &json, NULL, &rest, &error) ||
	    !cb_jobs_check_args(rest, FALSE, &error))
		return cb_exit_report(error);
	client = cb_client_new(CB_CLIENT_NONE, &error);
	if (client == NULL)
		return cb_exit_report(error);
	jobs = cb_client_list(client, CB_JOB_INTERFACE);
	if (json)
		cb_jobs_print_json(client, jobs);
	else if (jobs == NULL)
		g_print("%s\n", _("No jobs."));
	else
		cb_jobs_print_text(client, jobs);
	g_list_free_full(jobs, g_object_unref);
	return CB_EXIT_OK;
}

int
cb_cmd_watch(int argc, char **argv)
{
	gboolean json = FALSE, quiet = FALSE;
	g_auto(GStrv) rest = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	g_autoptr(CbDBusJob) job = NULL;
	g_autoptr(CbFollow) follow = NULL;
	CbFollowFlags flags;

	if (!cb_jobs_parse(&argc, &argv, _("JOB"),
			   _("Follows a job of the cryptburn service to its end, and exits with "
			     "its result.\nCtrl-C stops watching; the job goes on."),
			   &json, &quiet, &rest, &error) ||
	    !cb_jobs_check_args(rest, TRUE, &error))
		return cb_exit_report(error);
	flags = (json ? CB_FOLLOW_JSON : 0) | (quiet ? CB_FOLLOW_QUIET : 0);
	client = cb_client_new(CB_CLIENT_NONE, &error);
	if (client == NULL)
		return cb_follow_report_failure(flags, error);
	job = cb_client_find_job(client, rest[0], &error);
	if (job == NULL)
		return cb_follow_report_failure(flags, error);
	follow = cb_follow_new(client, NULL, flags);
	return cb_follow_run(follow, g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)));
}

int
cb_cmd_cancel(int argc, char **argv)
{
	g_auto(GStrv) rest = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	g_autoptr(CbDBusJob) job = NULL;
	g_autoptr(GVariant) reply = NULL;

	if (!cb_jobs_parse(&argc, &argv, _("JOB"),
			   _("Cancels a job of the cryptburn service. A write-once disc being "
			     "written is unusable afterwards.\nOther users' jobs need an "
			     "administrator's consent."),
			   NULL, NULL, &rest, &error) ||
	    !cb_jobs_check_args(rest, TRUE, &error))
		return cb_exit_report(error);
	client = cb_client_new(CB_CLIENT_AUTHORIZE, &error);
	if (client == NULL)
		return cb_exit_report(error);
	job = cb_client_find_job(client, rest[0], &error);
	if (job == NULL)
		return cb_exit_report(error);
	reply = cb_client_call_sync(
	    client, g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)), CB_JOB_INTERFACE, "Cancel",
	    g_variant_new("(@a{sv})", g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)), NULL,
	    &error);
	if (reply == NULL)
		return cb_exit_report(error);
	return CB_EXIT_OK;
}
