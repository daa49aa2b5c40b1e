/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include "cb-luks.h"

#include <json-glib/json-glib.h>

/* LUKS2 tokens are JSON; ours carries what enciso put in armor comments */
#define CB_LUKS2_TOKEN_TYPE "cryptburn"

static gboolean
cb_luks2_store_metadata(struct crypt_device *cd, const CbMetadata *metadata, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *created = cb_metadata_format_created(metadata);
	g_autofree gchar *checksum = cb_metadata_format_checksum(metadata);
	int rc;

	/* stored again once the checksum is known: one token, not two */
	for (int id = 0; id < 32; id++) {
		const char *type = NULL;
		if (crypt_token_status(cd, id, &type) != CRYPT_TOKEN_INACTIVE &&
		    g_strcmp0(type, CB_LUKS2_TOKEN_TYPE) == 0)
			crypt_token_json_set(cd, id, NULL);
	}

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, CB_LUKS2_TOKEN_TYPE);
	/* required by LUKS2: the token unlocks no keyslot */
	json_builder_set_member_name(builder, "keyslots");
	json_builder_begin_array(builder);
	json_builder_end_array(builder);
	if (metadata->serial != NULL) {
		json_builder_set_member_name(builder, "serial");
		json_builder_add_string_value(builder, metadata->serial);
	}
	if (metadata->volume_id != NULL) {
		json_builder_set_member_name(builder, "volume_id");
		json_builder_add_string_value(builder, metadata->volume_id);
	}
	if (created != NULL) {
		json_builder_set_member_name(builder, "created");
		json_builder_add_string_value(builder, created);
	}
	json_builder_set_member_name(builder, "version");
	json_builder_add_string_value(builder, metadata->version);
	if (checksum != NULL) {
		/* of the encrypted payload, from the data offset on */
		json_builder_set_member_name(builder, "checksum");
		json_builder_add_string_value(builder, checksum);
		json_builder_set_member_name(builder, "checksum_size");
		json_builder_add_int_value(builder, (gint64) metadata->checksum_size);
	}
	json_builder_end_object(builder);

	root = json_builder_get_root(builder);
	json = json_to_string(root, FALSE);
	rc = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json);
	if (rc < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("cannot store the metadata token in the LUKS2 header: %s"),
			    g_strerror(-rc));
		return FALSE;
	}
	return TRUE;
}

static gchar *
cb_luks2_member_string(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);
	if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return g_strdup(json_node_get_string(node));
}

static gboolean
cb_luks2_load_checksum_size(JsonObject *obj, CbMetadata *metadata, GError **error)
{
	JsonNode *node = json_object_get_member(obj, "checksum_size");
	g_autofree gchar *text = NULL;

	if (node == NULL)
		return TRUE;
	/* whatever the member holds ("-5", 1e30, a string), as its JSON */
	text = json_to_string(node, FALSE);
	return cb_metadata_parse_checksum_size(metadata, text, error);
}

static gboolean
cb_luks2_load_metadata(struct crypt_device *cd, CbMetadata *metadata, GError **error)
{
	/* LUKS2 allows 32 tokens; ours is whichever has our type */
	for (int id = 0; id < 32; id++) {
		const char *type = NULL;
		const char *json = NULL;
		g_autoptr(JsonParser) parser = NULL;
		g_autofree gchar *created = NULL;
		g_autofree gchar *checksum = NULL;
		JsonObject *obj;

		if (crypt_token_status(cd, id, &type) == CRYPT_TOKEN_INACTIVE ||
		    g_strcmp0(type, CB_LUKS2_TOKEN_TYPE) != 0)
			continue;
		if (crypt_token_json_get(cd, id, &json) < 0)
			continue;
		parser = json_parser_new();
		if (!json_parser_load_from_data(parser, json, -1, NULL) ||
		    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
			continue;
		obj = json_node_get_object(json_parser_get_root(parser));
		metadata->serial = cb_luks2_member_string(obj, "serial");
		metadata->volume_id = cb_luks2_member_string(obj, "volume_id");
		metadata->version = cb_luks2_member_string(obj, "version");
		created = cb_luks2_member_string(obj, "created");
		if (created != NULL)
			metadata->created = g_date_time_new_from_iso8601(created, NULL);
		checksum = cb_luks2_member_string(obj, "checksum");
		/* a checksum we cannot read is as good as none: verify says so */
		if (checksum != NULL && cb_metadata_parse_checksum(metadata, checksum, NULL))
			return cb_luks2_load_checksum_size(obj, metadata, error);
		return TRUE;
	}
	return TRUE;
}

/* 16 KiB metadata twice plus room for a few keyslots: the data starts at
 * 1 MiB instead of cryptsetup's 16 MiB, which matters on a 700 MB CD.
 * One argon2id keyslot of a 512-bit key takes 252 KiB. */
static const CbLuksLayout cb_luks2_layout = {
	.crypt_type = CRYPT_LUKS2,
	.pbkdf_type = CRYPT_KDF_ARGON2ID,
	.sector_size = 2048,
	.volume_key_size = 64,
	.data_offset = 1024 * 1024,
	.metadata_size = 16 * 1024,
	.keyslots_size = 1024 * 1024 - 2 * 16 * 1024,
	.store_metadata = cb_luks2_store_metadata,
	.load_metadata = cb_luks2_load_metadata,
};

static CbFormat *
cb_luks2_create(const CbFormatParams *params, GError **error);

static gboolean
cb_luks2_probe(const gchar *path, CbImageInfo *info, GError **error);

const CbFormatDesc cb_format_luks2 = {
	.name = "luks2",
	.summary = "LUKS2, aes-xts-plain64, 512-bit key, 2048-byte sectors, argon2id",
	.header_size = 1024 * 1024,
	.create = cb_luks2_create,
	.probe = cb_luks2_probe,
	.check_metadata = NULL,
};

static gboolean
cb_luks2_seal(CbFormat *format, gpointer cipher, const CbMetadata *metadata, GError **error)
{
	g_autoptr(GBytes) header = NULL;

	(void) cipher;
	header = cb_luks_update_metadata(&cb_luks2_layout, cb_format_get_header(format), metadata,
					 error);
	if (header == NULL)
		return FALSE;
	cb_format_set_header(format, header);
	return TRUE;
}

static CbFormat *
cb_luks2_create(const CbFormatParams *params, GError **error)
{
	CbFormat *format = cb_luks_create(&cb_format_luks2, &cb_luks2_layout, params, error);

	/* only a recorded checksum needs the header made again */
	if (format != NULL && params->metadata != NULL && params->metadata->checksum_type != NULL)
		cb_format_set_seal(format, cb_luks2_seal);
	return format;
}

static gboolean
cb_luks2_probe(const gchar *path, CbImageInfo *info, GError **error)
{
	return cb_luks_probe(&cb_format_luks2, &cb_luks2_layout, path, info, error);
}
