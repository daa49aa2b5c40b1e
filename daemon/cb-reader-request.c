/* SPDX-License-Identifier: GPL-3.0-or-later */
/* any thread: no state */
#include "cb-reader-request.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

GBytes *
cb_reader_build_request(const gchar *const *sources, GVariant *iso_options, GError **error)
{
	const gchar *const no_sources[] = { NULL };
	g_autoptr(GVariant) options = g_variant_ref_sink(
	    iso_options != NULL ? iso_options
				: g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	g_autoptr(GVariant) request = NULL;
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint32 len_le;

	if (sources == NULL)
		sources = no_sources;
	for (guint i = 0; sources[i] != NULL; i++) {
		if (!g_utf8_validate(sources[i], -1, NULL)) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
					    _("a source path is not valid UTF-8"));
			return NULL;
		}
	}
	if (!g_variant_is_of_type(options, G_VARIANT_TYPE_VARDICT)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("image options must be of type “a{sv}”, not “%s”"),
			    g_variant_get_type_string(options));
		return NULL;
	}
	request = g_variant_ref_sink(
	    g_variant_new("(@as@a{sv})", g_variant_new_strv(sources, -1), options));
	/* the reader refuses more; refused here, before a job exists */
	if (g_variant_get_size(request) > CB_READER_MAX_REQUEST) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("the sources and grafts take %llu bytes, at most %u are allowed"),
			    (unsigned long long) g_variant_get_size(request),
			    (guint) CB_READER_MAX_REQUEST);
		return NULL;
	}
	len_le = GUINT32_TO_LE((guint32) g_variant_get_size(request));
	g_byte_array_append(buf, (const guint8 *) &len_le, sizeof(len_le));
	g_byte_array_append(buf, g_variant_get_data(request), g_variant_get_size(request));
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}
