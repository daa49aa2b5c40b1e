/* SPDX-License-Identifier: GPL-3.0-or-later */
/* enciso --encrypt: an existing plain image (a file, a disc, standard
 * input) encrypted into an image of any format */
#include "cb-commands.h"

#include "cb-config.h"
#include "cb-encrypt.h"
#include "cb-error.h"
#include "cb-exit.h"
#include "cb-fd-source.h"
#include "cb-image-input.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <unistd.h>

typedef struct {
	CbEncryptArgs common;
	gint64 size;
	gchar **inputs;
} CbEncryptImageArgs;

static void
cb_encrypt_image_args_clear(CbEncryptImageArgs *args)
{
	cb_encrypt_args_clear(&args->common);
	g_strfreev(args->inputs);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbEncryptImageArgs, cb_encrypt_image_args_clear)

typedef struct {
	int fd;
	const gchar *name;
	guint64 size; /* 0: from the file, the device or the ISO */
	CbFdSource *source;
} CbEncryptImageSource;

static gboolean
cb_encrypt_image_source_open(
    gpointer data, CbSourceReadFunc *read, gpointer *source, guint64 *size, GError **error)
{
	CbEncryptImageSource *self = data;
	g_autoptr(GError) error_local = NULL;

	/* the size comes from the file, the device or the ISO's own volume
	 * descriptor (standard input) */
	self->source = cb_fd_source_new(self->fd, self->size, &error_local);
	if (self->source == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, "%s: %s", self->name,
			    error_local->message);
		return FALSE;
	}
	*read = (CbSourceReadFunc) cb_fd_source_read;
	*source = self->source;
	*size = cb_fd_source_get_size(self->source);
	return TRUE;
}

static void
cb_encrypt_image_source_close(gpointer data)
{
	CbEncryptImageSource *self = data;
	g_clear_pointer(&self->source, cb_fd_source_free);
}

static gboolean
cb_encrypt_image_execute(CbEncryptImageArgs *args, GError **error)
{
	g_autoptr(CbMetadata) metadata = cb_metadata_new();
	CbEncryptImageSource image_source = { .fd = -1 };
	CbEncryptSource source = {
		.open = cb_encrypt_image_source_open,
		.close = cb_encrypt_image_source_close,
		.data = &image_source,
	};
	const CbFormatDesc *desc;
	gboolean ok;

	if (args->inputs == NULL || args->inputs[0] == NULL || args->inputs[1] != NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name one INPUT image (a file, a device, or - for standard "
				      "input)"));
		return FALSE;
	}
	if (args->size < 0) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("--size takes a positive number of bytes"));
		return FALSE;
	}
	image_source.size = (guint64) args->size;
	desc = cb_encrypt_prepare(&args->common, metadata, error);
	if (desc == NULL)
		return FALSE;
	image_source.name =
	    g_strcmp0(args->inputs[0], "-") == 0 ? _("standard input") : args->inputs[0];
	image_source.fd =
	    cb_image_input_open(args->inputs[0], args->common.crypt.passphrase_fd, error);
	if (image_source.fd < 0)
		return FALSE;
	ok = cb_encrypt_run(&args->common, desc, metadata, &source, error);
	close(image_source.fd);
	return ok;
}

int
cb_cmd_encrypt_image(int argc, char **argv)
{
	g_auto(CbEncryptImageArgs) args = { .common = CB_ENCRYPT_ARGS_INIT };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *formats_help = cb_encrypt_formats_help();
	g_autofree gchar *description = NULL;
	const GOptionEntry entries[] = {
		{ "size", 0, 0, G_OPTION_ARG_INT64, &args.size,
		  N_("INPUT's size in bytes, for a stream that is not an ISO 9660 image"),
		  N_("BYTES") },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.inputs, NULL, NULL },
		{ NULL },
	};
	g_autofree GOptionEntry *all = cb_encrypt_args_entries(&args.common, entries);

	description = g_strdup_printf("%s\n%s", formats_help, cb_exit_help());
	context = g_option_context_new(_("INPUT -o IMAGE"));
	g_option_context_set_summary(
	    context, _("Encrypts an existing plain image: INPUT is an image file, a disc device "
		       "such as\n/dev/sr0, or - for standard input (its size is then read from "
		       "the ISO's volume\ndescriptor). The result is the same as “cryptburn "
		       "image” of the same files."));
	g_option_context_set_description(context, description);
	if (!cb_config_parse(context, all, &argc, &argv, &error))
		return cb_exit_report(error);
	if (!cb_encrypt_image_execute(&args, &error))
		return cb_exit_report(error);
	return CB_EXIT_OK;
}
