/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"
#include "cb-output.h"

#include <glib/gstdio.h>

static guint
count_entries(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	while (g_dir_read_name(d) != NULL)
		n++;
	return n;
}

static void
test_output_commit(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("cb-out-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "x.img", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbOutput) out = cb_output_open(path, FALSE, 4, &error);
	g_autofree gchar *contents = NULL;

	g_assert_no_error(error);
	g_assert_true(cb_output_write(out, (const guint8 *) "data", 4, &error));
	/* nothing is visible until commit */
	g_assert_cmpuint(count_entries(dir), ==, 0);
	g_assert_true(cb_output_commit(out, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "data");
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_output_abandon_leaves_nothing(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("cb-out-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "x.img", NULL);
	CbOutput *out = cb_output_open(path, FALSE, 4, NULL);

	g_assert_true(cb_output_write(out, (const guint8 *) "part", 4, NULL));
	cb_output_free(out);
	g_assert_cmpuint(count_entries(dir), ==, 0);
	g_rmdir(dir);
}

static void
test_output_exists(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("cb-out-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "x.img", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbOutput) out = NULL;
	g_autofree gchar *contents = NULL;

	g_assert_true(g_file_set_contents(path, "old", -1, NULL));
	out = cb_output_open(path, FALSE, 4, &error);
	g_assert_null(out);
	g_assert_error(error, CB_ERROR, CB_ERROR_OUTPUT);
	g_clear_error(&error);

	/* with force the old file stays until the new one is complete */
	out = cb_output_open(path, TRUE, 4, &error);
	g_assert_no_error(error);
	g_assert_true(cb_output_write(out, (const guint8 *) "new!", 4, &error));
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "old");
	g_clear_pointer(&contents, g_free);
	g_assert_true(cb_output_commit(out, &error));
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "new!");
	g_assert_cmpuint(count_entries(dir), ==, 1);
	g_unlink(path);
	g_rmdir(dir);
}

static void
test_output_is_directory(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("cb-out-XXXXXX", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_false(cb_output_check(dir, TRUE, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_OUTPUT);
	g_rmdir(dir);
}

static void
test_output_no_space(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("cb-out-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "x.img", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbOutput) out = cb_output_open(path, FALSE, G_MAXUINT64 / 2, &error);

	g_assert_null(out);
	g_assert_error(error, CB_ERROR, CB_ERROR_NO_SPACE);
	g_assert_cmpuint(count_entries(dir), ==, 0);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/output/commit", test_output_commit);
	g_test_add_func("/output/abandon", test_output_abandon_leaves_nothing);
	g_test_add_func("/output/exists", test_output_exists);
	g_test_add_func("/output/directory", test_output_is_directory);
	g_test_add_func("/output/no-space", test_output_no_space);
	return g_test_run();
}
