/* SPDX-License-Identifier: GPL-3.0-or-later */
/* AES-XTS against IEEE 1619 and against OpenSSL, an independent implementation */
#include "cb-xts.h"

#include <openssl/evp.h>
#include <string.h>

static CbSecret *
secret_from_hex(const gchar *hex)
{
	gsize len = strlen(hex) / 2;
	CbSecret *s = cb_secret_new(len, NULL);
	for (gsize i = 0; i < len; i++) {
		gchar byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		cb_secret_append(s, (guint8) g_ascii_strtoull(byte, NULL, 16));
	}
	return s;
}

/* IEEE P1619 XTS-AES-256 vector 10: data unit 0xff, 512 bytes */
static void
test_xts_ieee1619_vector10(void)
{
	g_autoptr(CbSecret) key =
	    secret_from_hex("2718281828459045235360287471352662497757247093699959574966967627"
			    "3141592653589793238462643383279502884197169399375105820974944592");
	g_autoptr(GError) error = NULL;
	g_autoptr(CbXts) xts = cb_xts_new(key, 512, &error);
	guint8 buf[512];

	g_assert_no_error(error);
	for (guint i = 0; i < sizeof(buf); i++)
		buf[i] = (guint8) i;
	g_assert_true(cb_xts_encrypt(xts, 0xff, buf, sizeof(buf), &error));
	g_assert_no_error(error);
	/* the published ciphertext's first 32 and last 16 bytes */
	{
		static const guint8 first[] = { 0x1c, 0x3b, 0x3a, 0x10, 0x2f, 0x77, 0x03, 0x86,
						0xe4, 0x83, 0x6c, 0x99, 0xe3, 0x70, 0xcf, 0x9b,
						0xea, 0x00, 0x80, 0x3f, 0x5e, 0x48, 0x23, 0x57,
						0xa4, 0xae, 0x12, 0xd4, 0x14, 0xa3, 0xe6, 0x3b };
		static const guint8 last[] = { 0xc4, 0xf3, 0x6f, 0xfd, 0xa9, 0xfc, 0xea, 0x70,
					       0xb9, 0xc6, 0xe6, 0x93, 0xe1, 0x48, 0xc1, 0x51 };
		g_assert_cmpmem(buf, sizeof(first), first, sizeof(first));
		g_assert_cmpmem(buf + 512 - 16, sizeof(last), last, sizeof(last));
	}
	g_assert_true(cb_xts_decrypt(xts, 0xff, buf, sizeof(buf), &error));
	for (guint i = 0; i < sizeof(buf); i++)
		g_assert_cmpuint(buf[i], ==, (guint8) i);
}

static void
openssl_xts_encrypt(const guint8 *key, guint64 tweak, const guint8 *in, guint8 *out, gsize len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	guint8 iv[16] = { 0 };
	int outl = 0;

	for (guint i = 0; i < 8; i++)
		iv[i] = (guint8) (tweak >> (8 * i));
	g_assert_cmpint(EVP_EncryptInit_ex(ctx, EVP_aes_256_xts(), NULL, key, iv), ==, 1);
	g_assert_cmpint(EVP_EncryptUpdate(ctx, out, &outl, in, (int) len), ==, 1);
	g_assert_cmpint(outl, ==, (int) len);
	EVP_CIPHER_CTX_free(ctx);
}

/* LUKS never sets iv_large_sectors: 2048-byte sector k has tweak 4k */
static void
test_xts_large_sector_tweak(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_secret_new_random(64, &error);
	g_autoptr(CbXts) xts = NULL;
	const gsize sectors = 5;
	const guint64 first = 1000;
	g_autofree guint8 *plain = g_malloc(2048 * sectors);
	g_autofree guint8 *ours = g_malloc(2048 * sectors);
	g_autofree guint8 *theirs = g_malloc(2048 * sectors);

	g_assert_no_error(error);
	xts = cb_xts_new(key, 2048, &error);
	g_assert_no_error(error);
	for (gsize i = 0; i < 2048 * sectors; i++)
		plain[i] = (guint8) g_random_int();
	memcpy(ours, plain, 2048 * sectors);
	g_assert_true(cb_xts_encrypt(xts, first, ours, 2048 * sectors, &error));
	for (gsize s = 0; s < sectors; s++)
		openssl_xts_encrypt(cb_secret_peek(key), (first + s) * 4, plain + 2048 * s,
				    theirs + 2048 * s, 2048);
	g_assert_cmpmem(ours, 2048 * sectors, theirs, 2048 * sectors);

	/* and counting in 2048-byte units would give something else */
	openssl_xts_encrypt(cb_secret_peek(key), first, plain, theirs, 2048);
	g_assert_true(memcmp(ours, theirs, 2048) != 0);
}

static void
test_xts_rejects_partial_sector(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_secret_new_random(64, NULL);
	g_autoptr(CbXts) xts = cb_xts_new(key, 2048, NULL);
	guint8 buf[1024] = { 0 };

	g_assert_false(cb_xts_encrypt(xts, 0, buf, sizeof(buf), &error));
	g_assert_nonnull(error);
}

static void
test_xts_rejects_bad_key(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) key = cb_secret_new_random(48, NULL);
	g_autoptr(CbXts) xts = cb_xts_new(key, 2048, &error);

	g_assert_null(xts);
	g_assert_nonnull(error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/xts/ieee1619-vector10", test_xts_ieee1619_vector10);
	g_test_add_func("/xts/large-sector-tweak", test_xts_large_sector_tweak);
	g_test_add_func("/xts/partial-sector", test_xts_rejects_partial_sector);
	g_test_add_func("/xts/bad-key", test_xts_rejects_bad_key);
	return g_test_run();
}
