/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-format.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <sys/stat.h>

extern const CbFormatDesc cb_format_luks2;
extern const CbFormatDesc cb_format_luks1;
extern const CbFormatDesc cb_format_plain;
extern const CbFormatDesc cb_format_cryptoloop;
extern const CbFormatDesc cb_format_loop_aes;

/* the first is the default */
static const CbFormatDesc *const cb_formats[] = {
	&cb_format_luks2, &cb_format_luks1,	 &cb_format_loop_aes,
	&cb_format_plain, &cb_format_cryptoloop, NULL,
};

struct _CbFormat {
	const CbFormatDesc *desc;
	GBytes *header;
	guint sector_size;
	CbFormatEncryptFunc encrypt;
	CbFormatDecryptFunc decrypt;
	gpointer cipher;
	GDestroyNotify cipher_free;
	GBytes *key_file;
	CbFormatSealFunc seal;
};

const CbFormatDesc *const *
cb_format_list(void)
{
	return cb_formats;
}

const gchar *
cb_format_default_name(void)
{
	return cb_formats[0]->name;
}

const gchar *
cb_format_weak_warning(void)
{
	return _("this format has no salt and no key stretching: a passphrase can be guessed "
		 "quickly, equal passphrases give equal keys, and its predictable IVs allow "
		 "watermark attacks. Use it only for readers that know nothing newer; luks2 "
		 "is the default for a reason");
}

const CbFormatDesc *
cb_format_lookup(const gchar *name, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);

	for (guint i = 0; cb_formats[i] != NULL; i++) {
		if (g_strcmp0(cb_formats[i]->name, name) == 0)
			return cb_formats[i];
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : "", cb_formats[i]->name);
	}
	g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("unknown format “%s”; known formats: %s"), name, names->str);
	return NULL;
}

CbFormat *
cb_format_new(const CbFormatDesc *desc,
	      GBytes *header,
	      guint sector_size,
	      CbFormatEncryptFunc encrypt,
	      gpointer cipher,
	      GDestroyNotify cipher_free)
{
	CbFormat *self = g_new0(CbFormat, 1);
	self->desc = desc;
	self->header = g_bytes_ref(header);
	self->sector_size = sector_size;
	self->encrypt = encrypt;
	self->cipher = cipher;
	self->cipher_free = cipher_free;
	return self;
}

const CbFormatDesc *
cb_format_get_desc(const CbFormat *self)
{
	return self->desc;
}

GBytes *
cb_format_get_header(const CbFormat *self)
{
	return self->header;
}

void
cb_format_set_header(CbFormat *self, GBytes *header)
{
	g_return_if_fail(g_bytes_get_size(header) == g_bytes_get_size(self->header));
	g_bytes_unref(self->header);
	self->header = g_bytes_ref(header);
}

GBytes *
cb_format_get_key_file(const CbFormat *self)
{
	return self->key_file;
}

void
cb_format_set_key_file(CbFormat *self, GBytes *key_file)
{
	g_clear_pointer(&self->key_file, g_bytes_unref);
	if (key_file != NULL)
		self->key_file = g_bytes_ref(key_file);
}

void
cb_format_set_seal(CbFormat *self, CbFormatSealFunc seal)
{
	self->seal = seal;
}

void
cb_format_set_decrypt(CbFormat *self, CbFormatDecryptFunc decrypt)
{
	self->decrypt = decrypt;
}

gboolean
cb_format_seal(CbFormat *self, const CbMetadata *metadata, GError **error)
{
	if (self->seal == NULL)
		return TRUE;
	return self->seal(self, self->cipher, metadata, error);
}

gboolean
cb_format_checksum_in_header(const CbFormat *self)
{
	return self->seal != NULL && self->key_file == NULL;
}

guint
cb_format_get_sector_size(const CbFormat *self)
{
	return self->sector_size;
}

gboolean
cb_format_encrypt(CbFormat *self, guint64 payload_offset, guint8 *buf, gsize len, GError **error)
{
	g_return_val_if_fail(payload_offset % self->sector_size == 0, FALSE);
	return self->encrypt(self->cipher, payload_offset, buf, len, error);
}

gboolean
cb_format_decrypt(CbFormat *self, guint64 payload_offset, guint8 *buf, gsize len, GError **error)
{
	g_return_val_if_fail(payload_offset % self->sector_size == 0, FALSE);
	if (self->decrypt == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("the %s format cannot decrypt what it wrote"), self->desc->name);
		return FALSE;
	}
	return self->decrypt(self->cipher, payload_offset, buf, len, error);
}

void
cb_format_free(CbFormat *self)
{
	if (self == NULL)
		return;
	g_bytes_unref(self->header);
	g_clear_pointer(&self->key_file, g_bytes_unref);
	if (self->cipher_free != NULL)
		self->cipher_free(self->cipher);
	g_free(self);
}

CbImageInfo *
cb_image_info_read(const gchar *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
			    g_strerror(errno));
		return NULL;
	}
	/* images are files or discs; anything else has no header to read */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("%s is not an image file or a disc"), path);
		return NULL;
	}
	for (guint i = 0; cb_formats[i] != NULL; i++) {
		g_autoptr(CbImageInfo) info = g_new0(CbImageInfo, 1);
		g_autoptr(GError) error_local = NULL;

		if (cb_formats[i]->probe == NULL)
			continue;
		if (cb_formats[i]->probe(path, info, &error_local))
			return g_steal_pointer(&info);
		/* "not this format" is silent; a real failure (unreadable) stops */
		if (!g_error_matches(error_local, CB_ERROR, CB_ERROR_NOT_SUPPORTED)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
	}
	g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
		    _("%s is not an image cryptburn recognises: it has no LUKS header and no "
		      "loop-AES key block (plain and cryptoloop images, and loop-aes images whose "
		      "keys are in a key file of their own, have no header to recognise)"),
		    path);
	return NULL;
}

void
cb_image_info_free(CbImageInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->format);
	g_free(info->cipher);
	g_free(info->uuid);
	g_free(info->pbkdf);
	cb_metadata_free(info->metadata);
	g_free(info);
}
