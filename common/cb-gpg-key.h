/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

G_BEGIN_DECLS

/*
 * The GnuPG-encrypted key file of loop-AES images, as enciso and the
 * loop-AES README make it: the key text encrypted with a passphrase only
 * (gpg --symmetric), AES256, s2k mode 3 with SHA512 and 65011712
 * iterations, ASCII-armored. Done through gpgme, so GnuPG must be
 * installed; each call runs gpg (and its gpg-agent) in a private home that
 * is gone again when the call returns.
 *
 * Both functions block while the s2k runs (0.2 s on a 2020s PC, a few
 * seconds on a slow one) and may run on any thread.
 */

/* the key text (at most CB_GPG_KEY_MAX bytes) encrypted with passphrase:
 * "-----BEGIN PGP MESSAGE-----\n\n...-----END PGP MESSAGE-----\n", with no
 * Comment or Version header lines (see cb_armor_set_comments()) */
GBytes *
cb_gpg_key_encrypt(const CbSecret *key_text, const CbSecret *passphrase, GError **error);

/* the key text from an armored (or binary) OpenPGP message encrypted with
 * passphrase; CB_ERROR_PASSPHRASE for a wrong passphrase,
 * CB_ERROR_NOT_SUPPORTED for anything else than a passphrase-encrypted
 * OpenPGP message */
CbSecret *
cb_gpg_key_decrypt(GBytes *armored, const CbSecret *passphrase, GError **error);

/* the largest key text either function takes: loop-AES key texts are
 * about 8 KB */
#define CB_GPG_KEY_MAX (1024 * 1024)

G_END_DECLS
