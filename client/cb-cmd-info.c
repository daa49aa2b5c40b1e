/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-config.h"
#include "cb-exit.h"
#include "cb-format.h"
#include "cb-json.h"
#include "cb-term-escape.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

/* one "Label: value" line; the value is the header's, which anyone may
 * have written, hence escaped */
static void
cb_info_print_line(const gchar *label, const gchar *prefix, const gchar *value)
{
	g_autofree gchar *safe = cb_term_escape(value != NULL ? value : "-", CB_TERM_ESCAPE_FIELD);

	g_print("%-16s %s%s\n", label, value != NULL ? prefix : "", safe);
}

static void
cb_info_print_text(const gchar *path, const CbImageInfo *info)
{
	g_autofree gchar *created = cb_metadata_format_created(info->metadata);
	g_autofree gchar *offset = g_format_size(info->data_offset);
	g_autofree gchar *payload = g_format_size(info->payload_size);
	g_autofree gchar *checksum = cb_metadata_format_checksum(info->metadata);

	cb_info_print_line(_("Image:"), "", path);
	cb_info_print_line(_("Format:"), "", info->format);
	cb_info_print_line(_("Cipher:"), "", info->cipher);
	g_print("%-16s %u %s\n", _("Key size:"), info->key_bits, _("bits"));
	g_print("%-16s %u %s\n", _("Sector size:"), info->sector_size, _("bytes"));
	g_print("%-16s %" G_GUINT64_FORMAT " %s (%s)\n", _("Data offset:"), info->data_offset,
		_("bytes"), offset);
	g_print("%-16s %" G_GUINT64_FORMAT " %s (%s)\n", _("Image size:"), info->payload_size,
		_("bytes"), payload);
	if (info->pbkdf != NULL)
		cb_info_print_line(_("Key derivation:"), "", info->pbkdf);
	cb_info_print_line(_("UUID:"), "", info->uuid);
	cb_info_print_line(_("Volume id:"), "", info->metadata->volume_id);
	cb_info_print_line(_("Serial:"), "", info->metadata->serial);
	cb_info_print_line(_("Created:"), "", created);
	cb_info_print_line(_("Written by:"), "cryptburn ", info->metadata->version);
	cb_info_print_line(_("Checksum:"), "", checksum);
}

static void
cb_info_print_json(const gchar *path, const CbImageInfo *info)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *created = cb_metadata_format_created(info->metadata);
	g_autofree gchar *checksum = cb_metadata_format_checksum(info->metadata);

	json_builder_begin_object(b);
	cb_json_add_string(b, "image", path);
	cb_json_add_string(b, "format", info->format);
	cb_json_add_string(b, "cipher", info->cipher);
	cb_json_add_int(b, "key_bits", info->key_bits);
	cb_json_add_int(b, "sector_size", info->sector_size);
	cb_json_add_int(b, "data_offset", (gint64) info->data_offset);
	cb_json_add_int(b, "image_size", (gint64) info->payload_size);
	cb_json_add_string(b, "pbkdf", info->pbkdf);
	cb_json_add_string(b, "uuid", info->uuid);
	cb_json_add_string(b, "volume_id", info->metadata->volume_id);
	cb_json_add_string(b, "serial", info->metadata->serial);
	cb_json_add_string(b, "created", created);
	cb_json_add_string(b, "version", info->metadata->version);
	/* what verify compares with: "md5:<hex>", and the bytes it covers */
	cb_json_add_string(b, "checksum", checksum);
	cb_json_add_int(b, "checksum_size", (gint64) info->metadata->checksum_size);
	json_builder_end_object(b);
	cb_json_print(b, TRUE);
}

int
cb_cmd_info(int argc, char **argv)
{
	gboolean json = FALSE;
	g_auto(GStrv) images = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbImageInfo) info = NULL;
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print as JSON"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images, NULL, NULL },
		{ NULL },
	};

	context = g_option_context_new(_("IMAGE"));
	g_option_context_set_summary(
	    context, _("Shows how an encrypted image or disc is made, without its passphrase."));
	g_option_context_set_description(context, cb_exit_help());
	if (!cb_config_parse(context, entries, &argc, &argv, &error))
		return cb_exit_report(error);
	if (images == NULL || images[0] == NULL || images[1] != NULL) {
		g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name exactly one IMAGE"));
		return cb_exit_report(error);
	}
	info = cb_image_info_read(images[0], &error);
	if (info == NULL)
		return cb_exit_report(error);
	if (json)
		cb_info_print_json(images[0], info);
	else
		cb_info_print_text(images[0], info);
	return CB_EXIT_OK;
}
