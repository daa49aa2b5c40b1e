/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The two headerless formats of the cdrecord encryption patch: "plain"
 * (its "new" mode, dm-crypt plain) and "cryptoloop" (its "old" mode, the
 * kernel's loop-AES predecessor). Both are AES-256-CBC with the plain IV
 * over the bare ISO; they differ only in how the passphrase becomes the
 * key. Offered so that old discs can be remade for old readers: no salt,
 * no key stretching, and CBC with a predictable IV allows watermarking.
 */
#include "cb-cbc-plain.h"
#include "cb-error.h"
#include "cb-format.h"

#include <gcrypt.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#define CB_PLAIN_KEY_SIZE 32

static gboolean
cb_plain_encrypt(gpointer cipher, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	return cb_cbc_plain_encrypt(cipher, offset, buf, len, error);
}

static gboolean
cb_plain_decrypt(gpointer cipher, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	return cb_cbc_plain_decrypt(cipher, offset, buf, len, error);
}

static CbFormat *
cb_plain_make(const CbFormatDesc *desc, CbSecret *key, GError **error)
{
	g_autoptr(CbCbcPlain) cbc = cb_cbc_plain_new(key, error);
	g_autoptr(GBytes) header = g_bytes_new_static("", 0);
	CbFormat *format;

	if (cbc == NULL)
		return NULL;
	format = cb_format_new(desc, header, 512, cb_plain_encrypt, g_steal_pointer(&cbc),
			       (GDestroyNotify) cb_cbc_plain_free);
	cb_format_set_decrypt(format, cb_plain_decrypt);
	return format;
}

static gboolean
cb_plain_check_metadata(const CbMetadata *metadata, GError **error)
{
	if (metadata->serial != NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("plain and cryptoloop images have no header to keep a serial "
				      "in; use luks2"));
		return FALSE;
	}
	if (metadata->checksum_type != NULL) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("plain and cryptoloop images have no header to keep a checksum "
		      "in; use luks2 or loop-aes"));
		return FALSE;
	}
	return TRUE;
}

/* cryptsetup --type plain -h sha256: the key is the passphrase's SHA-256 */
static CbFormat *
cb_plain_create(const CbFormatParams *params, GError **error);
/* cryptoloop (losetup -e aes-256): the passphrase itself, zero-padded */
static CbFormat *
cb_cryptoloop_create(const CbFormatParams *params, GError **error);

const CbFormatDesc cb_format_plain = {
	.name = "plain",
	.summary = "dm-crypt plain, aes-cbc-plain, key = SHA-256 of the passphrase, no header "
		   "(cdrecord-encrypt \"new\"; weak: no salt, no key stretching)",
	.header_size = 0,
	.weak = TRUE,
	.create = cb_plain_create,
	.probe = NULL,
	.check_metadata = cb_plain_check_metadata,
};

const CbFormatDesc cb_format_cryptoloop = {
	.name = "cryptoloop",
	.summary = "cryptoloop, aes-cbc-plain, key = the passphrase zero-padded to 32 bytes, no "
		   "header (cdrecord-encrypt \"old\"; weak: no salt, no key stretching)",
	.header_size = 0,
	.weak = TRUE,
	.create = cb_cryptoloop_create,
	.probe = NULL,
	.check_metadata = cb_plain_check_metadata,
};

static CbFormat *
cb_plain_create(const CbFormatParams *params, GError **error)
{
	g_autoptr(CbSecret) key = cb_secret_new(CB_PLAIN_KEY_SIZE, error);

	if (key == NULL)
		return NULL;
	gcry_md_hash_buffer(GCRY_MD_SHA256, (guint8 *) cb_secret_peek(key),
			    cb_secret_peek(params->passphrase), cb_secret_size(params->passphrase));
	cb_secret_set_size(key, CB_PLAIN_KEY_SIZE);
	return cb_plain_make(&cb_format_plain, key, error);
}

static CbFormat *
cb_cryptoloop_create(const CbFormatParams *params, GError **error)
{
	gsize len = cb_secret_size(params->passphrase);
	g_autoptr(CbSecret) key = NULL;

	if (len > CB_PLAIN_KEY_SIZE) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("a cryptoloop passphrase is the key itself: at most %d bytes, this "
			      "one has %zu"),
			    CB_PLAIN_KEY_SIZE, len);
		return NULL;
	}
	key = cb_secret_new(CB_PLAIN_KEY_SIZE, error);
	if (key == NULL)
		return NULL;
	/* the secret's pages start zeroed: the padding is already there */
	memcpy((guint8 *) cb_secret_peek(key), cb_secret_peek(params->passphrase), len);
	cb_secret_set_size(key, CB_PLAIN_KEY_SIZE);
	return cb_plain_make(&cb_format_cryptoloop, key, error);
}
