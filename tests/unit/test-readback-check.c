/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"
#include "cb-iso.h"
#include "cb-pipeline.h"
#include "cb-readback-check.h"

#include <glib/gstdio.h>
#include <string.h>

#define MARKER "cryptburn-readback-marker"

typedef struct {
	gchar *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	const gchar *rels[] = { "tree/big.bin", "tree/sub/small.txt" };
	const gsize sizes[] = { 1500000, 300 };

	f->dir = g_dir_make_tmp("cb-readback-XXXXXX", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(rels); i++) {
		g_autofree gchar *path = g_build_filename(f->dir, rels[i], NULL);
		g_autofree gchar *parent = g_path_get_dirname(path);
		g_autofree guint8 *contents = g_malloc(sizes[i]);

		for (gsize j = 0; j < sizes[i]; j++)
			contents[j] = (guint8) g_random_int();
		memcpy(contents, MARKER, strlen(MARKER));
		g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
		g_assert_true(
		    g_file_set_contents(path, (gchar *) contents, (gssize) sizes[i], NULL));
	}
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

static CbSecret *
passphrase(const gchar *text)
{
	CbSecret *s = cb_secret_new(strlen(text), NULL);
	for (const gchar *p = text; *p; p++)
		cb_secret_append(s, (guint8) *p);
	return s;
}

/* the cheapest key derivation: the KDF is not under test here */
static CbFormat *
make_format(const gchar *name)
{
	g_autoptr(CbSecret) pass = passphrase("read back passphrase");
	g_autoptr(GError) error = NULL;
	CbFormatParams params = { .passphrase = pass,
				  .pbkdf_iterations = 4,
				  .pbkdf_memory_kb = 32768 };
	CbFormat *format = cb_format_lookup(name, NULL)->create(&params, &error);

	g_assert_no_error(error);
	return format;
}

static gboolean
sink_append(gpointer sink, const guint8 *buf, gsize len, GError **error)
{
	g_byte_array_append(sink, buf, len);
	return TRUE;
}

/* the tree made into an ISO image and encrypted, header first, as it
 * goes onto a disc */
static GByteArray *
encrypt_tree(Fixture *f, CbFormat *format, gsize *iso_size)
{
	CbIsoOptions opts = { .volume_id = "READBACK" };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(&opts, &error);
	g_autoptr(CbIsoStream) stream = NULL;
	g_autoptr(CbPipeline) pipeline = NULL;
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	GByteArray *image = g_byte_array_new();

	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	*iso_size = cb_iso_stream_get_size(stream);
	pipeline = cb_pipeline_new_for_iso(stream, format, sink_append, image);
	g_assert_true(cb_pipeline_run(pipeline, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(image->len, ==,
			 g_bytes_get_size(cb_format_get_header(format)) + *iso_size);
	return image;
}

/* fed back in chunks of 3 blocks, some straddling the header's end, and
 * in chunks larger than the checker's own buffer */
static gboolean
check_readback(CbFormat *format, const GByteArray *image, guint *tags, GError **error)
{
	guint64 header = g_bytes_get_size(cb_format_get_header(format));
	g_autoptr(CbReadbackCheck) check = cb_readback_check_new(format, header);
	gsize done = 0;

	for (guint i = 0; done < image->len; i++) {
		gsize n = MIN(i % 5 == 4 ? 700 * 2048 : 3 * 2048, image->len - done);
		if (!cb_readback_check_feed(check, done, image->data + done, n, error))
			return FALSE;
		done += n;
	}
	*tags = cb_readback_check_get_tags(check);
	return cb_readback_check_finish(check, error);
}

static void
check_format(Fixture *f, const gchar *name)
{
	g_autoptr(CbFormat) format = make_format(name);
	gsize header = g_bytes_get_size(cb_format_get_header(format));
	gsize iso_size = 0;
	g_autoptr(GByteArray) image = encrypt_tree(f, format, &iso_size);
	g_autoptr(GError) error = NULL;
	guint tags = 0;

	/* encrypted: neither the tags nor the data show */
	g_assert_null(memmem(image->data + header, iso_size, "libisofs_", 9));
	g_assert_null(memmem(image->data + header, iso_size, MARKER, strlen(MARKER)));
	g_assert_true(check_readback(format, image, &tags, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(tags, ==, 3);

	/* one encrypted byte in the file data, past the tree: the session
	 * tag finds it */
	image->data[image->len - 200 * 1024] ^= 0x01;
	g_assert_false(check_readback(format, image, &tags, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "session tag"));
}

static void
test_readback_luks2(Fixture *f, gconstpointer data)
{
	check_format(f, "luks2");
}

static void
test_readback_plain(Fixture *f, gconstpointer data)
{
	check_format(f, "plain");
}

static void
test_readback_loop_aes(Fixture *f, gconstpointer data)
{
	check_format(f, "loop-aes");
}

/* the checker follows the image in order; anything else is a caller's
 * mistake, said as such */
static void
test_readback_out_of_order(Fixture *f, gconstpointer data)
{
	g_autoptr(CbFormat) format = make_format("plain");
	g_autoptr(CbReadbackCheck) check = cb_readback_check_new(format, 0);
	g_autoptr(GError) error = NULL;
	guint8 buf[2048] = { 0 };

	g_assert_true(cb_readback_check_feed(check, 0, buf, sizeof(buf), &error));
	g_assert_false(cb_readback_check_feed(check, 4096, buf, sizeof(buf), &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/readback-check/luks2", test_readback_luks2);
	ADD("/readback-check/plain", test_readback_plain);
	ADD("/readback-check/loop-aes", test_readback_loop_aes);
	ADD("/readback-check/out-of-order", test_readback_out_of_order);
#undef ADD
	return g_test_run();
}
