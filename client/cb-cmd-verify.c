/* SPDX-License-Identifier: GPL-3.0-or-later */
/* enciso --verify: the encrypted data's checksum, recomputed and compared
 * with the one recorded at creation; no passphrase needed */
#include "cb-commands.h"

#include "cb-config.h"
#include "cb-error.h"
#include "cb-exit.h"
#include "cb-format-loop-aes.h"
#include "cb-json.h"
#include "cb-progress.h"
#include "cb-term-escape.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#define CB_VERIFY_CHUNK (1024 * 1024)

typedef struct {
	gchar *keyfile;
	gboolean json;
	gboolean quiet;
	gchar **images;
} CbVerifyArgs;

static void
cb_verify_args_clear(CbVerifyArgs *args)
{
	g_free(args->keyfile);
	g_strfreev(args->images);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbVerifyArgs, cb_verify_args_clear)

/* what the image (or its key file) recorded */
static CbImageInfo *
cb_verify_read_record(const CbVerifyArgs *args, const gchar *path, GError **error)
{
	g_autoptr(CbImageInfo) info = NULL;
	g_autofree gchar *contents = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize len = 0;

	if (args->keyfile == NULL) {
		info = cb_image_info_read(path, error);
		if (info != NULL && g_strcmp0(info->format, "loop-aes key file") == 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("%s is a key file, not an image: name the image, with "
				      "--keyfile %s"),
				    path, path);
			return NULL;
		}
		return g_steal_pointer(&info);
	}
	if (!g_file_get_contents(args->keyfile, &contents, &len, &error_local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the key file: %s"),
			    error_local->message);
		return NULL;
	}
	bytes = g_bytes_new_take(g_steal_pointer(&contents), len);
	info = g_new0(CbImageInfo, 1);
	if (!cb_loop_aes_read_key_info(bytes, info, &error_local)) {
		if (!g_error_matches(error_local, CB_ERROR, CB_ERROR_NOT_SUPPORTED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("%s is not a loop-AES key file (an armored GnuPG message)"),
			    args->keyfile);
		return NULL;
	}
	/* with a separate key file the image is all data */
	info->data_offset = 0;
	return g_steal_pointer(&info);
}

static int
cb_verify_algo(const gchar *type)
{
	return g_strcmp0(type, "sha256") == 0 ? GCRY_MD_SHA256 : GCRY_MD_MD5;
}

/* hashes size bytes from offset (to the end when size is 0) */
static gchar *
cb_verify_hash(const gchar *path,
	       const gchar *type,
	       guint64 offset,
	       guint64 size,
	       gboolean show_progress,
	       GError **error)
{
	g_autoptr(CbProgress) progress = cb_progress_new(_("Verifying"), show_progress);
	g_autofree guint8 *buf = g_malloc(CB_VERIFY_CHUNK);
	g_autoptr(GString) hex = g_string_new(NULL);
	gcry_md_hd_t md = NULL;
	guint64 done = 0;
	guint64 total = size;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
			    g_strerror(errno));
		return NULL;
	}
	if (total == 0) {
		off_t end = lseek(fd, 0, SEEK_END);
		total = end > (off_t) offset ? (guint64) end - offset : 0;
	}
	gcry_md_open(&md, cb_verify_algo(type), 0);
	while (done < total) {
		gsize want = (gsize) MIN((guint64) CB_VERIFY_CHUNK, total - done);
		ssize_t n = pread(fd, buf, want, (off_t) (offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
					    _("cannot read %s: %s"), path, g_strerror(errno));
			else
				g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
					    _("%s ends after %llu bytes of data; %llu were "
					      "recorded"),
					    path, (unsigned long long) done,
					    (unsigned long long) total);
			gcry_md_close(md);
			close(fd);
			return NULL;
		}
		gcry_md_write(md, buf, (gsize) n);
		done += (guint64) n;
		cb_progress_update(progress, done, total);
	}
	cb_progress_finish(progress);
	close(fd);
	{
		const guint8 *raw = gcry_md_read(md, 0);
		guint len = gcry_md_get_algo_dlen(cb_verify_algo(type));
		for (guint i = 0; i < len; i++)
			g_string_append_printf(hex, "%02x", raw[i]);
	}
	gcry_md_close(md);
	return g_string_free(g_steal_pointer(&hex), FALSE);
}

static void
cb_verify_print_json(const gchar *path,
		     const CbMetadata *metadata,
		     const gchar *actual,
		     gboolean match)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *recorded =
	    metadata != NULL ? cb_metadata_format_checksum(metadata) : NULL;
	g_autofree gchar *computed =
	    actual != NULL ? g_strdup_printf("%s:%s", metadata->checksum_type, actual) : NULL;

	json_builder_begin_object(b);
	cb_json_add_string(b, "image", path);
	cb_json_add_string(b, "recorded", recorded);
	cb_json_add_string(b, "computed", computed);
	cb_json_add_int(b, "size", metadata != NULL ? (gint64) metadata->checksum_size : 0);
	cb_json_add_boolean(b, "match", match);
	json_builder_end_object(b);
	cb_json_print(b, TRUE);
}

static gboolean
cb_verify_execute(const CbVerifyArgs *args, GError **error)
{
	g_autoptr(CbImageInfo) info = NULL;
	g_autofree gchar *actual = NULL;
	const gchar *path;
	CbMetadata *metadata;
	gboolean match;

	if (args->images == NULL || args->images[0] == NULL || args->images[1] != NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name one IMAGE or DEVICE"));
		return FALSE;
	}
	path = args->images[0];
	info = cb_verify_read_record(args, path, error);
	if (info == NULL)
		return FALSE;
	metadata = info->metadata;
	if (metadata == NULL || metadata->checksum == NULL) {
		if (args->json)
			cb_verify_print_json(path, metadata, NULL, FALSE);
		g_set_error(error, CB_ERROR, CB_ERROR_NO_CHECKSUM,
			    _("%s records no checksum; it was made without --checksum"),
			    args->keyfile != NULL ? args->keyfile : path);
		return FALSE;
	}
	actual = cb_verify_hash(path, metadata->checksum_type, info->data_offset,
				metadata->checksum_size, !args->quiet && !args->json, error);
	if (actual == NULL) {
		if (args->json)
			cb_verify_print_json(path, metadata, NULL, FALSE);
		return FALSE;
	}
	match = g_ascii_strcasecmp(actual, metadata->checksum) == 0;
	if (args->json)
		cb_verify_print_json(path, metadata, actual, match);
	if (!match) {
		g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("%s does not match its checksum: recorded %s:%s, computed %s:%s"),
			    path, metadata->checksum_type, metadata->checksum,
			    metadata->checksum_type, actual);
		return FALSE;
	}
	if (!args->json && !args->quiet) {
		g_autofree gchar *safe_path = cb_term_escape(path, CB_TERM_ESCAPE_FIELD);
		g_print(_("%s: checksum matches (%s:%s)\n"), safe_path, metadata->checksum_type,
			actual);
	}
	return TRUE;
}

int
cb_cmd_verify(int argc, char **argv)
{
	g_auto(CbVerifyArgs) args = { 0 };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
		{ "keyfile", 0, 0, G_OPTION_ARG_FILENAME, &args.keyfile,
		  N_("The loop-aes key file that holds the checksum, when the image has none"),
		  N_("FILE") },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &args.json, N_("Print the result as JSON"),
		  NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet,
		  N_("No progress; only the exit status says"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.images, NULL, NULL },
		{ NULL },
	};

	context = g_option_context_new(_("IMAGE|DEVICE"));
	g_option_context_set_summary(
	    context, _("Recomputes the checksum of the encrypted data and compares it with the "
		       "one\nrecorded at creation (--checksum): in the LUKS2 token, the loop-aes "
		       "key block,\nor the key file named by --keyfile. No passphrase is "
		       "needed. Exit status 0:\nit matches, 11: it does not, 12: no checksum "
		       "was recorded."));
	g_option_context_set_description(context, cb_exit_help());
	if (!cb_config_parse(context, entries, &argc, &argv, &error))
		return cb_exit_report(error);
	if (!cb_verify_execute(&args, &error))
		return cb_exit_report(error);
	return CB_EXIT_OK;
}
