/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-config.h"
#include "cb-encrypt.h"
#include "cb-exit.h"
#include "cb-iso.h"
#include "cb-volume-id.h"

#include <glib/gi18n.h>

typedef struct {
	CbEncryptArgs common;
	gchar *volume_id;
	gchar *application_id;
	gchar *publisher;
	gchar *preparer;
	gchar *system_id;
	gchar **grafts;
	gboolean no_md5;
	gboolean compress;
	gchar **sources;
} CbImageArgs;

static void
cb_image_args_clear(CbImageArgs *args)
{
	cb_encrypt_args_clear(&args->common);
	g_free(args->volume_id);
	g_free(args->application_id);
	g_free(args->publisher);
	g_free(args->preparer);
	g_free(args->system_id);
	g_strfreev(args->grafts);
	g_strfreev(args->sources);
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
	if (!args->common.quiet)
		g_printerr(_("cryptburn: warning: %s\n"), message);
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
	return TRUE;
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

	if (!cb_image_validate(args, error))
		return FALSE;
	metadata->volume_id = args->volume_id != NULL
				  ? g_strdup(args->volume_id)
				  : cb_volume_id_default((const gchar *const *) args->sources);
	/* everything that can be refused is refused before the passphrase is asked */
	desc = cb_encrypt_prepare(&args->common, metadata, error);
	if (desc == NULL)
		return FALSE;
	iso_options.volume_id = metadata->volume_id;
	iso_options.application_id = args->application_id;
	iso_options.publisher = args->publisher;
	iso_options.preparer = args->preparer;
	iso_options.system_id = args->system_id;
	iso_options.no_md5 = args->no_md5;
	iso_options.compress = args->compress;
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
	const GOptionEntry entries[] = {
		{ "volume-id", 0, 0, G_OPTION_ARG_STRING, &args.volume_id,
		  N_("ISO volume id and LUKS2 label, up to 32 characters"), N_("ID") },
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
		{ "compress", 0, 0, G_OPTION_ARG_NONE, &args.compress,
		  N_("Compress file contents with zisofs (read transparently by Linux)"), NULL },
		{ "no-md5", 0, 0, G_OPTION_ARG_NONE, &args.no_md5,
		  N_("Leave out the ISO MD5 tags (faster, but xorriso -check_media cannot verify)"),
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args.sources, NULL,
		  NULL },
		{ NULL },
	};
	g_autofree GOptionEntry *all = cb_encrypt_args_entries(&args.common, entries);
	g_autofree gchar *formats_help = cb_encrypt_formats_help();

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
