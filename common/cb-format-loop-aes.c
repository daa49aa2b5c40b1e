/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * enciso's format: 65 random key lines, encrypted with GnuPG (symmetric,
 * AES256, SHA512, s2k-count 65011712) and ASCII-armored, either in the
 * image's first 16 KiB (zero-padded) or in a key file of their own; the
 * payload is loop-AES multi-key-v3 with the 512-byte sector count starting
 * at 32 behind the key area (aespipe -O 32), at 0 without it. The armor's
 * Comment: lines say what enciso said: timestamp, date, version,
 * encryption, checksum and serial.
 */
#include "cb-armor.h"
#include "cb-error.h"
#include "cb-format-loop-aes.h"
#include "cb-gpg-key.h"
#include "cb-loopaes.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	CbLoopAes *cipher;
	guint64 first_sector; /* the IV sector number of the payload's start */
	gchar *armored;	      /* the key block without our comments */
	gboolean in_header;
	gboolean noinfo;
} CbLoopAesFormat;

static void
cb_loop_aes_format_free(CbLoopAesFormat *self)
{
	cb_loopaes_free(self->cipher);
	g_free(self->armored);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbLoopAesFormat, cb_loop_aes_format_free)

static gboolean
cb_loop_aes_encrypt(gpointer data, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	CbLoopAesFormat *self = data;
	return cb_loopaes_encrypt(self->cipher, self->first_sector + offset / 512, buf, len, error);
}

static gboolean
cb_loop_aes_decrypt(gpointer data, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	CbLoopAesFormat *self = data;
	return cb_loopaes_decrypt(self->cipher, self->first_sector + offset / 512, buf, len, error);
}

/* enciso's comments, in its order; the checksum once it is known */
static GPtrArray *
cb_loop_aes_comments(const CbMetadata *metadata)
{
	GPtrArray *comments = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *date = NULL;
	g_autofree gchar *checksum = cb_metadata_format_checksum(metadata);

	if (metadata->created != NULL) {
		date = g_date_time_format(metadata->created, "%Y/%m/%d %H:%M:%S");
		g_ptr_array_add(comments, g_strdup_printf("timestamp=%" G_GINT64_FORMAT,
							  g_date_time_to_unix(metadata->created)));
		g_ptr_array_add(comments, g_strdup_printf("date=%s", date));
	}
	g_ptr_array_add(comments, g_strdup_printf("version=cryptburn %s", metadata->version));
	g_ptr_array_add(comments, g_strdup("encryption=multi-key-v3"));
	if (checksum != NULL) {
		g_ptr_array_add(comments, g_strdup_printf("checksum=%s", checksum));
		/* a disc reads back longer than what was written: say how much */
		g_ptr_array_add(comments, g_strdup_printf("checksum-size=%" G_GUINT64_FORMAT,
							  metadata->checksum_size));
	}
	if (metadata->serial != NULL)
		g_ptr_array_add(comments, g_strdup_printf("serial=%s", metadata->serial));
	g_ptr_array_add(comments, NULL);
	return comments;
}

/* the key block as written: with the comments, or bare with noinfo */
static GBytes *
cb_loop_aes_key_block(CbLoopAesFormat *self, const CbMetadata *metadata, GError **error)
{
	g_autoptr(GPtrArray) comments = NULL;
	gchar *text;

	if (self->noinfo || metadata == NULL)
		return g_bytes_new(self->armored, strlen(self->armored));
	comments = cb_loop_aes_comments(metadata);
	text = cb_armor_set_comments(self->armored, (const gchar *const *) comments->pdata, error);
	if (text == NULL)
		return NULL;
	return g_bytes_new_take(text, strlen(text));
}

static GBytes *
cb_loop_aes_header(GBytes *block, GError **error)
{
	gsize len = g_bytes_get_size(block);
	guint8 *header;

	if (len > CB_LOOP_AES_HEADER_SIZE) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("the encrypted keys take %zu bytes, more than the %d-byte key area"),
			    len, CB_LOOP_AES_HEADER_SIZE);
		return NULL;
	}
	header = g_malloc0(CB_LOOP_AES_HEADER_SIZE);
	memcpy(header, g_bytes_get_data(block, NULL), len);
	return g_bytes_new_take(header, CB_LOOP_AES_HEADER_SIZE);
}

/* puts the key block where it belongs: the header, or the key file */
static gboolean
cb_loop_aes_place(CbFormat *format,
		  CbLoopAesFormat *self,
		  const CbMetadata *metadata,
		  gboolean reused,
		  GError **error)
{
	g_autoptr(GBytes) block = NULL;
	g_autoptr(GBytes) header = NULL;

	/* a reused key file stays exactly as it was: it belongs to earlier
	 * images too */
	if (reused)
		return TRUE;
	block = cb_loop_aes_key_block(self, metadata, error);
	if (block == NULL)
		return FALSE;
	if (!self->in_header) {
		cb_format_set_key_file(format, block);
		return TRUE;
	}
	header = cb_loop_aes_header(block, error);
	if (header == NULL)
		return FALSE;
	cb_format_set_header(format, header);
	return TRUE;
}

static gboolean
cb_loop_aes_seal(CbFormat *format, gpointer cipher, const CbMetadata *metadata, GError **error)
{
	return cb_loop_aes_place(format, cipher, metadata, FALSE, error);
}

gboolean
cb_loop_aes_check_reuse(const CbMetadata *metadata, GError **error)
{
	if (metadata->serial != NULL || metadata->checksum_type != NULL) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("the key file exists and is reused as it is, so it cannot take "
		      "this image's serial or checksum (it may belong to other "
		      "images too); leave out --serial and --checksum, or name a new "
		      "key file"));
		return FALSE;
	}
	return TRUE;
}

static CbFormat *
cb_loop_aes_create(const CbFormatParams *params, GError **error)
{
	g_autoptr(CbLoopAesFormat) self = g_new0(CbLoopAesFormat, 1);
	g_autoptr(CbSecret) key_text = NULL;
	g_autoptr(GBytes) armored = NULL;
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	g_autoptr(GBytes) placeholder = NULL;
	gboolean reused = params->key_file != NULL;
	g_autoptr(CbFormat) format = NULL;
	CbLoopAesFormat *state;

	if (reused && params->metadata != NULL && !cb_loop_aes_check_reuse(params->metadata, error))
		return NULL;
	if (reused) {
		key_text = cb_gpg_key_decrypt(params->key_file, params->passphrase, error);
		if (key_text == NULL)
			return NULL;
		armored = g_bytes_ref(params->key_file);
	} else {
		key_text = cb_loopaes_generate_key_text(error);
		if (key_text == NULL)
			return NULL;
		armored = cb_gpg_key_encrypt(key_text, params->passphrase, error);
		if (armored == NULL)
			return NULL;
	}
	self->cipher = cb_loopaes_new(key_text, error);
	if (self->cipher == NULL)
		return NULL;
	self->armored = g_strndup(g_bytes_get_data(armored, NULL), g_bytes_get_size(armored));
	self->in_header = !params->separate_key && !reused;
	self->first_sector = self->in_header ? CB_LOOP_AES_HEADER_SIZE / 512 : 0;
	self->noinfo = params->noinfo;

	placeholder = self->in_header ? g_bytes_new_take(g_malloc0(CB_LOOP_AES_HEADER_SIZE),
							 CB_LOOP_AES_HEADER_SIZE)
				      : g_bytes_ref(empty);
	state = self;
	format = cb_format_new(&cb_format_loop_aes, placeholder, 512, cb_loop_aes_encrypt,
			       g_steal_pointer(&self), (GDestroyNotify) cb_loop_aes_format_free);
	cb_format_set_decrypt(format, cb_loop_aes_decrypt);
	if (!cb_loop_aes_place(format, state, params->metadata, reused, error))
		return NULL;
	if (reused)
		cb_format_set_key_file(format, params->key_file);
	if (params->metadata != NULL && params->metadata->checksum_type != NULL)
		cb_format_set_seal(format, cb_loop_aes_seal);
	return g_steal_pointer(&format);
}

gboolean
cb_loop_aes_read_key_info(GBytes *armored, CbImageInfo *info, GError **error)
{
	g_autofree gchar *text = NULL;
	g_autoptr(GHashTable) comments = NULL;
	const gchar *value;
	gsize start, end;

	if (!cb_armor_find(g_bytes_get_data(armored, NULL), g_bytes_get_size(armored), &start,
			   &end)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
				    _("no GnuPG key block"));
		return FALSE;
	}
	text = g_strndup((const gchar *) g_bytes_get_data(armored, NULL) + start, end - start);
	comments = cb_armor_parse_info(text);

	info->format = g_strdup(cb_format_loop_aes.name);
	info->cipher = g_strdup("aes-cbc multi-key-v3");
	info->key_bits = 256;
	info->sector_size = 512;
	info->pbkdf = g_strdup("gnupg s2k");
	info->metadata = g_new0(CbMetadata, 1);
	info->metadata->serial = g_strdup(g_hash_table_lookup(comments, "serial"));
	value = g_hash_table_lookup(comments, "version");
	if (value != NULL)
		info->metadata->version = g_strdup(
		    g_str_has_prefix(value, "cryptburn ") ? value + strlen("cryptburn ") : value);
	value = g_hash_table_lookup(comments, "timestamp");
	if (value != NULL) {
		gint64 t = g_ascii_strtoll(value, NULL, 10);
		if (t > 0)
			info->metadata->created = g_date_time_new_from_unix_utc(t);
	}
	value = g_hash_table_lookup(comments, "checksum");
	if (value != NULL && cb_metadata_parse_checksum(info->metadata, value, NULL)) {
		value = g_hash_table_lookup(comments, "checksum-size");
		if (value != NULL && !cb_metadata_parse_checksum_size(info->metadata, value, error))
			return FALSE;
	}
	return TRUE;
}

/* reads the key area of an image (or disc); the key block must sit at
 * its very start, as enciso put it */
GBytes *
cb_loop_aes_read_key_area(const gchar *path, GError **error)
{
	g_autofree guint8 *buf = g_malloc0(CB_LOOP_AES_HEADER_SIZE);
	gsize done = 0;
	gsize start, end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
			    g_strerror(errno));
		return NULL;
	}
	while (done < CB_LOOP_AES_HEADER_SIZE) {
		ssize_t n = read(fd, buf + done, CB_LOOP_AES_HEADER_SIZE - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
				    g_strerror(errno));
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		done += (gsize) n;
	}
	close(fd);
	if (!cb_armor_find(buf, done, &start, &end) || start != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("%s has no loop-AES key block in its first 16 KiB"), path);
		return NULL;
	}
	return g_bytes_new(buf, end);
}

static gboolean
cb_loop_aes_probe(const gchar *path, CbImageInfo *info, GError **error)
{
	g_autoptr(GBytes) block = cb_loop_aes_read_key_area(path, error);
	int fd;
	off_t size;

	if (block == NULL || !cb_loop_aes_read_key_info(block, info, error))
		return FALSE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	if (fd >= 0)
		close(fd);
	/* shorter than a key area: a key file of its own (--keyfile), which
	 * says what it says about its images but holds no data */
	if (size >= 0 && size < CB_LOOP_AES_HEADER_SIZE) {
		g_free(info->format);
		info->format = g_strdup("loop-aes key file");
		return TRUE;
	}
	info->data_offset = CB_LOOP_AES_HEADER_SIZE;
	info->payload_size =
	    size > CB_LOOP_AES_HEADER_SIZE ? (guint64) size - CB_LOOP_AES_HEADER_SIZE : 0;
	return TRUE;
}

const CbFormatDesc cb_format_loop_aes = {
	.name = "loop-aes",
	.summary = "loop-AES multi-key-v3 (enciso, aespipe), 65 keys encrypted with GnuPG "
		   "(AES256, SHA512) in the first 16 KiB or a --keyfile",
	.header_size = CB_LOOP_AES_HEADER_SIZE,
	.create = cb_loop_aes_create,
	.probe = cb_loop_aes_probe,
	/* holds a serial and a checksum as enciso did */
	.check_metadata = NULL,
};
