/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

G_BEGIN_DECLS

/*
 * AES-CBC with the "plain" IV of dm-crypt and cryptoloop: every 512-byte
 * sector is its own CBC chain, its IV the little-endian 32-bit sector
 * number zero-padded to 16 bytes (sector 2^32 wraps to 0, as dm-crypt's
 * plain does). CBC encryption is serial: ~1 GB/s a core (DESIGN 7).
 */
typedef struct _CbCbcPlain CbCbcPlain;

/* key: 16, 24 or 32 bytes (AES-128/192/256) */
CbCbcPlain *
cb_cbc_plain_new(const CbSecret *key, GError **error);
void
cb_cbc_plain_free(CbCbcPlain *self);
/* offset: bytes from the start of the encrypted data, 512-aligned;
 * len: whole 512-byte sectors */
gboolean
cb_cbc_plain_encrypt(CbCbcPlain *self, guint64 offset, guint8 *buf, gsize len, GError **error);
/* the inverse, same arguments */
gboolean
cb_cbc_plain_decrypt(CbCbcPlain *self, guint64 offset, guint8 *buf, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCbcPlain, cb_cbc_plain_free)

G_END_DECLS
