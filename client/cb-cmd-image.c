/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-error.h"
#include "cb-exit.h"
#include "cb-format.h"
#include "cb-iso.h"
#include "cb-output.h"
#include "cb-passphrase.h"
#include "cb-pipeline.h"
#include "cb-progress.h"
#include "cb-volume-id.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* progress redraws per second on a terminal */
#define CB_IMAGE_PROGRESS_MS 250

typedef struct {
	gchar *format;
	gchar *output;
	gchar *volume_id;
	gchar *serial;
	gchar *application_id;
	gchar *publisher;
	gchar *preparer;
	gchar *system_id;
	gchar **grafts;
	gchar *passphrase_file;
	gint passphrase_fd;
	gint iter_time;
	gint pbkdf_memory;
	gint pbkdf_iterations;
	gboolean force;
	gboolean json;
	gboolean quiet;
	gboolean allow_weak;
	gboolean no_md5;
	gchar **sources;
} CbImageArgs;

static void
cb_image_args_clear(CbImageArgs *args)
{
	g_free(args->format);
	g_free(args->output);
	g_free(args->volume_id);
	g_free(args->serial);
	g_free(args->application_id);
	g_free(args->publisher);
	g_free(args->preparer);
	g_free(args->system_id);
	g_strfreev(args->grafts);
	g_free(args->passphrase_file);
	g_strfreev(args->sources);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbImageArgs, cb_image_args_clear)

/* what the worker does and what the main thread watches */
typedef enum {
	CB_IMAGE_PHASE_DERIVING, /* argon2id/pbkdf2: nothing on disk yet */
	CB_IMAGE_PHASE_WRITING,
	CB_IMAGE_PHASE_DONE,
} CbImagePhase;

typedef struct {
	const CbImageArgs *args;
	const CbFormatDesc *desc;
	CbIsoBuilder *builder;
	CbMetadata *metadata;
	CbSecret *passphrase; /* freed by the worker once the header is made */
	GCancellable *cancellable;
	CbProgress *progress;
	/* set by the worker */
	gint phase; /* CbImagePhase, atomic */
	CbFormat *format;
	CbIsoStream *stream;
	CbOutput *output;
	CbPipeline *pipeline; /* atomic: read by the progress tick */
	GError *error;
} CbImageRun;

static gboolean
cb_image_work(CbImageRun *run, GError **error)
{
	const CbImageArgs *args = run->args;
	CbFormatParams params = {
		.passphrase = run->passphrase,
		.metadata = run->metadata,
		.iter_time_ms = (guint) args->iter_time,
		.pbkdf_memory_kb = (guint) args->pbkdf_memory,
		.pbkdf_iterations = (guint) args->pbkdf_iterations,
	};
	CbPipeline *pipeline;

	run->format = run->desc->create(&params, error);
	g_clear_pointer(&run->passphrase, cb_secret_free);
	if (run->format == NULL)
		return FALSE;
	g_atomic_int_set(&run->phase, CB_IMAGE_PHASE_WRITING);
	if (g_cancellable_set_error_if_cancelled(run->cancellable, error))
		return FALSE;

	run->stream = cb_iso_builder_start(run->builder, error);
	if (run->stream == NULL)
		return FALSE;
	run->output = cb_output_open(args->output, args->force,
				     g_bytes_get_size(cb_format_get_header(run->format)) +
					 cb_iso_stream_get_size(run->stream),
				     error);
	if (run->output == NULL)
		return FALSE;
	pipeline = cb_pipeline_new_for_iso(run->stream, run->format,
					   (CbSinkWriteFunc) cb_output_write, run->output);
	if (args->json)
		cb_pipeline_set_checksum(pipeline, G_CHECKSUM_SHA256);
	g_atomic_pointer_set(&run->pipeline, pipeline);
	return cb_pipeline_run(pipeline, run->cancellable, error) &&
	       cb_output_commit(run->output, error);
}

static gpointer
cb_image_worker(gpointer data)
{
	CbImageRun *run = data;
	cb_image_work(run, &run->error);
	g_atomic_int_set(&run->phase, CB_IMAGE_PHASE_DONE);
	g_main_context_wakeup(NULL);
	return NULL;
}

static gboolean
cb_image_on_tick(gpointer data)
{
	CbImageRun *run = data;
	CbPipeline *pipeline = g_atomic_pointer_get(&run->pipeline);
	if (pipeline != NULL)
		cb_progress_update(run->progress, cb_pipeline_get_done(pipeline),
				   cb_pipeline_get_total(pipeline));
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_image_on_signal(gpointer data)
{
	CbImageRun *run = data;

	/* key derivation cannot be interrupted and has written nothing yet:
	 * leave at once instead of after seconds of argon2id; the kernel
	 * drops the in-memory header and the locked pages with the process */
	if (g_atomic_int_get(&run->phase) == CB_IMAGE_PHASE_DERIVING) {
		cb_progress_finish(run->progress);
		g_printerr(_("cryptburn: interrupted; nothing was left behind\n"));
		_exit(CB_EXIT_INTERRUPTED);
	}
	g_cancellable_cancel(run->cancellable);
	return G_SOURCE_CONTINUE;
}

static void
cb_image_on_warning(const gchar *message, gpointer data)
{
	const CbImageArgs *args = data;
	if (!args->quiet)
		g_printerr(_("cryptburn: warning: %s\n"), message);
}

static CbSecret *
cb_image_get_passphrase(const CbImageArgs *args, GError **error)
{
	if (args->passphrase_file != NULL && args->passphrase_fd >= 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("use either --passphrase-file or --passphrase-fd, not both"));
		return NULL;
	}
	if (args->passphrase_file != NULL)
		return cb_passphrase_read_file(args->passphrase_file, error);
	if (args->passphrase_fd >= 0)
		return cb_passphrase_read_fd(args->passphrase_fd, error);
	return cb_passphrase_prompt(_("Passphrase for the new image: "), TRUE, error);
}

static void
cb_image_print_json(const CbImageArgs *args,
		    CbFormat *format,
		    CbPipeline *pipeline,
		    guint64 iso_size,
		    const CbMetadata *metadata)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *created = cb_metadata_format_created(metadata);
	g_autofree gchar *text = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "output");
	json_builder_add_string_value(b, args->output);
	json_builder_set_member_name(b, "format");
	json_builder_add_string_value(b, cb_format_get_desc(format)->name);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64) cb_pipeline_get_total(pipeline));
	json_builder_set_member_name(b, "data_offset");
	json_builder_add_int_value(b, (gint64) g_bytes_get_size(cb_format_get_header(format)));
	json_builder_set_member_name(b, "iso_size");
	json_builder_add_int_value(b, (gint64) iso_size);
	json_builder_set_member_name(b, "volume_id");
	json_builder_add_string_value(b, metadata->volume_id);
	json_builder_set_member_name(b, "serial");
	if (metadata->serial != NULL)
		json_builder_add_string_value(b, metadata->serial);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, created);
	json_builder_set_member_name(b, "sha256");
	json_builder_add_string_value(b, cb_pipeline_get_checksum(pipeline));
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, TRUE);
	g_print("%s\n", text);
}

/* derives the key and writes the image on a worker thread while the main
 * thread shows progress and turns Ctrl-C into a cancellation */
static gboolean
cb_image_run(CbImageRun *run, GError **error)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(CbProgress) progress = cb_progress_new(_("Writing"), !run->args->quiet);
	gboolean on_tty = !run->args->quiet && isatty(STDERR_FILENO);
	guint sources[4];
	GThread *thread;

	run->cancellable = cancellable;
	run->progress = progress;
	sources[0] = g_unix_signal_add(SIGINT, cb_image_on_signal, run);
	sources[1] = g_unix_signal_add(SIGTERM, cb_image_on_signal, run);
	sources[2] = g_unix_signal_add(SIGHUP, cb_image_on_signal, run);
	sources[3] = g_timeout_add(CB_IMAGE_PROGRESS_MS, cb_image_on_tick, run);
	/* argon2id takes its seconds on purpose; say so rather than sit silent */
	if (on_tty)
		g_printerr(_("Protecting the key with the passphrase…\r"));
	thread = g_thread_new("cryptburn-image", cb_image_worker, run);
	while (g_atomic_int_get(&run->phase) != CB_IMAGE_PHASE_DONE)
		g_main_context_iteration(NULL, TRUE);
	g_thread_join(thread);
	for (guint i = 0; i < G_N_ELEMENTS(sources); i++)
		g_source_remove(sources[i]);
	cb_progress_finish(progress);
	if (on_tty)
		g_printerr("\33[K");
	run->cancellable = NULL;
	run->progress = NULL;

	if (run->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&run->error));
		return FALSE;
	}
	return TRUE;
}

static void
cb_image_run_clear(CbImageRun *run)
{
	g_clear_pointer(&run->pipeline, cb_pipeline_free);
	g_clear_pointer(&run->output, cb_output_free);
	g_clear_pointer(&run->stream, cb_iso_stream_free);
	g_clear_pointer(&run->format, cb_format_free);
	g_clear_pointer(&run->passphrase, cb_secret_free);
	g_clear_error(&run->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbImageRun, cb_image_run_clear)

static CbMetadata *
cb_image_metadata(const CbImageArgs *args)
{
	CbMetadata *metadata = cb_metadata_new();
	metadata->serial = g_strdup(args->serial);
	if (args->volume_id != NULL) {
		metadata->volume_id = g_strdup(args->volume_id);
	} else {
		metadata->volume_id = cb_volume_id_default((const gchar *const *) args->sources);
	}
	return metadata;
}

static gboolean
cb_image_validate(const CbImageArgs *args, GError **error)
{
	if ((args->sources == NULL || args->sources[0] == NULL) && args->grafts == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name at least one SOURCE to put in the image"));
		return FALSE;
	}
	/* "" would mean the current directory to every path function */
	for (guint i = 0; args->sources != NULL && args->sources[i] != NULL; i++) {
		if (args->sources[i][0] == '\0') {
			g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    _("a SOURCE is an empty name"));
			return FALSE;
		}
	}
	if (args->output == NULL || args->output[0] == '\0') {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name the image to write with -o IMAGE"));
		return FALSE;
	}
	if (args->json && g_strcmp0(args->output, "-") == 0) {
		g_set_error_literal(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    _("--json prints on standard output, so it cannot go with -o -"));
		return FALSE;
	}
	if (args->iter_time < 0 || args->pbkdf_memory < 0 || args->pbkdf_iterations < 0) {
		g_set_error_literal(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
		    _("--iter-time, --pbkdf-memory and --pbkdf-force-iterations take "
		      "positive numbers"));
		return FALSE;
	}
	if (args->serial != NULL && (args->serial[0] == '\0' || strlen(args->serial) > 128)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("--serial must be 1 to 128 characters"));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_image_execute(CbImageArgs *args, GError **error)
{
	const CbFormatDesc *desc;
	g_autoptr(CbMetadata) metadata = NULL;
	g_autoptr(CbIsoBuilder) builder = NULL;
	g_auto(CbImageRun) run = { .args = args };
	CbIsoOptions iso_options = { 0 };

	if (!cb_image_validate(args, error))
		return FALSE;
	desc =
	    cb_format_lookup(args->format != NULL ? args->format : cb_format_default_name(), error);
	if (desc == NULL)
		return FALSE;
	if (desc->weak && !args->quiet)
		g_printerr(_("cryptburn: warning: %s: %s\n"), desc->name, cb_format_weak_warning());
	metadata = cb_image_metadata(args);
	if (desc->check_metadata != NULL && !desc->check_metadata(metadata, error))
		return FALSE;

	/* everything that can be refused is refused before the passphrase is asked */
	if (!cb_output_check(args->output, args->force, error))
		return FALSE;
	iso_options.volume_id = metadata->volume_id;
	iso_options.application_id = args->application_id;
	iso_options.publisher = args->publisher;
	iso_options.preparer = args->preparer;
	iso_options.system_id = args->system_id;
	iso_options.no_md5 = args->no_md5;
	builder = cb_iso_builder_new(&iso_options, error);
	if (builder == NULL)
		return FALSE;
	cb_iso_builder_set_warning_func(builder, cb_image_on_warning, args);
	for (guint i = 0; args->sources != NULL && args->sources[i] != NULL; i++) {
		if (!cb_iso_builder_add_source(builder, args->sources[i], error))
			return FALSE;
	}
	for (guint i = 0; args->grafts != NULL && args->grafts[i] != NULL; i++) {
		if (!cb_iso_builder_add_graft_spec(builder, args->grafts[i], error))
			return FALSE;
	}

	run.passphrase = cb_image_get_passphrase(args, error);
	if (run.passphrase == NULL || !cb_passphrase_check(run.passphrase, args->allow_weak, error))
		return FALSE;
	run.desc = desc;
	run.builder = builder;
	run.metadata = metadata;
	if (!cb_image_run(&run, error))
		return FALSE;
	if (args->json)
		cb_image_print_json(args, run.format, run.pipeline,
				    cb_iso_stream_get_size(run.stream), metadata);
	return TRUE;
}

int
cb_cmd_image(int argc, char **argv)
{
	g_auto(CbImageArgs) args = { .passphrase_fd = -1 };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *summary = NULL;
	g_autofree gchar *formats = NULL;
	const GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &args.output,
		  N_("Write the encrypted image to IMAGE (- for standard output)"), N_("IMAGE") },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &args.format,
		  N_("Encryption format (default luks2)"), N_("FORMAT") },
		{ "volume-id", 0, 0, G_OPTION_ARG_STRING, &args.volume_id,
		  N_("ISO volume id and LUKS2 label, up to 32 characters"), N_("ID") },
		{ "serial", 0, 0, G_OPTION_ARG_STRING, &args.serial,
		  N_("Serial recorded in the header, readable without the passphrase"), N_("S") },
		{ "application-id", 0, 0, G_OPTION_ARG_STRING, &args.application_id,
		  N_("ISO application id"), N_("TEXT") },
		{ "publisher", 0, 0, G_OPTION_ARG_STRING, &args.publisher, N_("ISO publisher id"),
		  N_("TEXT") },
		{ "preparer", 0, 0, G_OPTION_ARG_STRING, &args.preparer, N_("ISO data preparer id"),
		  N_("TEXT") },
		{ "system-id", 0, 0, G_OPTION_ARG_STRING, &args.system_id, N_("ISO system id"),
		  N_("TEXT") },
		{ "graft", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.grafts,
		  N_("Put LOCAL at DISC/PATH in the image (repeatable)"), N_("DISC/PATH=LOCAL") },
		{ "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &args.passphrase_file,
		  N_("Read the passphrase from the first line of FILE"), N_("FILE") },
		{ "passphrase-fd", 0, 0, G_OPTION_ARG_INT, &args.passphrase_fd,
		  N_("Read the passphrase from the first line of file descriptor N"), N_("N") },
		{ "allow-weak-passphrase", 0, 0, G_OPTION_ARG_NONE, &args.allow_weak,
		  N_("Accept a passphrase that fails the strength check"), NULL },
		{ "iter-time", 0, 0, G_OPTION_ARG_INT, &args.iter_time,
		  N_("Milliseconds of key stretching when unlocking (default 2000)"), N_("MS") },
		{ "pbkdf-memory", 0, 0, G_OPTION_ARG_INT, &args.pbkdf_memory,
		  N_("Most memory argon2id may use, in KiB (default up to 1 GiB)"), N_("KIB") },
		{ "pbkdf-force-iterations", 0, 0, G_OPTION_ARG_INT, &args.pbkdf_iterations,
		  N_("Fixed key-stretching iterations instead of timing them"), N_("N") },
		{ "no-md5", 0, 0, G_OPTION_ARG_NONE, &args.no_md5,
		  N_("Leave out the ISO MD5 tags (faster, but xorriso -check_media cannot verify)"),
		  NULL },
		{ "force", 'f', 0, G_OPTION_ARG_NONE, &args.force,
		  N_("Replace IMAGE if it exists (only once the new one is complete)"), NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &args.json,
		  N_("Print a report as JSON: size, format, serial, SHA-256"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet,
		  N_("No progress and no warnings"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.sources, NULL,
		  NULL },
		{ NULL },
	};
	g_autoptr(GString) formats_help = g_string_new(_("Formats:\n"));

	for (const CbFormatDesc *const *f = cb_format_list(); *f != NULL; f++)
		g_string_append_printf(formats_help, "  %-8s %s\n", (*f)->name, (*f)->summary);
	summary =
	    g_strdup(_("Makes an encrypted disc image of the SOURCEs: a directory's contents go "
		       "to the image root,\na file goes to the root. The passphrase is asked "
		       "twice on the terminal unless\n--passphrase-file or --passphrase-fd is "
		       "given. No daemon and no root rights are needed."));
	formats = g_strdup_printf("%s\n%s", formats_help->str, cb_exit_help());

	context = g_option_context_new(_("SOURCE… -o IMAGE"));
	g_option_context_set_summary(context, summary);
	g_option_context_set_description(context, formats);
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return cb_exit_report(error);
	if (!cb_image_execute(&args, &error))
		return cb_exit_report(error);
	return CB_EXIT_OK;
}
