/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-loopaes.h"

#include "cb-crypto.h"
#include "cb-error.h"
#include "cb-md5-block.h"

#include <gcrypt.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#define CB_LOOPAES_SECTOR 512
#define CB_LOOPAES_AES_KEYS 64
#define CB_LOOPAES_KEY_BYTES 32
/* aespipe stops reading the key file at the first shorter line */
#define CB_LOOPAES_MIN_LINE 20
/* aespipe fails ("Unable to allocate memory") on a longer line */
#define CB_LOOPAES_MAX_LINE 4094
/* aespipe reads one line more than the 65 it uses: a 66th too long fails it too */
#define CB_LOOPAES_READ_LINES (CB_LOOPAES_KEY_LINES + 1)
/* XORed into the first byte of every key hash: what makes v3 keys differ
 * from v2 keys made of the same lines */
#define CB_LOOPAES_V3_MARKER 0xf4

G_STATIC_ASSERT(CB_LOOPAES_LINE_LENGTH % 4 == 0);
G_STATIC_ASSERT(CB_LOOPAES_LINE_LENGTH >= CB_LOOPAES_MIN_LINE);
G_STATIC_ASSERT(CB_LOOPAES_LINE_LENGTH <= CB_LOOPAES_MAX_LINE);

/* sectors done together: their IVs are made CB_MD5_LANES at a time, and
 * each AES key is expanded once for all of its 16 sectors in the window;
 * 512 KiB stays in a core's L2 cache between the MD5 and the AES pass */
#define CB_LOOPAES_WINDOW 1024

struct _CbLoopAes {
	/* the 64 AES-256 keys, then the IV seed: the MD5 state after the
	 * 65th key's block, four little-endian words */
	CbSecret *keys;
	/* one schedule at a time: libgcrypt's locked pool (64 KiB) holds about
	 * 30 AES handles, not 64, so buffers are encrypted key by key */
	gcry_cipher_hd_t hd;
	gint loaded; /* the key in hd, -1 for none */
	/* the window's IVs, wiped after every call */
	guint8 ivs[CB_LOOPAES_WINDOW][16];
};

CbSecret *
cb_loopaes_generate_key_text(GError **error)
{
	static const gchar alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"abcdefghijklmnopqrstuvwxyz"
					"0123456789+/";
	/* 6 bits a character, so every one of the 64 is equally likely:
	 * 3 random bytes make 4 characters */
	g_autoptr(CbSecret) random =
	    cb_secret_new_random(CB_LOOPAES_KEY_LINES * CB_LOOPAES_LINE_LENGTH / 4 * 3, error);
	g_autoptr(CbSecret) text = NULL;
	const guint8 *r;

	if (random == NULL)
		return NULL;
	text = cb_secret_new(CB_LOOPAES_KEY_LINES * (CB_LOOPAES_LINE_LENGTH + 1), error);
	if (text == NULL)
		return NULL;
	r = cb_secret_peek(random);
	for (guint line = 0; line < CB_LOOPAES_KEY_LINES; line++) {
		for (guint c = 0; c < CB_LOOPAES_LINE_LENGTH; c += 4, r += 3) {
			cb_secret_append(text, (guint8) alphabet[r[0] >> 2]);
			cb_secret_append(text, (guint8) alphabet[((r[0] & 3) << 4) | (r[1] >> 4)]);
			cb_secret_append(text, (guint8) alphabet[((r[1] & 15) << 2) | (r[2] >> 6)]);
			cb_secret_append(text, (guint8) alphabet[r[2] & 63]);
		}
		cb_secret_append(text, '\n');
	}
	return g_steal_pointer(&text);
}

/* finds the key lines as aespipe reads them: split at '\n' only (a '\r'
 * stays part of the key), up to the first line shorter than 20 bytes */
static gboolean
cb_loopaes_split(const CbSecret *key_text,
		 gsize starts[CB_LOOPAES_KEY_LINES],
		 gsize lengths[CB_LOOPAES_KEY_LINES],
		 GError **error)
{
	const guint8 *text = cb_secret_peek(key_text);
	gsize size = cb_secret_size(key_text);
	gsize pos = 0;
	guint lines = 0;
	gboolean short_line = FALSE;

	for (guint i = 0; i < CB_LOOPAES_READ_LINES && pos < size; i++) {
		const guint8 *nl = memchr(text + pos, '\n', size - pos);
		gsize len = (nl != NULL ? (gsize) (nl - text) : size) - pos;

		/* aespipe reads keys as C strings and would cut this one short:
		 * refuse rather than guess what it makes of it */
		if (i < CB_LOOPAES_KEY_LINES && memchr(text + pos, '\0', len) != NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
				    _("not a loop-AES key file: line %u holds a NUL byte"), i + 1);
			return FALSE;
		}
		if (len > CB_LOOPAES_MAX_LINE) {
			g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
				    _("not a loop-AES key file: line %u has %zu characters, "
				      "aespipe reads at most %u"),
				    i + 1, len, CB_LOOPAES_MAX_LINE);
			return FALSE;
		}
		if (len < CB_LOOPAES_MIN_LINE) {
			short_line = TRUE;
			break;
		}
		if (i < CB_LOOPAES_KEY_LINES) {
			starts[i] = pos;
			lengths[i] = len;
			lines++;
		}
		pos += len + 1;
	}
	if (lines == CB_LOOPAES_KEY_LINES)
		return TRUE;
	if (lines == CB_LOOPAES_AES_KEYS) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("this key file has 64 keys (loop-AES multi-key-v2), "
			      "only v3 with 65 keys is supported"));
		return FALSE;
	}
	if (short_line) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("not a loop-AES key file: line %u is shorter than %u characters "
			      "(multi-key-v3 needs %u key lines)"),
			    lines + 1, CB_LOOPAES_MIN_LINE, CB_LOOPAES_KEY_LINES);
		return FALSE;
	}
	g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
		    _("not a loop-AES key file: %u key lines, multi-key-v3 needs %u"), lines,
		    CB_LOOPAES_KEY_LINES);
	return FALSE;
}

static gboolean
cb_loopaes_derive(CbLoopAes *self, const CbSecret *key_text, GError **error)
{
	const guint8 *text = cb_secret_peek(key_text);
	gsize starts[CB_LOOPAES_KEY_LINES];
	gsize lengths[CB_LOOPAES_KEY_LINES];
	guint32 block[16] = { 0 };
	guint32 seed[4] = CB_MD5_INIT;
	gcry_md_hd_t md = NULL;
	const guint8 *digest;
	gcry_error_t rc;

	if (!cb_loopaes_split(key_text, starts, lengths, error))
		return FALSE;
	self->keys =
	    cb_secret_new(CB_LOOPAES_AES_KEYS * CB_LOOPAES_KEY_BYTES + sizeof(seed), error);
	if (self->keys == NULL)
		return FALSE;
	/* GCRY_MD_FLAG_SECURE: the digests stay in libgcrypt's locked pool */
	rc = gcry_md_open(&md, GCRY_MD_SHA512, GCRY_MD_FLAG_SECURE);
	if (rc != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("cannot set up SHA-512: %s"),
			    gcry_strerror(rc));
		return FALSE;
	}
	for (guint i = 0; i < CB_LOOPAES_AES_KEYS; i++) {
		gcry_md_reset(md);
		gcry_md_write(md, text + starts[i], lengths[i]);
		digest = gcry_md_read(md, GCRY_MD_SHA512);
		/* AES-256 takes the first half of the SHA-512 */
		cb_secret_append(self->keys, digest[0] ^ CB_LOOPAES_V3_MARKER);
		for (guint b = 1; b < CB_LOOPAES_KEY_BYTES; b++)
			cb_secret_append(self->keys, digest[b]);
	}

	/* the 65th key: its first 16 bytes, zero-padded to one MD5 block that
	 * every IV hash starts with */
	gcry_md_reset(md);
	gcry_md_write(md, text + starts[CB_LOOPAES_AES_KEYS], lengths[CB_LOOPAES_AES_KEYS]);
	digest = gcry_md_read(md, GCRY_MD_SHA512);
	for (guint b = 0; b < 16; b++)
		block[b / 4] |= (guint32) digest[b] << (8 * (b % 4));
	gcry_md_close(md);
	block[0] ^= CB_LOOPAES_V3_MARKER;
	cb_md5_block(seed, block);
	for (guint w = 0; w < 4; w++) {
		for (guint b = 0; b < 4; b++)
			cb_secret_append(self->keys, (guint8) (seed[w] >> (8 * b)));
	}
	explicit_bzero(block, sizeof(block));
	explicit_bzero(seed, sizeof(seed));
	return TRUE;
}

CbLoopAes *
cb_loopaes_new(const CbSecret *key_text, GError **error)
{
	g_autoptr(CbLoopAes) self = g_new0(CbLoopAes, 1);
	gcry_error_t rc;

	self->loaded = -1;
	if (!cb_crypto_init(error))
		return NULL;
	if (!cb_loopaes_derive(self, key_text, error))
		return NULL;
	/* GCRY_CIPHER_SECURE: the expanded key lives in libgcrypt's locked pool */
	rc = gcry_cipher_open(&self->hd, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC,
			      GCRY_CIPHER_SECURE);
	if (rc != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("cannot set up AES-CBC: %s"),
			    gcry_strerror(rc));
		return NULL;
	}
	return g_steal_pointer(&self);
}

void
cb_loopaes_free(CbLoopAes *self)
{
	if (self == NULL)
		return;
	if (self->hd != NULL)
		gcry_cipher_close(self->hd);
	cb_secret_free(self->keys);
	g_free(self);
}

static inline guint32
cb_loopaes_le32(const guint8 *bytes)
{
	guint32 word;

	memcpy(&word, bytes, sizeof(word));
	return GUINT32_FROM_LE(word);
}

/* lane l's MD5 block: 16 words (12 for the last block) of sector l */
static inline void
cb_loopaes_load_lane(guint32 block[16][CB_MD5_LANES], guint l, const guint8 *bytes, guint words)
{
	for (guint w = 0; w < words; w++)
		block[w][l] = cb_loopaes_le32(bytes + 4 * w);
}

/*
 * The IVs of n sectors from their plaintext. A sector's IV is MD5 padding
 * for a 503-byte message, plaintext bytes 16..511 then the sector number's
 * low 7 bytes, hashed on from the seed state: the key block already in the
 * seed is not counted in the length (4024 bits). Bytes 0..15 are left out
 * so that decryption can recover them last.
 */
static void
cb_loopaes_make_ivs(CbLoopAes *self, guint64 first, const guint8 *plain, gsize n)
{
	const guint8 *seed =
	    cb_secret_peek(self->keys) + CB_LOOPAES_AES_KEYS * CB_LOOPAES_KEY_BYTES;
	guint32 state[4][CB_MD5_LANES];
	/* zeroed: lanes past n hash these words, and their IVs are dropped */
	guint32 block[16][CB_MD5_LANES] = { { 0 } };

	for (gsize i = 0; i < n; i += CB_MD5_LANES) {
		guint lanes = (guint) MIN(CB_MD5_LANES, n - i);
		const guint8 *sector = plain + i * CB_LOOPAES_SECTOR;

		for (guint w = 0; w < 4; w++) {
			for (guint l = 0; l < CB_MD5_LANES; l++)
				state[w][l] = cb_loopaes_le32(seed + 4 * w);
		}
		for (guint off = 16; off < 464; off += 64) {
			for (guint l = 0; l < lanes; l++)
				cb_loopaes_load_lane(block, l, sector + l * CB_LOOPAES_SECTOR + off,
						     16);
			cb_md5_block_lanes(state, block);
		}
		for (guint l = 0; l < lanes; l++) {
			guint64 number = first + i + l;

			cb_loopaes_load_lane(block, l, sector + l * CB_LOOPAES_SECTOR + 464, 12);
			block[12][l] = (guint32) number;
			/* MD5's 0x80 padding byte follows the 7th byte of the number */
			block[13][l] = ((guint32) (number >> 32) & 0xffffff) | 0x80000000;
			block[14][l] = 4024;
			block[15][l] = 0;
		}
		cb_md5_block_lanes(state, block);
		for (guint l = 0; l < lanes; l++) {
			for (guint w = 0; w < 4; w++) {
				guint32 le = GUINT32_TO_LE(state[w][l]);
				memcpy(self->ivs[i + l] + 4 * w, &le, sizeof(le));
			}
		}
	}
	explicit_bzero(state, sizeof(state));
	explicit_bzero(block, sizeof(block));
}

/* AES-CBC over n sectors, each its own chain: encryption takes the IVs
 * in self->ivs, decryption starts from zero and leaves the first 16 bytes
 * of each sector still XORed with its IV */
static gcry_error_t
cb_loopaes_cbc(CbLoopAes *self, guint64 first, guint8 *buf, gsize n, gboolean encrypt)
{
	static const guint8 zero_iv[16];
	const guint8 *keys = cb_secret_peek(self->keys);
	gcry_error_t rc = 0;

	/* sector s takes key s % 64 */
	for (gsize j = 0; j < MIN(n, CB_LOOPAES_AES_KEYS) && rc == 0; j++) {
		gint key = (gint) ((first + j) % CB_LOOPAES_AES_KEYS);

		if (key != self->loaded) {
			self->loaded = -1;
			rc = gcry_cipher_setkey(self->hd, keys + key * CB_LOOPAES_KEY_BYTES,
						CB_LOOPAES_KEY_BYTES);
			if (rc != 0)
				break;
			self->loaded = key;
		}
		for (gsize i = j; i < n && rc == 0; i += CB_LOOPAES_AES_KEYS) {
			guint8 *sector = buf + i * CB_LOOPAES_SECTOR;

			rc = gcry_cipher_setiv(self->hd, encrypt ? self->ivs[i] : zero_iv, 16);
			if (rc == 0 && encrypt)
				rc = gcry_cipher_encrypt(self->hd, sector, CB_LOOPAES_SECTOR, NULL,
							 0);
			else if (rc == 0)
				rc = gcry_cipher_decrypt(self->hd, sector, CB_LOOPAES_SECTOR, NULL,
							 0);
		}
	}
	return rc;
}

static gboolean
cb_loopaes_crypt(
    CbLoopAes *self, guint64 sector, guint8 *buf, gsize len, gboolean encrypt, GError **error)
{
	gsize count = len / CB_LOOPAES_SECTOR;
	gcry_error_t rc = 0;

	if (len % CB_LOOPAES_SECTOR != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("loop-AES works on whole 512-byte sectors, not on %zu bytes"), len);
		return FALSE;
	}
	for (gsize done = 0; done < count && rc == 0; done += CB_LOOPAES_WINDOW) {
		gsize n = MIN(CB_LOOPAES_WINDOW, count - done);
		guint8 *window = buf + done * CB_LOOPAES_SECTOR;

		if (encrypt) {
			cb_loopaes_make_ivs(self, sector + done, window, n);
			rc = cb_loopaes_cbc(self, sector + done, window, n, TRUE);
		} else {
			/* CBC gives bytes 16..511 without the IV, and the IV from
			 * them: XORed into the first block it ends it */
			rc = cb_loopaes_cbc(self, sector + done, window, n, FALSE);
			if (rc != 0)
				break;
			cb_loopaes_make_ivs(self, sector + done, window, n);
			for (gsize i = 0; i < n; i++) {
				for (guint b = 0; b < 16; b++)
					window[i * CB_LOOPAES_SECTOR + b] ^= self->ivs[i][b];
			}
		}
	}
	explicit_bzero(self->ivs, MIN(count, CB_LOOPAES_WINDOW) * sizeof(self->ivs[0]));
	if (rc != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("loop-AES failed: %s"),
			    gcry_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_loopaes_encrypt(CbLoopAes *self, guint64 sector, guint8 *buf, gsize len, GError **error)
{
	return cb_loopaes_crypt(self, sector, buf, len, TRUE, error);
}

gboolean
cb_loopaes_decrypt(CbLoopAes *self, guint64 sector, guint8 *buf, gsize len, GError **error)
{
	return cb_loopaes_crypt(self, sector, buf, len, FALSE, error);
}
