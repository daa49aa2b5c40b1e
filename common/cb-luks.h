/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-format.h"

#include <libcryptsetup.h>

G_BEGIN_DECLS

/*
 * What LUKS1 and LUKS2 share: a header made by libcryptsetup on a private
 * in-memory file (no device-mapper, no root), aes-xts-plain64 data.
 */
typedef struct {
	const gchar *crypt_type; /* CRYPT_LUKS1 or CRYPT_LUKS2 */
	const gchar *pbkdf_type; /* CRYPT_KDF_* */
	guint sector_size;
	gsize volume_key_size;
	guint64 data_offset; /* bytes; a multiple of 4096 */
	gsize metadata_size; /* LUKS2 only, else 0 */
	gsize keyslots_size; /* LUKS2 only, else 0 */
	/* format-specific non-secret metadata; may be NULL */
	gboolean (*store_metadata)(struct crypt_device *cd,
				   const CbMetadata *metadata,
				   GError **error);
	/* FALSE when the header records metadata that cannot be true */
	gboolean (*load_metadata)(struct crypt_device *cd, CbMetadata *metadata, GError **error);
} CbLuksLayout;

CbFormat *
cb_luks_create(const CbFormatDesc *desc,
	       const CbLuksLayout *layout,
	       const CbFormatParams *params,
	       GError **error);

gboolean
cb_luks_probe(const CbFormatDesc *desc,
	      const CbLuksLayout *layout,
	      const gchar *path,
	      CbImageInfo *info,
	      GError **error);

/* the header with its metadata stored anew (the same size): for what is
 * known only after the payload, its checksum */
GBytes *
cb_luks_update_metadata(const CbLuksLayout *layout,
			GBytes *header,
			const CbMetadata *metadata,
			GError **error);

/* cryptsetup luksHeaderBackup of a LUKS1 or LUKS2 image, as bytes */
GBytes *
cb_luks_header_backup(const gchar *path, GError **error);

G_END_DECLS
