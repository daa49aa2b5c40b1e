/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-iso-args.h"

#include <glib/gi18n.h>

void
cb_iso_args_clear(CbIsoArgs *args)
{
	g_free(args->volume_id);
	g_free(args->application_id);
	g_free(args->publisher);
	g_free(args->preparer);
	g_free(args->system_id);
	g_strfreev(args->grafts);
	g_strfreev(args->sources);
}

void
cb_iso_args_add_entries(CbIsoArgs *args, GArray *entries, gboolean to_disc)
{
	/* the array copies the table; the pointers into args stay */
	const GOptionEntry iso[] = {
		{ "volume-id", 0, 0, G_OPTION_ARG_STRING, &args->volume_id,
		  N_("ISO volume id and LUKS2 label, up to 32 characters"), N_("ID") },
		{ "application-id", 0, 0, G_OPTION_ARG_STRING, &args->application_id,
		  N_("ISO application id"), N_("TEXT") },
		{ "publisher", 0, 0, G_OPTION_ARG_STRING, &args->publisher, N_("ISO publisher id"),
		  N_("TEXT") },
		{ "preparer", 0, 0, G_OPTION_ARG_STRING, &args->preparer,
		  N_("ISO data preparer id"), N_("TEXT") },
		{ "system-id", 0, 0, G_OPTION_ARG_STRING, &args->system_id, N_("ISO system id"),
		  N_("TEXT") },
		{ "graft", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->grafts,
		  to_disc ? N_("Put LOCAL at DISC/PATH on the disc (repeatable)")
			  : N_("Put LOCAL at DISC/PATH in the image (repeatable)"),
		  N_("DISC/PATH=LOCAL") },
		{ "compress", 0, 0, G_OPTION_ARG_NONE, &args->compress,
		  N_("Compress file contents with zisofs (read transparently by Linux)"), NULL },
		{ "no-md5", 0, 0, G_OPTION_ARG_NONE, &args->no_md5,
		  N_("Leave out the ISO MD5 tags (faster, but xorriso -check_media cannot verify)"),
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->sources, NULL,
		  NULL },
	};
	g_array_append_vals(entries, iso, G_N_ELEMENTS(iso));
}

gboolean
cb_iso_args_validate(const CbIsoArgs *args, const gchar *none_message, GError **error)
{
	if ((args->sources == NULL || args->sources[0] == NULL) && args->grafts == NULL) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, none_message);
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
