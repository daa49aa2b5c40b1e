/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

G_BEGIN_DECLS

/*
 * loop-AES "multi-key-v3" with AES-256, as written by loop-AES's losetup
 * and by aespipe -e aes256: a key file of 65 text lines; the first 64 hash
 * to the AES keys of sectors n % 64, the 65th seeds an MD5 that makes every
 * 512-byte sector's CBC IV from the sector's own plaintext bytes 16..511 and
 * its number.
 *
 * A CbLoopAes is used by one thread at a time (it keeps one AES key
 * schedule loaded between calls).
 */
typedef struct _CbLoopAes CbLoopAes;

/* what cb_loopaes_generate_key_text() writes; any line of 20 characters or
 * more is a valid key for loop-AES */
#define CB_LOOPAES_KEY_LINES 65
#define CB_LOOPAES_LINE_LENGTH 120

/* 65 lines of 120 random base64 characters, each ended by '\n' */
CbSecret *
cb_loopaes_generate_key_text(GError **error);

/* key_text: the clear-text key file (as gpg --decrypt gives it) */
CbLoopAes *
cb_loopaes_new(const CbSecret *key_text, GError **error);
void
cb_loopaes_free(CbLoopAes *self);

/* in place; sector: the loop-AES number of buf's first 512-byte sector
 * (what aespipe -O takes); len: whole 512-byte sectors */
gboolean
cb_loopaes_encrypt(CbLoopAes *self, guint64 sector, guint8 *buf, gsize len, GError **error);
gboolean
cb_loopaes_decrypt(CbLoopAes *self, guint64 sector, guint8 *buf, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbLoopAes, cb_loopaes_free)

G_END_DECLS
