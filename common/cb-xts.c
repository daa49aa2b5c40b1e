/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-xts.h"

#include "cb-crypto.h"
#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <gcrypt.h>
#include <string.h>

#define CB_XTS_IV_UNIT 512

struct _CbXts {
	gcry_cipher_hd_t hd;
	guint sector_size;
};

CbXts *
cb_xts_new(const CbSecret *key, guint sector_size, GError **error)
{
	g_autofree CbXts *self = g_new0(CbXts, 1);
	int algo;
	gcry_error_t rc;

	if (!cb_crypto_init(error))
		return NULL;
	switch (cb_secret_size(key)) {
	case 32:
		algo = GCRY_CIPHER_AES128;
		break;
	case 64:
		algo = GCRY_CIPHER_AES256;
		break;
	default:
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("AES-XTS needs a 32 or 64 byte key, not %zu"), cb_secret_size(key));
		return NULL;
	}
	if (sector_size < CB_XTS_IV_UNIT || sector_size % CB_XTS_IV_UNIT != 0 ||
	    (sector_size & (sector_size - 1)) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("unsupported sector size %u"),
			    sector_size);
		return NULL;
	}
	/* GCRY_CIPHER_SECURE: the expanded key lives in libgcrypt's locked pool */
	rc = gcry_cipher_open(&self->hd, algo, GCRY_CIPHER_MODE_XTS, GCRY_CIPHER_SECURE);
	if (rc != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("cannot open AES-XTS: %s"),
			    gcry_strerror(rc));
		return NULL;
	}
	rc = gcry_cipher_setkey(self->hd, cb_secret_peek(key), cb_secret_size(key));
	if (rc != 0) {
		gcry_cipher_close(self->hd);
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("cannot set the AES-XTS key: %s"),
			    gcry_strerror(rc));
		return NULL;
	}
	self->sector_size = sector_size;
	return g_steal_pointer(&self);
}

void
cb_xts_free(CbXts *self)
{
	if (self == NULL)
		return;
	gcry_cipher_close(self->hd);
	g_free(self);
}

guint
cb_xts_get_sector_size(const CbXts *self)
{
	return self->sector_size;
}

static gboolean
cb_xts_crypt(
    CbXts *self, gboolean encrypt, guint64 first_sector, guint8 *buf, gsize len, GError **error)
{
	guint64 units_per_sector = self->sector_size / CB_XTS_IV_UNIT;

	if (len % self->sector_size != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("%zu bytes is not a whole number of %u-byte sectors"), len,
			    self->sector_size);
		return FALSE;
	}
	for (gsize off = 0; off < len; off += self->sector_size) {
		guint64 tweak =
		    GUINT64_TO_LE((first_sector + off / self->sector_size) * units_per_sector);
		guint8 iv[16] = { 0 };
		gcry_error_t rc;

		memcpy(iv, &tweak, sizeof(tweak));
		rc = gcry_cipher_setiv(self->hd, iv, sizeof(iv));
		if (rc == 0)
			rc = encrypt ? gcry_cipher_encrypt(self->hd, buf + off, self->sector_size,
							   NULL, 0)
				     : gcry_cipher_decrypt(self->hd, buf + off, self->sector_size,
							   NULL, 0);
		if (rc != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("AES-XTS failed: %s"),
				    gcry_strerror(rc));
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
cb_xts_encrypt(CbXts *self, guint64 first_sector, guint8 *buf, gsize len, GError **error)
{
	return cb_xts_crypt(self, TRUE, first_sector, buf, len, error);
}

gboolean
cb_xts_decrypt(CbXts *self, guint64 first_sector, guint8 *buf, gsize len, GError **error)
{
	return cb_xts_crypt(self, FALSE, first_sector, buf, len, error);
}
