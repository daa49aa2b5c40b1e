/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

G_BEGIN_DECLS

/*
 * AES-XTS over whole encryption sectors, as dm-crypt's aes-xts-plain64 with
 * LUKS: the tweak of a sector is the little-endian 64-bit number of
 * 512-byte units from the start of the data segment, even when sectors are
 * larger (LUKS never sets iv_large_sectors), so 2048-byte sector k uses 4k.
 *
 * An object is used by one thread at a time.
 */
typedef struct _CbXts CbXts;

/* key: 32 bytes (AES-128-XTS) or 64 bytes (AES-256-XTS) */
CbXts *
cb_xts_new(const CbSecret *key, guint sector_size, GError **error);
void
cb_xts_free(CbXts *self);
guint
cb_xts_get_sector_size(const CbXts *self);

/* len must be a multiple of the sector size; first_sector counts sectors
 * of the object's sector size from the start of the data segment */
gboolean
cb_xts_encrypt(CbXts *self, guint64 first_sector, guint8 *buf, gsize len, GError **error);
gboolean
cb_xts_decrypt(CbXts *self, guint64 first_sector, guint8 *buf, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbXts, cb_xts_free)

G_END_DECLS
