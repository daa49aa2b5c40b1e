/* SPDX-License-Identifier: GPL-3.0-or-later */
/* loop-AES multi-key-v3 against aespipe, the reference implementation */
#include "cb-crypto.h"
#include "cb-error.h"
#include "cb-loopaes.h"
#include "cb-md5-block.h"

#include <gcrypt.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AESPIPE "/usr/bin/aespipe"
/* 32 key cycles and a bit, two of cb-loopaes.c's 1024-sector windows and
 * a part, and a last batch of 4 for the 8 MD5 lanes */
#define SECTORS 2100

static CbSecret *
secret_from_text(const gchar *text, gsize len)
{
	CbSecret *s = cb_secret_new(len, NULL);
	for (gsize i = 0; i < len; i++)
		cb_secret_append(s, (guint8) text[i]);
	return s;
}

/* n lines of 120 characters ('A' + line number mixed in, so that every
 * key differs), line `short_at` cut to 19 characters */
static CbSecret *
key_text(guint n, gint short_at)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; i < n; i++) {
		guint len = (gint) i == short_at ? 19 : 120;
		for (guint c = 0; c < len; c++)
			g_string_append_c(text, (gchar) ('A' + (i * 7 + c) % 26));
		g_string_append_c(text, '\n');
	}
	return secret_from_text(text->str, text->len);
}

static guint8 *
random_data(gsize len)
{
	guint8 *buf = g_malloc(len);

	gcry_create_nonce(buf, len);
	return buf;
}

/* the clear-text key in a 0600 file, as aespipe -P reads it */
static gchar *
write_key_file(const CbSecret *key)
{
	g_autoptr(GError) error = NULL;
	gchar *path = NULL;
	int fd = g_file_open_tmp("cb-loopaes-key-XXXXXX", &path, &error);
	const guint8 *p = cb_secret_peek(key);
	gsize left = cb_secret_size(key);

	g_assert_no_error(error);
	g_assert_cmpint(fchmod(fd, 0600), ==, 0);
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		g_assert_cmpint(n, >, 0);
		p += n;
		left -= (gsize) n;
	}
	g_assert_cmpint(close(fd), ==, 0);
	return path;
}

/* aespipe -e aes256 [-d] -O first -P key_path, data through pipes */
static GBytes *
aespipe(const gchar *key_path, gboolean decrypt, guint32 first, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GBytes) input = g_bytes_new(data, len);
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GBytes) err = NULL;

	g_ptr_array_add(argv, g_strdup(AESPIPE));
	g_ptr_array_add(argv, g_strdup("-e"));
	g_ptr_array_add(argv, g_strdup("aes256"));
	if (decrypt)
		g_ptr_array_add(argv, g_strdup("-d"));
	g_ptr_array_add(argv, g_strdup("-O"));
	g_ptr_array_add(argv, g_strdup_printf("%u", first));
	g_ptr_array_add(argv, g_strdup("-P"));
	g_ptr_array_add(argv, g_strdup(key_path));
	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_newv((const gchar *const *) argv->pdata,
				 G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				     G_SUBPROCESS_FLAGS_STDERR_PIPE,
				 &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_communicate(proc, input, NULL, &out, &err, &error));
	g_assert_no_error(error);
	if (!g_subprocess_get_successful(proc))
		g_error("aespipe failed: %.*s", (int) g_bytes_get_size(err),
			(const gchar *) g_bytes_get_data(err, NULL));
	return g_steal_pointer(&out);
}

/* MD5("abc") padded by hand into one block: the bare compression function
 * from the initial state must give what libgcrypt's full MD5 gives */
static void
test_md5_block(void)
{
	guint8 bytes[64] = { 'a', 'b', 'c', 0x80 };
	guint32 block[16];
	guint32 state[4] = CB_MD5_INIT;
	guint8 digest[16];
	guint8 expected[16];

	bytes[56] = 3 * 8; /* the length in bits, little-endian */
	for (guint w = 0; w < 16; w++) {
		guint32 le;
		memcpy(&le, bytes + 4 * w, sizeof(le));
		block[w] = GUINT32_FROM_LE(le);
	}
	cb_md5_block(state, block);
	for (guint w = 0; w < 4; w++) {
		guint32 le = GUINT32_TO_LE(state[w]);
		memcpy(digest + 4 * w, &le, sizeof(le));
	}
	gcry_md_hash_buffer(GCRY_MD_MD5, expected, "abc", 3);
	g_assert_cmpmem(digest, sizeof(digest), expected, sizeof(expected));
}

/* every lane of cb_md5_block_lanes() is a cb_md5_block() of its own */
static void
test_md5_lanes(void)
{
	guint32 state[4][CB_MD5_LANES];
	guint32 block[16][CB_MD5_LANES];
	guint32 expected[4][CB_MD5_LANES];

	gcry_create_nonce(state, sizeof(state));
	gcry_create_nonce(block, sizeof(block));
	for (guint l = 0; l < CB_MD5_LANES; l++) {
		guint32 one_state[4];
		guint32 one_block[16];

		for (guint w = 0; w < 4; w++)
			one_state[w] = state[w][l];
		for (guint w = 0; w < 16; w++)
			one_block[w] = block[w][l];
		cb_md5_block(one_state, one_block);
		for (guint w = 0; w < 4; w++)
			expected[w][l] = one_state[w];
	}
	cb_md5_block_lanes(state, block);
	g_assert_cmpmem(state, sizeof(state), expected, sizeof(expected));
}

/* the same ciphertext whether a buffer comes whole or in odd pieces */
static void
test_pieces(void)
{
	static const gsize pieces[] = { 1, 3, 8, 9, 63, 64, 65, 1030, 777 };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_loopaes_generate_key_text(&error);
	g_autoptr(CbLoopAes) cipher = cb_loopaes_new(key, &error);
	gsize total = 0;
	g_autofree guint8 *whole = NULL;
	g_autofree guint8 *pieced = NULL;

	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(pieces); i++)
		total += pieces[i];
	whole = random_data(total * 512);
	pieced = g_memdup2(whole, total * 512);
	g_assert_true(cb_loopaes_encrypt(cipher, 1000, whole, total * 512, &error));
	for (gsize i = 0, at = 0; i < G_N_ELEMENTS(pieces); at += pieces[i++]) {
		g_assert_true(cb_loopaes_encrypt(cipher, 1000 + at, pieced + at * 512,
						 pieces[i] * 512, &error));
	}
	g_assert_no_error(error);
	g_assert_cmpmem(whole, total * 512, pieced, total * 512);
}

static void
test_generate(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) a = cb_loopaes_generate_key_text(&error);
	g_autoptr(CbSecret) b = NULL;
	g_autoptr(CbLoopAes) cipher = NULL;
	const guint8 *text;

	g_assert_no_error(error);
	g_assert_cmpuint(cb_secret_size(a), ==,
			 CB_LOOPAES_KEY_LINES * (CB_LOOPAES_LINE_LENGTH + 1));
	text = cb_secret_peek(a);
	for (guint line = 0; line < CB_LOOPAES_KEY_LINES; line++) {
		const guint8 *p = text + line * (CB_LOOPAES_LINE_LENGTH + 1);
		for (guint c = 0; c < CB_LOOPAES_LINE_LENGTH; c++)
			g_assert_true(g_ascii_isalnum(p[c]) || p[c] == '+' || p[c] == '/');
		g_assert_cmpint(p[CB_LOOPAES_LINE_LENGTH], ==, '\n');
	}
	b = cb_loopaes_generate_key_text(&error);
	g_assert_no_error(error);
	g_assert_false(cb_secret_equal(a, b));
	cipher = cb_loopaes_new(a, &error);
	g_assert_no_error(error);
	g_assert_nonnull(cipher);
}

/* ours and aespipe, both directions, from sector 32 on */
static void
check_against_aespipe(const CbSecret *key)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbLoopAes) cipher = NULL;
	g_autofree gchar *key_path = NULL;
	g_autofree guint8 *plain = random_data(SECTORS * 512);
	g_autofree guint8 *ours = g_memdup2(plain, SECTORS * 512);
	g_autoptr(GBytes) theirs = NULL;
	g_autoptr(GBytes) back = NULL;

	if (!g_file_test(AESPIPE, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("no " AESPIPE);
		return;
	}
	cipher = cb_loopaes_new(key, &error);
	g_assert_no_error(error);
	key_path = write_key_file(key);

	g_assert_true(cb_loopaes_encrypt(cipher, 32, ours, SECTORS * 512, &error));
	g_assert_no_error(error);
	g_assert_true(memcmp(ours, plain, 512) != 0);
	back = aespipe(key_path, TRUE, 32, ours, SECTORS * 512);
	g_assert_cmpmem(g_bytes_get_data(back, NULL), g_bytes_get_size(back), plain, SECTORS * 512);

	theirs = aespipe(key_path, FALSE, 32, plain, SECTORS * 512);
	g_assert_cmpmem(g_bytes_get_data(theirs, NULL), g_bytes_get_size(theirs), ours,
			SECTORS * 512);
	g_assert_true(cb_loopaes_decrypt(cipher, 32, ours, SECTORS * 512, &error));
	g_assert_no_error(error);
	g_assert_cmpmem(ours, SECTORS * 512, plain, SECTORS * 512);
	g_unlink(key_path);
}

static void
test_aespipe(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_loopaes_generate_key_text(&error);

	g_assert_no_error(error);
	check_against_aespipe(key);
}

/* key lines are bytes up to '\n', nothing stripped: spaces, a tab, a
 * '\r', a line far longer than ours, a 66th line aespipe reads and
 * ignores, and no newline at the end */
static void
test_aespipe_odd_key_lines(void)
{
	g_autoptr(CbSecret) base = key_text(CB_LOOPAES_KEY_LINES, -1);
	g_autofree gchar *base_text =
	    g_strndup((const gchar *) cb_secret_peek(base), cb_secret_size(base));
	g_auto(GStrv) lines = g_strsplit(base_text, "\n", CB_LOOPAES_KEY_LINES);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(CbSecret) key = NULL;

	for (guint i = 0; i < CB_LOOPAES_KEY_LINES; i++) {
		g_autofree gchar *line = g_strndup(lines[i], CB_LOOPAES_LINE_LENGTH);
		if (i == 3)
			g_string_append_printf(text, "%s  \n", line);
		else if (i == 5)
			g_string_append_printf(text, " \t%s\n", line);
		else if (i == 7)
			for (guint r = 0; r < 30; r++)
				g_string_append(text, r == 29 ? "tail\n" : line);
		else if (i == 64)
			g_string_append_printf(text, "%s\r\n", line);
		else
			g_string_append_printf(text, "%s\n", line);
	}
	g_string_append(text, "a 66th line that aespipe reads and ignores");
	key = secret_from_text(text->str, text->len);
	check_against_aespipe(key);
}

/* the specification of one sector, written plainly: a model of our own
 * to check sector numbers past what aespipe -O takes */
static void
model_encrypt_sector(const CbSecret *key, guint64 n, const guint8 *plain, guint8 *out)
{
	g_autofree gchar *text =
	    g_strndup((const gchar *) cb_secret_peek(key), cb_secret_size(key));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint8 hash[64];
	guint8 bytes[64] = { 0 };
	guint32 block[16];
	guint32 state[4] = CB_MD5_INIT;
	guint8 iv[16];
	gcry_cipher_hd_t hd;

	/* the 65th line, v3-marked, as the first MD5 block */
	gcry_md_hash_buffer(GCRY_MD_SHA512, hash, lines[64], strlen(lines[64]));
	memcpy(bytes, hash, 16);
	bytes[0] ^= 0xf4;
	memcpy(block, bytes, sizeof(block));
	for (guint w = 0; w < 16; w++)
		block[w] = GUINT32_FROM_LE(block[w]);
	cb_md5_block(state, block);

	/* plaintext 16..511, the sector number's 7 low bytes, MD5 padding
	 * for those 503 bytes */
	for (guint off = 16; off < 512; off += 64) {
		memset(bytes, 0, sizeof(bytes));
		memcpy(bytes, plain + off, MIN(64, 512 - off));
		if (off == 464) {
			for (guint b = 0; b < 7; b++)
				bytes[48 + b] = (guint8) (n >> (8 * b));
			bytes[55] = 0x80;
			bytes[56] = 4024 & 0xff;
			bytes[57] = 4024 >> 8;
		}
		memcpy(block, bytes, sizeof(block));
		for (guint w = 0; w < 16; w++)
			block[w] = GUINT32_FROM_LE(block[w]);
		cb_md5_block(state, block);
	}
	for (guint w = 0; w < 4; w++)
		state[w] = GUINT32_TO_LE(state[w]);
	memcpy(iv, state, sizeof(iv));

	gcry_md_hash_buffer(GCRY_MD_SHA512, hash, lines[n % 64], strlen(lines[n % 64]));
	hash[0] ^= 0xf4;
	g_assert_cmpint(gcry_cipher_open(&hd, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0), ==, 0);
	g_assert_cmpint(gcry_cipher_setkey(hd, hash, 32), ==, 0);
	g_assert_cmpint(gcry_cipher_setiv(hd, iv, 16), ==, 0);
	g_assert_cmpint(gcry_cipher_encrypt(hd, out, 512, plain, 512), ==, 0);
	gcry_cipher_close(hd);
}

/* aespipe -O stops at 2^32 - 1: past it, the model above (checked on
 * low sectors, where aespipe agrees with us) and a round trip */
static void
test_high_sector(void)
{
	static const guint64 starts[] = { 32, G_GUINT64_CONSTANT(0x100000005),
					  G_GUINT64_CONSTANT(0xabcdef12345678) };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_loopaes_generate_key_text(&error);
	g_autoptr(CbLoopAes) cipher = cb_loopaes_new(key, &error);
	g_autofree guint8 *plain = random_data(70 * 512);
	g_autofree guint8 *low = g_memdup2(plain, 70 * 512);

	g_assert_no_error(error);
	g_assert_true(cb_loopaes_encrypt(cipher, 5, low, 70 * 512, &error));
	for (guint s = 0; s < G_N_ELEMENTS(starts); s++) {
		g_autofree guint8 *ours = g_memdup2(plain, 70 * 512);

		g_assert_true(cb_loopaes_encrypt(cipher, starts[s], ours, 70 * 512, &error));
		g_assert_no_error(error);
		for (guint i = 0; i < 70; i++) {
			guint8 model[512];

			model_encrypt_sector(key, starts[s] + i, plain + i * 512, model);
			g_assert_cmpmem(ours + i * 512, 512, model, 512);
			g_assert_true(memcmp(ours + i * 512, low + i * 512, 512) != 0);
		}
		g_assert_true(cb_loopaes_decrypt(cipher, starts[s], ours, 70 * 512, &error));
		g_assert_no_error(error);
		g_assert_cmpmem(ours, 70 * 512, plain, 70 * 512);
	}
}

static void
test_bad_keys(void)
{
	struct {
		guint lines;
		gint short_at;
		gint code;
	} cases[] = {
		{ 10, -1, CB_ERROR_CRYPTO },
		{ 0, -1, CB_ERROR_CRYPTO },
		{ 64, -1, CB_ERROR_NOT_SUPPORTED },
		{ 65, 30, CB_ERROR_CRYPTO },
		{ 65, 0, CB_ERROR_CRYPTO },
		/* aespipe would take the 64 lines before it as v2 */
		{ 65, 64, CB_ERROR_NOT_SUPPORTED },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CbSecret) key = key_text(cases[i].lines, cases[i].short_at);
		g_autoptr(CbLoopAes) cipher = cb_loopaes_new(key, &error);

		g_assert_null(cipher);
		g_assert_error(error, CB_ERROR, cases[i].code);
	}
}

/* what aespipe cannot read (a line over 4094 bytes) or reads other than
 * it looks (a NUL ends its C string) is refused */
static void
test_unreadable_keys(void)
{
	g_autoptr(CbSecret) base = key_text(CB_LOOPAES_KEY_LINES, -1);
	g_autoptr(GString) text =
	    g_string_new_len((const gchar *) cb_secret_peek(base), (gssize) cb_secret_size(base));
	g_autofree gchar *pad = g_strnfill(4095 - CB_LOOPAES_LINE_LENGTH, 'y');
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = NULL;
	g_autoptr(CbLoopAes) cipher = NULL;

	text->str[40] = '\0';
	key = secret_from_text(text->str, text->len);
	cipher = cb_loopaes_new(key, &error);
	g_assert_null(cipher);
	g_assert_error(error, CB_ERROR, CB_ERROR_CRYPTO);
	g_clear_error(&error);
	g_clear_pointer(&key, cb_secret_free);

	/* the third line made 4095 bytes long */
	text->str[40] = 'x';
	g_string_insert(text, 121 * 2, pad);
	key = secret_from_text(text->str, text->len);
	cipher = cb_loopaes_new(key, &error);
	g_assert_null(cipher);
	g_assert_error(error, CB_ERROR, CB_ERROR_CRYPTO);
	g_assert_nonnull(strstr(error->message, "4095"));
}

static void
test_bad_length(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_loopaes_generate_key_text(&error);
	g_autoptr(CbLoopAes) cipher = cb_loopaes_new(key, &error);
	guint8 buf[1000] = { 0 };

	g_assert_no_error(error);
	g_assert_false(cb_loopaes_encrypt(cipher, 0, buf, sizeof(buf), &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_clear_error(&error);
	g_assert_false(cb_loopaes_decrypt(cipher, 0, buf, sizeof(buf), &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	/* nothing was touched */
	for (guint i = 0; i < sizeof(buf); i++)
		g_assert_cmpuint(buf[i], ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_true(cb_crypto_init(NULL));
	g_test_add_func("/loopaes/md5-block", test_md5_block);
	g_test_add_func("/loopaes/md5-lanes", test_md5_lanes);
	g_test_add_func("/loopaes/generate", test_generate);
	g_test_add_func("/loopaes/pieces", test_pieces);
	g_test_add_func("/loopaes/aespipe", test_aespipe);
	g_test_add_func("/loopaes/aespipe-odd-key-lines", test_aespipe_odd_key_lines);
	g_test_add_func("/loopaes/high-sector", test_high_sector);
	g_test_add_func("/loopaes/bad-keys", test_bad_keys);
	g_test_add_func("/loopaes/unreadable-keys", test_unreadable_keys);
	g_test_add_func("/loopaes/bad-length", test_bad_length);
	return g_test_run();
}
