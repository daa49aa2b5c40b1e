/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-secret.h"

#include <string.h>

static void
test_secret_append_and_limit(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) s = cb_secret_new(4, &error);

	g_assert_no_error(error);
	for (guint i = 0; i < 4; i++)
		g_assert_true(cb_secret_append(s, 'a' + i));
	g_assert_false(cb_secret_append(s, 'x'));
	g_assert_cmpuint(cb_secret_size(s), ==, 4);
	g_assert_cmpstr(cb_secret_as_string(s), ==, "abcd");
}

static void
test_secret_random_differs(void)
{
	g_autoptr(CbSecret) a = cb_secret_new_random(64, NULL);
	g_autoptr(CbSecret) b = cb_secret_new_random(64, NULL);

	g_assert_cmpuint(cb_secret_size(a), ==, 64);
	g_assert_false(cb_secret_equal(a, b));
}

static void
test_secret_equal_and_shrink(void)
{
	g_autoptr(CbSecret) a = cb_secret_new(16, NULL);
	g_autoptr(CbSecret) b = cb_secret_new(16, NULL);

	for (const char *p = "secret"; *p; p++) {
		cb_secret_append(a, (guint8) *p);
		cb_secret_append(b, (guint8) *p);
	}
	g_assert_true(cb_secret_equal(a, b));
	cb_secret_set_size(b, 3);
	g_assert_false(cb_secret_equal(a, b));
	/* the bytes cut off are wiped, not just forgotten */
	g_assert_cmpint(cb_secret_peek(b)[3], ==, 0);
	g_assert_cmpint(cb_secret_peek(b)[5], ==, 0);
}

/* the pages are locked: mincore-free check through /proc/self/status */
static void
test_secret_is_locked(void)
{
	g_autoptr(CbSecret) s = cb_secret_new(100000, NULL);
	g_autofree gchar *status = NULL;
	const gchar *line;
	guint64 locked_kb;

#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer turns mlock() into a no-op */
	g_test_skip("mlock is a no-op under AddressSanitizer");
	return;
#endif
	g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
	line = strstr(status, "VmLck:");
	g_assert_nonnull(line);
	locked_kb = g_ascii_strtoull(line + strlen("VmLck:"), NULL, 10);
	g_assert_cmpuint(locked_kb, >=, 100000 / 1024);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/secret/append-limit", test_secret_append_and_limit);
	g_test_add_func("/secret/random", test_secret_random_differs);
	g_test_add_func("/secret/equal-shrink", test_secret_equal_and_shrink);
	g_test_add_func("/secret/locked", test_secret_is_locked);
	return g_test_run();
}
