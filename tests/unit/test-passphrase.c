/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"
#include "cb-passphrase.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gchar *
write_temp(const gchar *contents, gssize len)
{
	g_autoptr(GError) error = NULL;
	gchar *path = NULL;
	int fd = g_file_open_tmp("cb-pass-XXXXXX", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, contents, len, &error));
	return path;
}

static void
test_passphrase_first_line(void)
{
	g_autofree gchar *path = write_temp("tr0ub4dor &3 horse\nsecond line\n", -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) s = cb_passphrase_read_file(path, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(cb_secret_as_string(s), ==, "tr0ub4dor &3 horse");
	g_unlink(path);
}

static void
test_passphrase_crlf_and_no_newline(void)
{
	g_autofree gchar *crlf = write_temp("windows pass\r\n", -1);
	g_autofree gchar *bare = write_temp("no newline", -1);
	g_autoptr(CbSecret) a = cb_passphrase_read_file(crlf, NULL);
	g_autoptr(CbSecret) b = cb_passphrase_read_file(bare, NULL);

	g_assert_cmpstr(cb_secret_as_string(a), ==, "windows pass");
	g_assert_cmpstr(cb_secret_as_string(b), ==, "no newline");
	g_unlink(crlf);
	g_unlink(bare);
}

static void
test_passphrase_fd(void)
{
	int fds[2];
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) s = NULL;

	g_assert_cmpint(pipe(fds), ==, 0);
	g_assert_cmpint(write(fds[1], "from a pipe\nrest", 16), ==, 16);
	close(fds[1]);
	s = cb_passphrase_read_fd(fds[0], &error);
	g_assert_no_error(error);
	g_assert_cmpstr(cb_secret_as_string(s), ==, "from a pipe");
	close(fds[0]);
}

static void
test_passphrase_bad_fd(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) s = cb_passphrase_read_fd(987, &error);

	g_assert_null(s);
	g_assert_error(error, CB_ERROR, CB_ERROR_PASSPHRASE);
}

static void
test_passphrase_too_long(void)
{
	g_autofree gchar *longpass = g_strnfill(CB_PASSPHRASE_MAX + 1, 'x');
	g_autofree gchar *path = write_temp(longpass, -1);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) s = cb_passphrase_read_file(path, &error);

	g_assert_null(s);
	g_assert_error(error, CB_ERROR, CB_ERROR_PASSPHRASE);
	g_unlink(path);
}

static void
test_passphrase_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) s = cb_passphrase_read_file("/nonexistent/pass", &error);

	g_assert_null(s);
	g_assert_error(error, CB_ERROR, CB_ERROR_PASSPHRASE);
	g_assert_nonnull(strstr(error->message, "/nonexistent/pass"));
}

static void
check(const gchar *pass, gboolean allow_weak, gboolean expect_ok)
{
	g_autofree gchar *path = write_temp(pass, -1);
	g_autoptr(CbSecret) s = cb_passphrase_read_file(path, NULL);
	g_autoptr(GError) error = NULL;
	gboolean ok = cb_passphrase_check(s, allow_weak, &error);

	g_assert_cmpint(ok, ==, expect_ok);
	if (!ok)
		g_assert_error(error, CB_ERROR, CB_ERROR_PASSPHRASE);
	g_unlink(path);
}

static void
test_passphrase_strength(void)
{
	check("", FALSE, FALSE);
	check("", TRUE, FALSE); /* empty is never allowed */
	check("password", FALSE, FALSE);
	check("password", TRUE, TRUE);
	check("abc", FALSE, FALSE);
	check("Velvet-Otter-Marmalade-1987!", FALSE, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/passphrase/first-line", test_passphrase_first_line);
	g_test_add_func("/passphrase/crlf", test_passphrase_crlf_and_no_newline);
	g_test_add_func("/passphrase/fd", test_passphrase_fd);
	g_test_add_func("/passphrase/bad-fd", test_passphrase_bad_fd);
	g_test_add_func("/passphrase/too-long", test_passphrase_too_long);
	g_test_add_func("/passphrase/missing-file", test_passphrase_missing_file);
	g_test_add_func("/passphrase/strength", test_passphrase_strength);
	return g_test_run();
}
