/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-config.h"
#include "cb-encrypt.h"
#include "cb-exit.h"
#include "cb-iso-args.h"
#include "cb-iso.h"
#include "cb-term-escape.h"
#include "cb-volume-id.h"

#include <glib/gi18n.h>

typedef struct {
	CbEncryptArgs common;
	CbIsoArgs iso;
} CbImageArgs;

static void
cb_image_args_clear(CbImageArgs *args)
{
	cb_encrypt_args_clear(&args->common);
	cb_iso_args_clear(&args->iso);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbImageArgs, cb_image_args_clear)

/* the ISO, built by libisofs as the pipeline reads it */
typedef struct {
	CbIsoBuilder *builder;
	CbIsoStream *stream;
} CbImageSource;

static gboolean
cb_image_source_open(
    gpointer data, CbSourceReadFunc *read, gpointer *source, guint64 *size, GError **error)
{
	CbImageSource *self = data;

	self->stream = cb_iso_builder_start(self->builder, error);
	if (self->stream == NULL)
		return FALSE;
	*read = (CbSourceReadFunc) cb_iso_stream_read;
	*source = self->stream;
	*size = cb_iso_stream_get_size(self->stream);
	return TRUE;
}

static void
cb_image_source_close(gpointer data)
{
	CbImageSource *self = data;
	g_clear_pointer(&self->stream, cb_iso_stream_free);
}

static void
cb_image_on_warning(const gchar *message, gpointer data)
{
	const CbImageArgs *args = data;
	/* they name files, whose names may hold anything but "/" */
	g_autofree gchar *safe = cb_term_escape(message, CB_TERM_ESCAPE_KEEP_NEWLINES);

	if (!args->common.quiet)
		g_printerr(_("cryptburn: warning: %s\n"), safe);
}

static gboolean
cb_image_execute(CbImageArgs *args, GError **error)
{
	const CbFormatDesc *desc;
	g_autoptr(CbMetadata) metadata = cb_metadata_new();
	g_autoptr(CbIsoBuilder) builder = NULL;
	CbIsoOptions iso_options = { 0 };
	CbImageSource image_source = { 0 };
	CbEncryptSource source = {
		.open = cb_image_source_open,
		.close = cb_image_source_close,
		.data = &image_source,
	};

	if (!cb_iso_args_validate(&args->iso, _("name at least one SOURCE to put in the image"),
				  error))
		return FALSE;
	metadata->volume_id = args->iso.volume_id != NULL
				  ? g_strdup(args->iso.volume_id)
				  : cb_volume_id_default((const gchar *const *) args->iso.sources);
	/* everything that can be refused is refused before the passphrase is asked */
	desc = cb_encrypt_prepare(&args->common, metadata, error);
	if (desc == NULL)
		return FALSE;
	iso_options.volume_id = metadata->volume_id;
	iso_options.application_id = args->iso.application_id;
	iso_options.publisher = args->iso.publisher;
	iso_options.preparer = args->iso.preparer;
	iso_options.system_id = args->iso.system_id;
	iso_options.no_md5 = args->iso.no_md5;
	iso_options.compress = args->iso.compress;
	builder = cb_iso_builder_new(&iso_options, error);
	if (builder == NULL)
		return FALSE;
	cb_iso_builder_set_warning_func(builder, cb_image_on_warning, args);
	for (guint i = 0; args->iso.sources != NULL && args->iso.sources[i] != NULL; i++) {
		if (!cb_iso_builder_add_source(builder, args->iso.sources[i], error))
			return FALSE;
	}
	for (guint i = 0; args->iso.grafts != NULL && args->iso.grafts[i] != NULL; i++) {
		if (!cb_iso_builder_add_graft_spec(builder, args->iso.grafts[i], error))
			return FALSE;
	}
	image_source.builder = builder;
	return cb_encrypt_run(&args->common, desc, metadata, &source, error);
}

int
cb_cmd_image(int argc, char **argv)
{
	g_auto(CbImageArgs) args = { .common = CB_ENCRYPT_ARGS_INIT };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *summary = NULL;
	g_autofree gchar *formats = NULL;
	g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
	g_autofree GOptionEntry *all = NULL;
	g_autofree gchar *formats_help = cb_encrypt_formats_help();

	cb_iso_args_add_entries(&args.iso, entries, FALSE);
	all = cb_encrypt_args_entries(&args.common, (const GOptionEntry *) entries->data);
	summary =
	    g_strdup(_("Makes an encrypted disc image of the SOURCEs: a directory's contents go "
		       "to the image root,\na file goes to the root. The passphrase is asked "
		       "twice on the terminal unless\n--passphrase-file or --passphrase-fd is "
		       "given. No daemon and no root rights are needed."));
	formats = g_strdup_printf("%s\n%s", formats_help, cb_exit_help());

	context = g_option_context_new(_("SOURCE… -o IMAGE"));
	g_option_context_set_summary(context, summary);
	g_option_context_set_description(context, formats);
	if (!cb_config_parse(context, all, &argc, &argv, &error))
		return cb_exit_report(error);
	if (!cb_image_execute(&args, &error))
		return cb_exit_report(error);
	return CB_EXIT_OK;
}
