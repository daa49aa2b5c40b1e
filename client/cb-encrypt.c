/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-encrypt.h"

#include "cb-armor.h"
#include "cb-error.h"
#include "cb-exit.h"
#include "cb-format-loop-aes.h"
#include "cb-output.h"
#include "cb-passphrase.h"
#include "cb-pinentry.h"
#include "cb-progress.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* progress redraws per second on a terminal */
#define CB_ENCRYPT_PROGRESS_MS 250
/* an armored key file is about 11 KiB; anything far bigger is not one */
#define CB_KEY_FILE_MAX (64 * 1024)

void
cb_encrypt_args_clear(CbEncryptArgs *args)
{
	cb_crypt_args_clear(&args->crypt);
	g_free(args->output);
}

GOptionEntry *
cb_encrypt_args_entries(CbEncryptArgs *args, const GOptionEntry *own)
{
	const GOptionEntry output_entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &args->output,
		  N_("Write the encrypted image to IMAGE (- for standard output)"), N_("IMAGE") },
		{ "force", 'f', 0, G_OPTION_ARG_NONE, &args->force,
		  N_("Replace IMAGE if it exists (only once the new one is complete)"), NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &args->json,
		  N_("Print a report as JSON: size, format, serial, SHA-256"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args->quiet,
		  N_("No progress and no warnings"), NULL },
	};
	GArray *entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
	guint n_own = 0;

	while (own[n_own].long_name != NULL)
		n_own++;
	/* one table, so that config files and --help see every option */
	g_array_append_vals(entries, own, n_own);
	g_array_append_vals(entries, output_entries, G_N_ELEMENTS(output_entries));
	cb_crypt_args_add_entries(&args->crypt, entries, FALSE);
	return (GOptionEntry *) g_array_free(entries, FALSE);
}

gchar *
cb_encrypt_formats_help(void)
{
	g_autoptr(GString) help = g_string_new(_("Formats:\n"));

	for (const CbFormatDesc *const *f = cb_format_list(); *f != NULL; f++)
		g_string_append_printf(help, "  %-10s %s\n", (*f)->name, (*f)->summary);
	return g_string_free(g_steal_pointer(&help), FALSE);
}

/* an existing key file, read as the user; NULL with no error when there
 * is none yet (a new one will be written) */
static GBytes *
cb_encrypt_read_key_file(const gchar *path, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gsize start, end;
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return NULL;
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the key file %s: %s"),
			    path, g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CB_KEY_FILE_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("%s is not a loop-AES key file (an armored GnuPG message)"), path);
		return NULL;
	}
	if (!g_file_get_contents(path, &contents, &len, &error_local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the key file: %s"),
			    error_local->message);
		return NULL;
	}
	/* an empty file is a place for a new key file, made beforehand */
	if (len == 0)
		return NULL;
	if (!cb_armor_find((const guint8 *) contents, len, &start, &end)) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("%s is not a loop-AES key file (an armored GnuPG message)"), path);
		return NULL;
	}
	return g_bytes_new(contents + start, end - start);
}

static gboolean
cb_encrypt_validate(const CbEncryptArgs *args, GError **error)
{
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
	if (g_strcmp0(args->crypt.keyfile, args->output) == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("--keyfile must name a file other than the image"));
		return FALSE;
	}
	return cb_crypt_args_validate(&args->crypt, error);
}

const CbFormatDesc *
cb_encrypt_prepare(const CbEncryptArgs *args, CbMetadata *metadata, GError **error)
{
	const CbFormatDesc *desc;

	if (!cb_encrypt_validate(args, error))
		return NULL;
	desc = cb_format_lookup(
	    args->crypt.format != NULL ? args->crypt.format : cb_format_default_name(), error);
	if (desc == NULL)
		return NULL;
	if (desc->weak && !args->quiet)
		g_printerr(_("cryptburn: warning: %s: %s\n"), desc->name, cb_format_weak_warning());

	metadata->serial = g_strdup(args->crypt.serial);
	if (args->crypt.checksum != NULL && g_strcmp0(args->crypt.checksum, "none") != 0)
		metadata->checksum_type = g_strdup(args->crypt.checksum);
	if (args->crypt.noinfo && (metadata->serial != NULL || metadata->checksum_type != NULL)) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("--noinfo records nothing readable without the passphrase, so "
		      "it cannot go with --serial or --checksum"));
		return NULL;
	}
	if (desc->check_metadata != NULL && !desc->check_metadata(metadata, error))
		return NULL;

	if (args->crypt.keyfile != NULL) {
		g_autoptr(GBytes) existing = NULL;
		g_autoptr(GError) error_local = NULL;

		if (desc != &cb_format_loop_aes) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("--keyfile is for --format loop-aes; %s keeps its keys in its "
			      "header"),
			    desc->name);
			return NULL;
		}
		existing = cb_encrypt_read_key_file(args->crypt.keyfile, &error_local);
		if (error_local != NULL) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		if (existing != NULL && !cb_loop_aes_check_reuse(metadata, error))
			return NULL;
		if (existing == NULL && !cb_output_check(args->crypt.keyfile, TRUE, error))
			return NULL;
	} else if (metadata->checksum_type != NULL && g_strcmp0(args->output, "-") == 0) {
		/* the checksum goes into the header, known only at the end */
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("a checksum is recorded in the image's header once the rest is "
		      "written, which standard output cannot take back; use -o FILE"));
		return NULL;
	}
	if (!cb_output_check(args->output, args->force, error))
		return NULL;
	return desc;
}

/* what the worker does and what the main thread watches */
typedef enum {
	CB_ENCRYPT_PHASE_DERIVING, /* argon2id/pbkdf2/gpg s2k: nothing on disk yet */
	CB_ENCRYPT_PHASE_WRITING,
	CB_ENCRYPT_PHASE_DONE,
} CbEncryptPhase;

typedef struct {
	const CbEncryptArgs *args;
	const CbFormatDesc *desc;
	const CbEncryptSource *source;
	CbMetadata *metadata;
	CbSecret *passphrase; /* freed by the worker once the header is made */
	GBytes *key_file;     /* an existing key file to reuse */
	GCancellable *cancellable;
	CbProgress *progress;
	/* set by the worker */
	gint phase; /* CbEncryptPhase, atomic */
	CbFormat *format;
	gboolean source_open;
	CbOutput *output;
	CbPipeline *pipeline; /* atomic: read by the progress tick */
	gchar *sha256;	      /* of the whole image, for --json */
	GError *error;
} CbEncryptRun;

static gboolean
cb_encrypt_write_key_file(CbEncryptRun *run, GError **error)
{
	GBytes *key_file = cb_format_get_key_file(run->format);
	g_autoptr(CbOutput) output = NULL;

	/* a reused key file is left as it was */
	if (key_file == NULL || run->key_file != NULL)
		return TRUE;
	output = cb_output_open(run->args->crypt.keyfile, TRUE, g_bytes_get_size(key_file), error);
	return output != NULL &&
	       cb_output_write(output, g_bytes_get_data(key_file, NULL), g_bytes_get_size(key_file),
			       error) &&
	       cb_output_commit(output, error);
}

/* what only the finished payload tells: its checksum, into the header
 * (written again at the start) or the key file */
static gboolean
cb_encrypt_seal(CbEncryptRun *run, CbPipeline *pipeline, GError **error)
{
	GBytes *header;

	if (!cb_pipeline_seal(pipeline, run->metadata, error))
		return FALSE;
	if (run->metadata->checksum == NULL || !cb_format_checksum_in_header(run->format))
		return TRUE;
	header = cb_format_get_header(run->format);
	if (!cb_output_rewrite_start(run->output, g_bytes_get_data(header, NULL),
				     g_bytes_get_size(header), error))
		return FALSE;
	if (run->args->json) {
		run->sha256 = cb_output_checksum(run->output, G_CHECKSUM_SHA256, error);
		return run->sha256 != NULL;
	}
	return TRUE;
}

static gboolean
cb_encrypt_work(CbEncryptRun *run, GError **error)
{
	const CbEncryptArgs *args = run->args;
	CbFormatParams params = {
		.passphrase = run->passphrase,
		.metadata = run->metadata,
		.iter_time_ms = (guint) args->crypt.iter_time,
		.pbkdf_memory_kb = (guint) args->crypt.pbkdf_memory,
		.pbkdf_iterations = (guint) args->crypt.pbkdf_iterations,
		.separate_key = args->crypt.keyfile != NULL,
		.key_file = run->key_file,
		.noinfo = args->crypt.noinfo,
	};
	CbSourceReadFunc read = NULL;
	gpointer source = NULL;
	guint64 size = 0;
	CbPipeline *pipeline;

	run->format = run->desc->create(&params, error);
	g_clear_pointer(&run->passphrase, cb_secret_free);
	if (run->format == NULL)
		return FALSE;
	g_atomic_int_set(&run->phase, CB_ENCRYPT_PHASE_WRITING);
	if (g_cancellable_set_error_if_cancelled(run->cancellable, error))
		return FALSE;

	if (!run->source->open(run->source->data, &read, &source, &size, error))
		return FALSE;
	run->source_open = TRUE;
	run->output =
	    cb_output_open(args->output, args->force,
			   g_bytes_get_size(cb_format_get_header(run->format)) + size, error);
	if (run->output == NULL)
		return FALSE;
	pipeline = cb_pipeline_new(read, source, size, run->format,
				   (CbSinkWriteFunc) cb_output_write, run->output);
	if (args->json)
		cb_pipeline_set_checksum(pipeline, G_CHECKSUM_SHA256);
	cb_pipeline_record_checksum(pipeline, run->metadata);
	g_atomic_pointer_set(&run->pipeline, pipeline);
	if (!cb_pipeline_run(pipeline, run->cancellable, error) ||
	    !cb_encrypt_seal(run, pipeline, error))
		return FALSE;
	if (run->sha256 == NULL && args->json)
		run->sha256 = g_strdup(cb_pipeline_get_checksum(pipeline));
	/* the key file first: an image without its keys would be lost */
	return cb_encrypt_write_key_file(run, error) && cb_output_commit(run->output, error);
}

static gpointer
cb_encrypt_worker(gpointer data)
{
	CbEncryptRun *run = data;
	cb_encrypt_work(run, &run->error);
	g_atomic_int_set(&run->phase, CB_ENCRYPT_PHASE_DONE);
	g_main_context_wakeup(NULL);
	return NULL;
}

static gboolean
cb_encrypt_on_tick(gpointer data)
{
	CbEncryptRun *run = data;
	CbPipeline *pipeline = g_atomic_pointer_get(&run->pipeline);
	if (pipeline != NULL)
		cb_progress_update(run->progress, cb_pipeline_get_done(pipeline),
				   cb_pipeline_get_total(pipeline));
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_encrypt_on_signal(gpointer data)
{
	CbEncryptRun *run = data;

	/* key derivation cannot be interrupted and has written nothing yet:
	 * leave at once instead of after seconds of argon2id; the kernel
	 * drops the in-memory header and the locked pages with the process */
	if (g_atomic_int_get(&run->phase) == CB_ENCRYPT_PHASE_DERIVING) {
		cb_progress_finish(run->progress);
		g_printerr(_("cryptburn: interrupted; nothing was left behind\n"));
		_exit(CB_EXIT_INTERRUPTED);
	}
	g_cancellable_cancel(run->cancellable);
	return G_SOURCE_CONTINUE;
}

/* derives the key and writes the image on a worker thread while the main
 * thread shows progress and turns Ctrl-C into a cancellation */
static gboolean
cb_encrypt_run_thread(CbEncryptRun *run, GError **error)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(CbProgress) progress = cb_progress_new(_("Writing"), !run->args->quiet);
	gboolean on_tty = !run->args->quiet && isatty(STDERR_FILENO);
	guint sources[4];
	GThread *thread;

	run->cancellable = cancellable;
	run->progress = progress;
	sources[0] = g_unix_signal_add(SIGINT, cb_encrypt_on_signal, run);
	sources[1] = g_unix_signal_add(SIGTERM, cb_encrypt_on_signal, run);
	sources[2] = g_unix_signal_add(SIGHUP, cb_encrypt_on_signal, run);
	sources[3] = g_timeout_add(CB_ENCRYPT_PROGRESS_MS, cb_encrypt_on_tick, run);
	/* argon2id takes its seconds on purpose; say so rather than sit silent */
	if (on_tty)
		g_printerr("%s\r", _("Protecting the key with the passphrase…"));
	thread = g_thread_new("cryptburn-encrypt", cb_encrypt_worker, run);
	while (g_atomic_int_get(&run->phase) != CB_ENCRYPT_PHASE_DONE)
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
cb_encrypt_run_clear(CbEncryptRun *run)
{
	g_clear_pointer(&run->pipeline, cb_pipeline_free);
	g_clear_pointer(&run->output, cb_output_free);
	if (run->source_open && run->source->close != NULL)
		run->source->close(run->source->data);
	g_clear_pointer(&run->format, cb_format_free);
	g_clear_pointer(&run->passphrase, cb_secret_free);
	g_clear_pointer(&run->key_file, g_bytes_unref);
	g_clear_pointer(&run->sha256, g_free);
	g_clear_error(&run->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbEncryptRun, cb_encrypt_run_clear)

/* without a terminal (a script, a launcher): a pinentry window says
 * what the passphrase is for, since no command line is in sight */
static CbSecret *
cb_encrypt_ask_pinentry(const CbEncryptArgs *args, gboolean reuse, GError **error)
{
	const gchar *output =
	    g_strcmp0(args->output, "-") == 0 ? _("standard output") : args->output;
	g_autofree gchar *desc =
	    reuse ? g_strdup_printf(_("Passphrase of the key file %s, for the encrypted image %s"),
				    args->crypt.keyfile, output)
		  : g_strdup_printf(_("Passphrase for the new encrypted image %s"), output);
	CbPinentryRequest request = { .description = desc,
				      .prompt = _("Passphrase:"),
				      .confirm = !reuse };

	return cb_pinentry_ask(&request, NULL, error);
}

static CbSecret *
cb_encrypt_get_passphrase(const CbEncryptArgs *args, gboolean reuse, GError **error)
{
	g_autoptr(CbSecret) passphrase = NULL;

	if (args->crypt.passphrase_file != NULL)
		passphrase = cb_passphrase_read_file(args->crypt.passphrase_file, error);
	else if (args->crypt.passphrase_fd >= 0)
		passphrase = cb_passphrase_read_fd(args->crypt.passphrase_fd, error);
	else if (cb_pinentry_wanted())
		passphrase = cb_encrypt_ask_pinentry(args, reuse, error);
	else if (reuse)
		/* the key file's passphrase exists already: gpg says if it is wrong */
		passphrase = cb_passphrase_prompt(_("Passphrase of the key file: "), FALSE, error);
	else
		passphrase = cb_passphrase_prompt(_("Passphrase for the new image: "), TRUE, error);
	if (passphrase == NULL)
		return NULL;
	/* the strength check reads what was typed; the hex digits stand for
	 * bytes that may be anything */
	if (!reuse && !cb_passphrase_check(passphrase, args->crypt.allow_weak, error))
		return NULL;
	if (args->crypt.passphrase_hex)
		return cb_passphrase_decode_hex(passphrase, error);
	return g_steal_pointer(&passphrase);
}

static void
cb_encrypt_print_json(const CbEncryptArgs *args, CbEncryptRun *run)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *created = cb_metadata_format_created(run->metadata);
	g_autofree gchar *checksum = cb_metadata_format_checksum(run->metadata);
	g_autofree gchar *text = NULL;
	CbFormat *format = run->format;
	CbPipeline *pipeline = run->pipeline;

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
	json_builder_add_int_value(b, (gint64) cb_pipeline_get_payload_size(pipeline));
	json_builder_set_member_name(b, "volume_id");
	if (run->metadata->volume_id != NULL)
		json_builder_add_string_value(b, run->metadata->volume_id);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "serial");
	if (run->metadata->serial != NULL)
		json_builder_add_string_value(b, run->metadata->serial);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, created);
	json_builder_set_member_name(b, "keyfile");
	if (args->crypt.keyfile != NULL)
		json_builder_add_string_value(b, args->crypt.keyfile);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "keyfile_reused");
	json_builder_add_boolean_value(b, run->key_file != NULL);
	json_builder_set_member_name(b, "checksum");
	if (checksum != NULL)
		json_builder_add_string_value(b, checksum);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "sha256");
	json_builder_add_string_value(b, run->sha256);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, TRUE);
	g_print("%s\n", text);
}

gboolean
cb_encrypt_run(const CbEncryptArgs *args,
	       const CbFormatDesc *desc,
	       CbMetadata *metadata,
	       const CbEncryptSource *source,
	       GError **error)
{
	g_auto(CbEncryptRun) run = { .args = args, .desc = desc, .source = source };
	g_autoptr(GError) error_local = NULL;

	run.metadata = metadata;
	if (args->crypt.keyfile != NULL) {
		run.key_file = cb_encrypt_read_key_file(args->crypt.keyfile, &error_local);
		if (error_local != NULL) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
	}
	run.passphrase = cb_encrypt_get_passphrase(args, run.key_file != NULL, error);
	if (run.passphrase == NULL)
		return FALSE;
	if (!cb_encrypt_run_thread(&run, error))
		return FALSE;
	if (args->json)
		cb_encrypt_print_json(args, &run);
	return TRUE;
}
