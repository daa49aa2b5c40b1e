/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include "cb-luks.h"

/* LUKS1 always reserves 8 keyslots; with a 512-bit key they end just
 * below 2 MiB (8 x 252 KiB after the 4 KiB header), so that is the
 * smallest aligned data offset. It has nowhere to keep metadata. */
static const CbLuksLayout cb_luks1_layout = {
	.crypt_type = CRYPT_LUKS1,
	.pbkdf_type = CRYPT_KDF_PBKDF2,
	.sector_size = 512,
	.volume_key_size = 64,
	.data_offset = 2 * 1024 * 1024,
};

static CbFormat *
cb_luks1_create(const CbFormatParams *params, GError **error);

static gboolean
cb_luks1_probe(const gchar *path, CbImageInfo *info, GError **error);

static gboolean
cb_luks1_check_metadata(const CbMetadata *metadata, GError **error)
{
	if (metadata->serial != NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("luks1 has no place for a serial; use --format luks2"));
		return FALSE;
	}
	if (metadata->checksum_type != NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("luks1 has no place for a checksum; use --format luks2"));
		return FALSE;
	}
	return TRUE;
}

const CbFormatDesc cb_format_luks1 = {
	.name = "luks1",
	.summary = "LUKS1, aes-xts-plain64, 512-bit key, 512-byte sectors, pbkdf2 (for readers "
		   "older than 2018)",
	.header_size = 2 * 1024 * 1024,
	.create = cb_luks1_create,
	.probe = cb_luks1_probe,
	.check_metadata = cb_luks1_check_metadata,
};

static CbFormat *
cb_luks1_create(const CbFormatParams *params, GError **error)
{
	return cb_luks_create(&cb_format_luks1, &cb_luks1_layout, params, error);
}

static gboolean
cb_luks1_probe(const gchar *path, CbImageInfo *info, GError **error)
{
	return cb_luks_probe(&cb_format_luks1, &cb_luks1_layout, path, info, error);
}
