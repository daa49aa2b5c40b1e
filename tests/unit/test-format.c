/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"
#include "cb-format.h"

#include <gcrypt.h>
#include <glib/gstdio.h>
#include <string.h>

static CbSecret *
passphrase(const gchar *text)
{
	CbSecret *s = cb_secret_new(strlen(text), NULL);
	for (const gchar *p = text; *p; p++)
		cb_secret_append(s, (guint8) *p);
	return s;
}

static void
test_format_lookup(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(cb_format_lookup("luks2", &error));
	g_assert_nonnull(cb_format_lookup("luks1", &error));
	g_assert_cmpstr(cb_format_default_name(), ==, "luks2");
	g_assert_null(cb_format_lookup("rot13", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
	g_assert_nonnull(strstr(error->message, "luks2"));
}

/* a header made, written to a file, and read back by the same format */
static void
check_roundtrip(const gchar *name, guint64 offset, guint sector, const gchar *magic_version)
{
	const CbFormatDesc *desc = cb_format_lookup(name, NULL);
	g_autoptr(CbSecret) pass = passphrase("unit test passphrase");
	g_autoptr(CbMetadata) meta = cb_metadata_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(CbFormat) format = NULL;
	g_autoptr(CbImageInfo) info = NULL;
	g_autofree gchar *path = NULL;
	g_autofree guint8 *image = NULL;
	CbFormatParams params = { .passphrase = pass,
				  .metadata = meta,
				  .pbkdf_iterations = g_strcmp0(name, "luks1") == 0 ? 1000 : 4,
				  .pbkdf_memory_kb = 32768 };
	GBytes *header;
	int fd;

	meta->volume_id = g_strdup("UNITVOL");
	if (g_strcmp0(name, "luks2") == 0)
		meta->serial = g_strdup("SER-42");
	format = desc->create(&params, &error);
	g_assert_no_error(error);
	header = cb_format_get_header(format);
	g_assert_cmpuint(g_bytes_get_size(header), ==, offset);
	g_assert_cmpuint(cb_format_get_sector_size(format), ==, sector);
	g_assert_cmpmem(g_bytes_get_data(header, NULL), 8, magic_version, 8);

	/* header + one encrypted sector: the payload must not stay plain */
	image = g_malloc0(offset + 4096);
	memcpy(image, g_bytes_get_data(header, NULL), offset);
	memset(image + offset, 'P', 4096);
	g_assert_true(cb_format_encrypt(format, 0, image + offset, 4096, &error));
	g_assert_true(image[offset] != 'P' || image[offset + 1] != 'P');

	fd = g_file_open_tmp("cb-format-XXXXXX", &path, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, (gchar *) image, (gssize) (offset + 4096), &error));
	info = cb_image_info_read(path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(info->format, ==, name);
	g_assert_cmpstr(info->cipher, ==, "aes-xts-plain64");
	g_assert_cmpuint(info->key_bits, ==, 512);
	g_assert_cmpuint(info->sector_size, ==, sector);
	g_assert_cmpuint(info->data_offset, ==, offset);
	g_assert_cmpuint(info->payload_size, ==, 4096);
	if (g_strcmp0(name, "luks2") == 0) {
		g_autofree gchar *created = cb_metadata_format_created(info->metadata);
		g_autofree gchar *expected = cb_metadata_format_created(meta);
		g_assert_cmpstr(info->metadata->serial, ==, "SER-42");
		g_assert_cmpstr(info->metadata->volume_id, ==, "UNITVOL");
		g_assert_cmpstr(info->metadata->version, ==, CB_VERSION);
		g_assert_cmpstr(created, ==, expected);
		g_assert_cmpstr(info->pbkdf, ==, "argon2id");
	} else {
		g_assert_cmpstr(info->pbkdf, ==, "pbkdf2");
	}
	g_unlink(path);
}

static void
test_format_luks2(void)
{
	check_roundtrip("luks2", 1024 * 1024, 2048, "LUKS\xba\xbe\x00\x02");
}

static void
test_format_luks1(void)
{
	check_roundtrip("luks1", 2 * 1024 * 1024, 512, "LUKS\xba\xbe\x00\x01");
}

static void
test_format_luks1_refuses_serial(void)
{
	const CbFormatDesc *desc = cb_format_lookup("luks1", NULL);
	g_autoptr(CbMetadata) meta = cb_metadata_new();
	g_autoptr(GError) error = NULL;

	meta->serial = g_strdup("X");
	g_assert_false(desc->check_metadata(meta, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
}

static void
test_format_info_not_an_image(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(CbImageInfo) info = NULL;
	int fd = g_file_open_tmp("cb-format-XXXXXX", &path, &error);

	close(fd);
	g_assert_true(g_file_set_contents(path, "just text\n", -1, &error));
	info = cb_image_info_read(path, &error);
	g_assert_null(info);
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED);
	g_unlink(path);
}

/* what each format needs to be made cheaply: the lowest KDF costs */
static CbFormat *
make_format(const gchar *name, gboolean separate_key)
{
	const CbFormatDesc *desc = cb_format_lookup(name, NULL);
	g_autoptr(CbSecret) pass = passphrase("unit test passphrase");
	g_autoptr(GError) error = NULL;
	CbFormatParams params = { .passphrase = pass,
				  .pbkdf_iterations = g_strcmp0(name, "luks1") == 0 ? 1000 : 4,
				  .pbkdf_memory_kb = 32768,
				  .separate_key = separate_key };
	CbFormat *format;

	g_assert_nonnull(desc);
	format = desc->create(&params, &error);
	g_assert_no_error(error);
	g_assert_nonnull(format);
	return format;
}

/* random sectors encrypted at a payload offset come back decrypted; the
 * offsets reach past 2^32 bytes, where 32-bit sector numbers would wrap */
static void
check_decrypt(gconstpointer data)
{
	const gchar *spec = data;
	gboolean separate_key = g_str_has_suffix(spec, "+keyfile");
	g_autofree gchar *name = g_strndup(spec, strcspn(spec, "+"));
	g_autoptr(CbFormat) format = make_format(name, separate_key);
	guint sector = cb_format_get_sector_size(format);
	const guint64 offsets[] = { 0, 2048, 7 * 2048, 1024 * 1024, G_GUINT64_CONSTANT(5) << 30 };
	const gsize len = 8 * 2048;

	g_assert_cmpuint(2048 % sector, ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(offsets); i++) {
		g_autofree guint8 *plain = g_malloc(len);
		g_autofree guint8 *buf = g_malloc(len);
		g_autofree guint8 *shifted = g_malloc(len);
		g_autoptr(GError) error = NULL;

		gcry_create_nonce(plain, len);
		memcpy(buf, plain, len);
		g_assert_true(cb_format_encrypt(format, offsets[i], buf, len, &error));
		g_assert_no_error(error);
		g_assert_true(memcmp(buf, plain, len) != 0);
		memcpy(shifted, buf, len);

		g_assert_true(cb_format_decrypt(format, offsets[i], buf, len, &error));
		g_assert_no_error(error);
		g_assert_cmpmem(buf, len, plain, len);

		/* the offset counts: decrypting elsewhere gives no plain text */
		g_assert_true(cb_format_decrypt(format, offsets[i] + 2048, shifted, len, &error));
		g_assert_no_error(error);
		g_assert_true(memcmp(shifted, plain, 512) != 0);
	}
}

/* chunks decrypted one by one equal the whole decrypted at once */
static void
test_format_decrypt_chunks(void)
{
	g_autoptr(CbFormat) format = make_format("luks2", FALSE);
	const gsize len = 16 * 2048;
	g_autofree guint8 *plain = g_malloc(len);
	g_autofree guint8 *buf = g_malloc(len);
	g_autoptr(GError) error = NULL;

	gcry_create_nonce(plain, len);
	memcpy(buf, plain, len);
	g_assert_true(cb_format_encrypt(format, 4096, buf, len, &error));
	for (gsize done = 0; done < len; done += 3 * 2048) {
		gsize n = MIN(3 * 2048, len - done);
		g_assert_true(cb_format_decrypt(format, 4096 + done, buf + done, n, &error));
		g_assert_no_error(error);
	}
	g_assert_cmpmem(buf, len, plain, len);
}

static gboolean
encrypt_nothing(gpointer cipher, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	return TRUE;
}

/* a format made without a decrypt function says so, it does not crash */
static void
test_format_decrypt_missing(void)
{
	g_autoptr(GBytes) header = g_bytes_new_static("", 0);
	g_autoptr(CbFormat) format = cb_format_new(cb_format_lookup("plain", NULL), header, 512,
						   encrypt_nothing, NULL, NULL);
	g_autoptr(GError) error = NULL;
	guint8 buf[512] = { 0 };

	g_assert_false(cb_format_decrypt(format, 0, buf, sizeof(buf), &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "plain"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/format/lookup", test_format_lookup);
	g_test_add_func("/format/luks2", test_format_luks2);
	g_test_add_func("/format/luks1", test_format_luks1);
	g_test_add_func("/format/luks1-refuses-serial", test_format_luks1_refuses_serial);
	g_test_add_func("/format/not-an-image", test_format_info_not_an_image);
	g_test_add_data_func("/format/decrypt/luks2", "luks2", check_decrypt);
	g_test_add_data_func("/format/decrypt/luks1", "luks1", check_decrypt);
	g_test_add_data_func("/format/decrypt/plain", "plain", check_decrypt);
	g_test_add_data_func("/format/decrypt/cryptoloop", "cryptoloop", check_decrypt);
	g_test_add_data_func("/format/decrypt/loop-aes", "loop-aes", check_decrypt);
	g_test_add_data_func("/format/decrypt/loop-aes-keyfile", "loop-aes+keyfile", check_decrypt);
	g_test_add_func("/format/decrypt/chunks", test_format_decrypt_chunks);
	g_test_add_func("/format/decrypt/missing", test_format_decrypt_missing);
	return g_test_run();
}
