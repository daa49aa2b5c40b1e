/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"
#include "cb-iso-check.h"
#include "cb-iso.h"

#include <glib/gstdio.h>
#include <string.h>

#define XORRISO "/usr/bin/xorriso"
/* in the test file's data, so that a test can find that data in the image */
#define MARKER "cryptburn-test-marker"

typedef struct {
	gchar *dir;
} Fixture;

static void
rm_rf(const gchar *path)
{
	g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", path);
	g_assert_cmpint(system(cmd), ==, 0);
}

static void
write_file(const gchar *path, gsize size)
{
	g_autofree guint8 *data = g_malloc(size);
	g_autofree gchar *parent = g_path_get_dirname(path);

	for (gsize i = 0; i < size; i++)
		data[i] = (guint8) g_random_int();
	memcpy(data, MARKER, strlen(MARKER));
	g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, (gchar *) data, (gssize) size, NULL));
}

/* a small tree: a directory, a few files, one larger than the others */
static void
fixture_setup(Fixture *f, gconstpointer data)
{
	const gchar *rels[] = { "tree/big.bin", "tree/sub/small.txt", "tree/sub/deeper/c.bin" };
	const gsize sizes[] = { 300000, 100, 5000 };

	f->dir = g_dir_make_tmp("cb-iso-check-XXXXXX", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(rels); i++) {
		g_autofree gchar *path = g_build_filename(f->dir, rels[i], NULL);
		write_file(path, sizes[i]);
	}
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	rm_rf(f->dir);
	g_free(f->dir);
}

static GBytes *
build_iso(const gchar *source, gboolean no_md5)
{
	CbIsoOptions opts = { .volume_id = "CHECK", .no_md5 = no_md5 };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(&opts, &error);
	g_autoptr(CbIsoStream) stream = NULL;
	g_autofree guint8 *buf = NULL;
	guint64 size;

	g_assert_no_error(error);
	g_assert_true(cb_iso_builder_add_source(builder, source, &error));
	g_assert_no_error(error);
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	size = cb_iso_stream_get_size(stream);
	buf = g_malloc(size);
	g_assert_cmpint(cb_iso_stream_read(stream, buf, size, &error), ==, (gssize) size);
	g_assert_no_error(error);
	return g_bytes_new_take(g_steal_pointer(&buf), size);
}

static GBytes *
build_tree_iso(Fixture *f, gboolean no_md5)
{
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	return build_iso(tree, no_md5);
}

/* chunks of 1, 2, 3, ... 7 blocks, then again: tags land anywhere in a
 * chunk, at its start and at its end */
static gboolean
check_image(const guint8 *data, gsize size, guint *tags, GError **error)
{
	g_autoptr(CbIsoCheck) check = cb_iso_check_new();
	gsize done = 0;

	for (guint i = 0; done < size; i++) {
		gsize n = MIN((i % 7 + 1) * 2048, size - done);
		if (!cb_iso_check_feed(check, data + done, n, error))
			return FALSE;
		done += n;
	}
	*tags = cb_iso_check_get_tags(check);
	return cb_iso_check_finish(check, error);
}

static guint8 *
dup_bytes(GBytes *bytes)
{
	return g_memdup2(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
}

/* the byte offset of needle in the image, which must hold it */
static gsize
find(const guint8 *image, gsize size, const gchar *needle)
{
	const guint8 *at = memmem(image, size, needle, strlen(needle));
	g_assert_nonnull(at);
	return (gsize) (at - image);
}

/* what xorriso, which reads libisofs' tags itself, says of an image: the
 * session tag's verdict, NULL when it found none */
static const gchar *
xorriso_verdict(const guint8 *image, gsize size)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autoptr(GError) error = NULL;
	int status = 0;
	int fd = g_file_open_tmp("cb-iso-check-XXXXXX.iso", &path, &error);
	const gchar *verdict = NULL;

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, (const gchar *) image, (gssize) size, &error));
	{
		const gchar *argv[] = {
			XORRISO, "-md5", "on", "-indev", path, "-check_media", "--", NULL,
		};
		g_assert_true(g_spawn_sync(NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
					   &out, &err, &status, &error));
	}
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_unlink(path);
	if (strstr(out, "md5_mismatch") != NULL)
		verdict = "mismatch";
	else if (strstr(out, "md5_match") != NULL)
		verdict = "match";
	return verdict;
}

/* libisofs writes three tags into a session at block 0: superblock,
 * directory tree, session */
static void
test_iso_check_good(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	g_autoptr(GError) error = NULL;
	guint tags = 0;

	g_assert_true(
	    check_image(g_bytes_get_data(iso, NULL), g_bytes_get_size(iso), &tags, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(tags, ==, 3);
}

/* the whole image in one piece, and block by block, count the same */
static void
test_iso_check_one_piece(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	g_autoptr(CbIsoCheck) whole = cb_iso_check_new();
	g_autoptr(CbIsoCheck) blocks = cb_iso_check_new();
	g_autoptr(GError) error = NULL;
	const guint8 *image = g_bytes_get_data(iso, NULL);
	gsize size = g_bytes_get_size(iso);

	g_assert_true(cb_iso_check_feed(whole, image, size, &error));
	g_assert_true(cb_iso_check_finish(whole, &error));
	for (gsize done = 0; done < size; done += 2048)
		g_assert_true(cb_iso_check_feed(blocks, image + done, 2048, &error));
	g_assert_true(cb_iso_check_finish(blocks, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cb_iso_check_get_tags(whole), ==, 3);
	g_assert_cmpuint(cb_iso_check_get_tags(blocks), ==, 3);
}

/* a byte of file data changed: the session tag, after the data, says so */
static void
test_iso_check_flipped_data(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	g_autofree guint8 *image = dup_bytes(iso);
	gsize size = g_bytes_get_size(iso);
	g_autoptr(GError) error = NULL;
	guint tags = 0;

	image[find(image, size, MARKER) + strlen(MARKER) + 10] ^= 0x01;
	g_assert_false(check_image(image, size, &tags, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "session tag"));
	g_test_message("%s", error->message);
}

/* a byte of a file name changed: the tree tag says so, before the data */
static void
test_iso_check_flipped_tree(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	g_autofree guint8 *image = dup_bytes(iso);
	gsize size = g_bytes_get_size(iso);
	g_autoptr(GError) error = NULL;
	guint tags = 0;

	/* the Rock Ridge name, in the directory records */
	image[find(image, size, "small.txt")] ^= 0x20;
	g_assert_false(check_image(image, size, &tags, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "directory tree tag"));
}

/* a tag block damaged where another tag promised it */
static void
test_iso_check_damaged_tag(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	g_autofree guint8 *image = dup_bytes(iso);
	gsize size = g_bytes_get_size(iso);
	g_autoptr(GError) error = NULL;
	guint tags = 0;

	image[find(image, size, "libisofs_checksum_tag_v1") + 40] ^= 0x01;
	g_assert_false(check_image(image, size, &tags, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "holds no intact session tag"));
}

/* a read-back that stops short of the session tag: the tree tag promised
 * it, so the end is an error, not a pass with two tags */
static void
test_iso_check_truncated(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	const guint8 *image = g_bytes_get_data(iso, NULL);
	gsize size = g_bytes_get_size(iso);
	gsize tag = find(image, size, "libisofs_checksum_tag_v1");
	g_autoptr(CbIsoCheck) check = cb_iso_check_new();
	g_autoptr(GError) error = NULL;

	g_assert_true(cb_iso_check_feed(check, image, tag, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cb_iso_check_get_tags(check), ==, 2);
	g_assert_false(cb_iso_check_finish(check, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "session tag"));
}

/* an image made without MD5 tags has nothing to check, and that is fine */
static void
test_iso_check_no_md5(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, TRUE);
	g_autoptr(GError) error = NULL;
	guint tags = 1;

	g_assert_null(memmem(g_bytes_get_data(iso, NULL), g_bytes_get_size(iso), "libisofs_", 9));
	g_assert_true(
	    check_image(g_bytes_get_data(iso, NULL), g_bytes_get_size(iso), &tags, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(tags, ==, 0);
}

/* an ISO image kept as a file brings its own tags, recording places in
 * itself, not in the image that holds it: they are data */
static void
test_iso_check_iso_inside(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) inner = build_tree_iso(f, FALSE);
	g_autofree gchar *outer_dir = g_build_filename(f->dir, "outer", NULL);
	g_autofree gchar *inner_path = g_build_filename(outer_dir, "inner.iso", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir(outer_dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(inner_path, g_bytes_get_data(inner, NULL),
					  (gssize) g_bytes_get_size(inner), &error));
	for (guint no_md5 = 0; no_md5 <= 1; no_md5++) {
		g_autoptr(GBytes) outer = build_iso(outer_dir, no_md5);
		guint tags = 0;

		g_assert_true(check_image(g_bytes_get_data(outer, NULL), g_bytes_get_size(outer),
					  &tags, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(tags, ==, no_md5 ? 0 : 3);
	}
}

static void
test_iso_check_bad_length(Fixture *f, gconstpointer data)
{
	g_autoptr(CbIsoCheck) check = cb_iso_check_new();
	g_autoptr(GError) error = NULL;
	guint8 buf[1000] = { 0 };

	g_assert_false(cb_iso_check_feed(check, buf, sizeof(buf), &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
}

/* xorriso, an outside reader of the same tags, agrees on both images */
static void
test_iso_check_xorriso_agrees(Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) iso = build_tree_iso(f, FALSE);
	g_autofree guint8 *image = dup_bytes(iso);
	gsize size = g_bytes_get_size(iso);
	g_autoptr(GError) error = NULL;
	guint tags = 0;

	if (!g_file_test(XORRISO, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("no " XORRISO);
		return;
	}
	g_assert_true(check_image(image, size, &tags, &error));
	g_assert_cmpstr(xorriso_verdict(image, size), ==, "match");

	image[find(image, size, MARKER) + strlen(MARKER) + 10] ^= 0x01;
	g_assert_false(check_image(image, size, &tags, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_cmpstr(xorriso_verdict(image, size), ==, "mismatch");
}

/* xorriso writing to a file puts the session at block 32 and a copy of
 * its superblock, with a relocated superblock tag, in the first 64 KiB */
static void
test_iso_check_xorriso_relocated(Fixture *f, gconstpointer data)
{
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	g_autofree gchar *path = g_build_filename(f->dir, "xorriso.iso", NULL);
	const gchar *argv[] = { XORRISO, "-md5", "on", "-outdev", path, "-map", tree, "/", NULL };
	g_autofree gchar *image = NULL;
	g_autoptr(GError) error = NULL;
	gsize size = 0;
	guint tags = 0;
	int status = 0;

	if (!g_file_test(XORRISO, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("no " XORRISO);
		return;
	}
	g_assert_true(g_spawn_sync(NULL, (gchar **) argv, NULL,
				   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				   NULL, NULL, NULL, &status, &error));
	g_assert_true(g_spawn_check_wait_status(status, &error));
	g_assert_true(g_file_get_contents(path, &image, &size, &error));
	g_assert_nonnull(memmem(image, 32 * 2048, "libisofs_rlsb32_checksum_tag_v1", 31));

	g_assert_true(check_image((guint8 *) image, size, &tags, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(tags, ==, 4);

	image[find((guint8 *) image, size, MARKER) + strlen(MARKER) + 10] ^= 0x01;
	g_assert_false(check_image((guint8 *) image, size, &tags, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/iso-check/good", test_iso_check_good);
	ADD("/iso-check/one-piece", test_iso_check_one_piece);
	ADD("/iso-check/flipped-data", test_iso_check_flipped_data);
	ADD("/iso-check/flipped-tree", test_iso_check_flipped_tree);
	ADD("/iso-check/damaged-tag", test_iso_check_damaged_tag);
	ADD("/iso-check/truncated", test_iso_check_truncated);
	ADD("/iso-check/no-md5", test_iso_check_no_md5);
	ADD("/iso-check/iso-inside", test_iso_check_iso_inside);
	ADD("/iso-check/bad-length", test_iso_check_bad_length);
	ADD("/iso-check/xorriso-agrees", test_iso_check_xorriso_agrees);
	ADD("/iso-check/xorriso-relocated", test_iso_check_xorriso_relocated);
#undef ADD
	return g_test_run();
}
