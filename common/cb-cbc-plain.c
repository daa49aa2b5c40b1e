/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-cbc-plain.h"

#include "cb-crypto.h"
#include "cb-error.h"

#include <gcrypt.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#define CB_CBC_PLAIN_SECTOR 512

struct _CbCbcPlain {
	gcry_cipher_hd_t hd;
};

CbCbcPlain *
cb_cbc_plain_new(const CbSecret *key, GError **error)
{
	g_autofree CbCbcPlain *self = g_new0(CbCbcPlain, 1);
	int algo;
	gcry_error_t rc;

	if (!cb_crypto_init(error))
		return NULL;
	switch (cb_secret_size(key)) {
	case 16:
		algo = GCRY_CIPHER_AES128;
		break;
	case 24:
		algo = GCRY_CIPHER_AES192;
		break;
	case 32:
		algo = GCRY_CIPHER_AES256;
		break;
	default:
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("AES-CBC needs a 16, 24 or 32 byte key, not %zu"),
			    cb_secret_size(key));
		return NULL;
	}
	/* GCRY_CIPHER_SECURE: the expanded key lives in libgcrypt's locked pool */
	rc = gcry_cipher_open(&self->hd, algo, GCRY_CIPHER_MODE_CBC, GCRY_CIPHER_SECURE);
	if (rc == 0)
		rc = gcry_cipher_setkey(self->hd, cb_secret_peek(key), cb_secret_size(key));
	if (rc != 0) {
		if (self->hd != NULL)
			gcry_cipher_close(self->hd);
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("cannot set up AES-CBC: %s"),
			    gcry_strerror(rc));
		return NULL;
	}
	return g_steal_pointer(&self);
}

void
cb_cbc_plain_free(CbCbcPlain *self)
{
	if (self == NULL)
		return;
	gcry_cipher_close(self->hd);
	g_free(self);
}

/* each sector its own chain, both ways: decrypting needs the same IVs */
static gboolean
cb_cbc_plain_run(
    CbCbcPlain *self, guint64 offset, guint8 *buf, gsize len, gboolean decrypt, GError **error)
{
	g_return_val_if_fail(offset % CB_CBC_PLAIN_SECTOR == 0, FALSE);
	g_return_val_if_fail(len % CB_CBC_PLAIN_SECTOR == 0, FALSE);

	for (gsize done = 0; done < len; done += CB_CBC_PLAIN_SECTOR) {
		guint32 sector = (guint32) ((offset + done) / CB_CBC_PLAIN_SECTOR);
		guint8 iv[16] = { 0 };
		gcry_error_t rc;

		/* "plain": the low 32 bits of the sector number, little-endian */
		iv[0] = sector & 0xff;
		iv[1] = (sector >> 8) & 0xff;
		iv[2] = (sector >> 16) & 0xff;
		iv[3] = (sector >> 24) & 0xff;
		rc = gcry_cipher_setiv(self->hd, iv, sizeof(iv));
		if (rc == 0 && decrypt)
			rc =
			    gcry_cipher_decrypt(self->hd, buf + done, CB_CBC_PLAIN_SECTOR, NULL, 0);
		else if (rc == 0)
			rc =
			    gcry_cipher_encrypt(self->hd, buf + done, CB_CBC_PLAIN_SECTOR, NULL, 0);
		if (rc != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("AES-CBC failed: %s"),
				    gcry_strerror(rc));
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
cb_cbc_plain_encrypt(CbCbcPlain *self, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	return cb_cbc_plain_run(self, offset, buf, len, FALSE, error);
}

gboolean
cb_cbc_plain_decrypt(CbCbcPlain *self, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	return cb_cbc_plain_run(self, offset, buf, len, TRUE, error);
}
