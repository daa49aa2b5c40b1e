/* SPDX-License-Identifier: GPL-3.0-or-later */
/* enciso --extractkeyfile: the armored key block of a loop-aes image, or
 * for LUKS a header backup (what cryptsetup luksHeaderBackup writes) */
#include "cb-commands.h"

#include "cb-config.h"
#include "cb-error.h"
#include "cb-exit.h"
#include "cb-format-loop-aes.h"
#include "cb-luks.h"
#include "cb-output.h"
#include "cb-term-escape.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	gchar *output;
	gboolean force;
	gchar **images;
} CbExtractKeyArgs;

static void
cb_extract_key_args_clear(CbExtractKeyArgs *args)
{
	g_free(args->output);
	g_strfreev(args->images);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbExtractKeyArgs, cb_extract_key_args_clear)

/* an armored block whose comments a crafted image filled with escape
 * sequences: on a terminal they would set its title or clear it */
static gboolean
cb_extract_key_obeyed_by_terminal(GBytes *bytes)
{
	g_autofree gchar *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_autofree gchar *safe = cb_term_escape(text, CB_TERM_ESCAPE_KEEP_NEWLINES);

	return g_strcmp0(text, safe) != 0;
}

/* the key block, or failing that the LUKS header */
static GBytes *
cb_extract_key_read(const gchar *path, GError **error)
{
	g_autoptr(GError) loop_aes_error = NULL;
	g_autoptr(GError) luks_error = NULL;
	GBytes *bytes;
	struct stat st;

	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		int err = errno;
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
			    g_strerror(err));
		return NULL;
	}
	/* as cb_image_info_read(): a FIFO or a terminal would block the read
	 * (or the open) forever, waiting for a header nobody sends */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("%s is not an image file or a disc"), path);
		return NULL;
	}
	bytes = cb_loop_aes_read_key_area(path, &loop_aes_error);
	if (bytes != NULL)
		return bytes;
	if (!g_error_matches(loop_aes_error, CB_ERROR, CB_ERROR_NOT_SUPPORTED)) {
		g_propagate_error(error, g_steal_pointer(&loop_aes_error));
		return NULL;
	}
	bytes = cb_luks_header_backup(path, &luks_error);
	if (bytes != NULL)
		return bytes;
	if (!g_error_matches(luks_error, CB_ERROR, CB_ERROR_NOT_SUPPORTED)) {
		g_propagate_error(error, g_steal_pointer(&luks_error));
		return NULL;
	}
	g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
		    _("%s has no key block and no LUKS header: its keys are in a separate key "
		      "file, or it is a plain or cryptoloop image, which keep none"),
		    path);
	return NULL;
}

static gboolean
cb_extract_key_execute(const CbExtractKeyArgs *args, GError **error)
{
	const gchar *output = args->output != NULL ? args->output : "-";
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(CbOutput) out = NULL;
	gsize len;

	if (args->images == NULL || args->images[0] == NULL || args->images[1] != NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name one IMAGE or DEVICE"));
		return FALSE;
	}
	/* standard output may be a terminal: the armored key block is text,
	 * only a binary LUKS header is kept off it (below) */
	if (g_strcmp0(output, "-") != 0 && !cb_output_check(output, args->force, error))
		return FALSE;
	bytes = cb_extract_key_read(args->images[0], error);
	if (bytes == NULL)
		return FALSE;
	len = g_bytes_get_size(bytes);
	/* a LUKS header is binary: not onto a terminal */
	if (g_strcmp0(output, "-") == 0 && isatty(STDOUT_FILENO) &&
	    memchr(g_bytes_get_data(bytes, NULL), '\0', len) != NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("the LUKS header backup is binary; write it with -o FILE"));
		return FALSE;
	}
	/* written as it is or not at all: an escaped key block is another one */
	if (g_strcmp0(output, "-") == 0 && isatty(STDOUT_FILENO) &&
	    cb_extract_key_obeyed_by_terminal(bytes)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("the key block holds control characters that a terminal "
				      "would act on; write it with -o FILE"));
		return FALSE;
	}
	out = cb_output_open(output, args->force, len, error);
	return out != NULL && cb_output_write(out, g_bytes_get_data(bytes, NULL), len, error) &&
	       cb_output_commit(out, error);
}

int
cb_cmd_extract_key(int argc, char **argv)
{
	g_auto(CbExtractKeyArgs) args = { 0 };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	const GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &args.output,
		  N_("Write to FILE instead of standard output"), N_("FILE") },
		{ "force", 'f', 0, G_OPTION_ARG_NONE, &args.force, N_("Replace FILE if it exists"),
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.images, NULL, NULL },
		{ NULL },
	};

	context = g_option_context_new(_("IMAGE|DEVICE"));
	g_option_context_set_summary(
	    context, _("Writes out what holds an image's keys: the GnuPG-encrypted, armored "
		       "key block of\na loop-aes image (for aespipe -K, losetup -K or "
		       "cryptsetup loopaesOpen), or a\nbackup of a LUKS header (for cryptsetup "
		       "--header, or to restore a damaged one).\nNo passphrase is needed: "
		       "both stay protected by it."));
	g_option_context_set_description(context, cb_exit_help());
	if (!cb_config_parse(context, entries, &argc, &argv, &error))
		return cb_exit_report(error);
	if (!cb_extract_key_execute(&args, &error))
		return cb_exit_report(error);
	return CB_EXIT_OK;
}
