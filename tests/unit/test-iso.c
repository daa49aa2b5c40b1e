/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"
#include "cb-iso.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	gchar *dir;
	GPtrArray *warnings;
	CbIsoBuilder *builder; /* default options */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	CbIsoOptions opts = { 0 };

	f->dir = g_dir_make_tmp("cb-iso-XXXXXX", NULL);
	f->warnings = g_ptr_array_new_with_free_func(g_free);
	f->builder = cb_iso_builder_new(&opts, NULL);
	g_assert_nonnull(f->builder);
}

static void
rm_rf(const gchar *path)
{
	g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", path);
	g_assert_cmpint(system(cmd), ==, 0);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	cb_iso_builder_free(f->builder);
	rm_rf(f->dir);
	g_free(f->dir);
	g_ptr_array_unref(f->warnings);
}

static void
on_warning(const gchar *message, gpointer data)
{
	Fixture *f = data;
	g_ptr_array_add(f->warnings, g_strdup(message));
}

static gchar *
make_file(Fixture *f, const gchar *rel, gsize size)
{
	g_autofree gchar *contents = g_malloc0(size + 1);
	gchar *path = g_build_filename(f->dir, rel, NULL);
	g_autofree gchar *parent = g_path_get_dirname(path);

	memset(contents, 'z', size);
	g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, contents, (gssize) size, NULL));
	return path;
}

static guint64
read_all(CbIsoStream *stream, GError **error)
{
	g_autofree guint8 *buf = g_malloc(65536);
	guint64 total = 0;
	gssize n;

	while ((n = cb_iso_stream_read(stream, buf, 65536, error)) > 0)
		total += (guint64) n;
	return n < 0 ? 0 : total;
}

/* the size is known before any byte and is exactly what comes out */
static void
test_iso_size_known_first(Fixture *f, gconstpointer data)
{
	CbIsoOptions opts = { .volume_id = "TEST" };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(&opts, &error);
	g_autoptr(CbIsoStream) stream = NULL;
	g_autofree gchar *a = make_file(f, "tree/a.bin", 300000);
	g_autofree gchar *b = make_file(f, "tree/sub/b.bin", 5000);
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	guint64 size;

	g_assert_no_error(error);
	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	g_assert_no_error(error);
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	size = cb_iso_stream_get_size(stream);
	g_assert_cmpuint(size % 2048, ==, 0);
	g_assert_cmpuint(size, >, 305000);
	g_assert_cmpuint(read_all(stream, &error), ==, size);
	g_assert_no_error(error);
}

static void
test_iso_special_files_skipped(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autofree gchar *file = make_file(f, "tree/keep.txt", 10);
	g_autofree gchar *fifo = g_build_filename(f->dir, "tree", "pipe", NULL);
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);

	g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
	cb_iso_builder_set_warning_func(builder, on_warning, f);
	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(f->warnings, 0), fifo));
	g_assert_nonnull(strstr(g_ptr_array_index(f->warnings, 0), "FIFO"));
}

static void
test_iso_missing_source(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autofree gchar *missing = g_build_filename(f->dir, "nope", NULL);

	g_assert_false(cb_iso_builder_add_source(builder, missing, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, missing));
}

static void
test_iso_conflict(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autofree gchar *a = make_file(f, "one/same.txt", 1);
	g_autofree gchar *b = make_file(f, "two/same.txt", 2);
	g_autofree gchar *one = g_build_filename(f->dir, "one", NULL);
	g_autofree gchar *two = g_build_filename(f->dir, "two", NULL);

	g_assert_true(cb_iso_builder_add_source(builder, one, &error));
	g_assert_false(cb_iso_builder_add_source(builder, two, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, b));
}

static void
test_iso_graft_specs(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autofree gchar *a = make_file(f, "a.txt", 1);
	g_autofree gchar *spec = g_strdup_printf("docs/2025/a\\=b.txt=%s", a);
	g_autofree gchar *bad_dots = g_strdup_printf("docs/../x=%s", a);

	g_assert_true(cb_iso_builder_add_graft_spec(builder, spec, &error));
	g_assert_no_error(error);
	g_assert_false(cb_iso_builder_add_graft_spec(builder, "no-equals-sign", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
	g_clear_error(&error);
	g_assert_false(cb_iso_builder_add_graft_spec(builder, bad_dots, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
}

static void
test_iso_long_volume_id(Fixture *f, gconstpointer data)
{
	CbIsoOptions opts = { .volume_id = "THIS VOLUME ID IS FAR TOO LONG FOR ISO" };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(&opts, &error);

	g_assert_null(builder);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
}

/* stopping early must not leave libisofs' thread writing into freed memory */
static void
test_iso_free_mid_stream(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autofree gchar *a = make_file(f, "big/a.bin", 20 * 1024 * 1024);
	g_autofree gchar *tree = g_build_filename(f->dir, "big", NULL);
	CbIsoStream *stream;
	guint8 buf[4096];

	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	g_assert_cmpint(cb_iso_stream_read(stream, buf, sizeof(buf), &error), ==, sizeof(buf));
	cb_iso_stream_free(stream);
}

/* a file gone between the tree walk and the write stops the image with its
 * name; libisofs would otherwise fill it with zeros */
static void
test_iso_file_vanishes_before_write(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autoptr(CbIsoStream) stream = NULL;
	g_autofree gchar *a = make_file(f, "tree/a.bin", 100000);
	g_autofree gchar *gone = make_file(f, "tree/gone.bin", 100000);
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);

	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	g_assert_cmpint(g_unlink(gone), ==, 0);
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(read_all(stream, &error), ==, 0);
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "gone.bin"));
}

/* content that changes while the image is made is an error, not a
 * silently padded or cut file */
static void
test_iso_file_changes_size(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	CbIsoBuilder *builder = f->builder;
	g_autoptr(CbIsoStream) stream = NULL;
	g_autofree gchar *log = make_file(f, "tree/growing.log", 5000);
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);

	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	g_assert_true(g_file_set_contents(log, "now it is different and longer", -1, NULL));
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(read_all(stream, &error), ==, 0);
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "growing.log"));
	g_assert_nonnull(strstr(error->message, "changed size"));
}

/* the whole image in memory */
static GBytes *
build_image(Fixture *f, const CbIsoOptions *opts)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(opts, &error);
	g_autoptr(CbIsoStream) stream = NULL;
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	g_autofree gchar *graft = g_build_filename(f->dir, "tree", "a.bin", NULL);
	g_autofree guint8 *buf = NULL;
	guint64 size;

	g_assert_no_error(error);
	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	/* directories that exist only in the image */
	g_assert_true(cb_iso_builder_add_graft(builder, "made/up/a.bin", graft, &error));
	g_assert_no_error(error);
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	size = cb_iso_stream_get_size(stream);
	buf = g_malloc(size);
	g_assert_cmpint(cb_iso_stream_read(stream, buf, size, &error), ==, (gssize) size);
	g_assert_no_error(error);
	return g_bytes_new_take(g_steal_pointer(&buf), size);
}

/* what a person's old files look like: read as long ago as written, so
 * that reading them now (relatime) moves their access time */
static void
make_old(const gchar *path)
{
	const struct timespec old[2] = { { .tv_sec = 1500000000 }, { .tv_sec = 1500000000 } };
	g_assert_cmpint(utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW), ==, 0);
}

static void
make_tree(Fixture *f)
{
	const gchar *rels[] = { "tree/a.bin", "tree/sub/b.bin", "tree/sub/deeper/c.txt" };
	const gchar *dirs[] = { "tree/sub/deeper", "tree/sub", "tree" };
	g_autofree gchar *link = g_build_filename(f->dir, "tree", "link", NULL);

	for (guint i = 0; i < G_N_ELEMENTS(rels); i++) {
		g_autofree gchar *path = make_file(f, rels[i], 70000 * (i + 1));
		make_old(path);
	}
	g_assert_cmpint(symlink("sub/b.bin", link), ==, 0);
	make_old(link);
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree gchar *path = g_build_filename(f->dir, dirs[i], NULL);
		make_old(path);
	}
}

/* burning N copies makes the image N times from the sources: with a fixed
 * creation time every copy is the same, byte for byte, MD5 tags included */
static void
test_iso_deterministic(Fixture *f, gconstpointer data)
{
	CbIsoOptions opts = { .volume_id = "SAME", .creation_time = 1700000000 };
	CbIsoOptions zisofs = { .volume_id = "SAME",
				.creation_time = 1700000000,
				.compress = TRUE };
	CbIsoOptions now = { .volume_id = "SAME" };
	g_autoptr(GBytes) first = NULL;
	g_autoptr(GBytes) second = NULL;
	g_autoptr(GBytes) first_zisofs = NULL;
	g_autoptr(GBytes) second_zisofs = NULL;
	g_autoptr(GBytes) now_first = NULL;
	g_autoptr(GBytes) now_second = NULL;

	make_tree(f);
	first = build_image(f, &opts);
	first_zisofs = build_image(f, &zisofs);
	now_first = build_image(f, &now);
	/* a second later "now" is another time: the images must tell */
	g_usleep(1100 * 1000);
	second = build_image(f, &opts);
	second_zisofs = build_image(f, &zisofs);
	now_second = build_image(f, &now);

	g_assert_true(g_bytes_equal(first, second));
	g_assert_true(g_bytes_equal(first_zisofs, second_zisofs));
	g_assert_false(g_bytes_equal(now_first, now_second));
	g_assert_nonnull(memmem(g_bytes_get_data(first, NULL), g_bytes_get_size(first),
				"libisofs_checksum_tag_v1", 24));
}

static void
test_iso_creation_time_range(Fixture *f, gconstpointer data)
{
	CbIsoOptions opts = { .creation_time = -1 };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(&opts, &error);

	g_assert_null(builder);
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/iso/size-known-first", test_iso_size_known_first);
	ADD("/iso/special-files-skipped", test_iso_special_files_skipped);
	ADD("/iso/missing-source", test_iso_missing_source);
	ADD("/iso/conflict", test_iso_conflict);
	ADD("/iso/graft-specs", test_iso_graft_specs);
	ADD("/iso/long-volume-id", test_iso_long_volume_id);
	ADD("/iso/free-mid-stream", test_iso_free_mid_stream);
	ADD("/iso/file-vanishes-before-write", test_iso_file_vanishes_before_write);
	ADD("/iso/file-changes-size", test_iso_file_changes_size);
	ADD("/iso/deterministic", test_iso_deterministic);
	ADD("/iso/creation-time-range", test_iso_creation_time_range);
#undef ADD
	return g_test_run();
}
