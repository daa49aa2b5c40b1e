/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-armor.h"
#include "cb-error.h"
#include "cb-gpg-key.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* a loop-AES key text as enciso writes it: 65 lines of 120 characters */
#define KEY_LINES 65
#define KEY_WIDTH 120
#define KEY_SIZE (KEY_LINES * (KEY_WIDTH + 1))
#define PASSPHRASE "unit test passphrase for the key file"

/* every s2k with 65011712 iterations costs about a second, so one message
 * is made and shared; the gpg command line, the oracle, has its own home */
static struct {
	gchar *dir;	/* TMPDIR for this test */
	gchar *runtime; /* RUNTIME_DIRECTORY, inside dir */
	gchar *oracle;	/* the gpg command line's home, inside dir */
	CbSecret *key_text;
	GBytes *message;
} fixture;

static CbSecret *
secret_from(const gchar *text)
{
	CbSecret *s = cb_secret_new(strlen(text), NULL);
	for (const gchar *p = text; *p; p++)
		cb_secret_append(s, (guint8) *p);
	return s;
}

static CbSecret *
make_key_text(void)
{
	static const gchar alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	g_autoptr(CbSecret) random = cb_secret_new_random(KEY_LINES * KEY_WIDTH, NULL);
	CbSecret *text = cb_secret_new(KEY_SIZE, NULL);

	for (gsize i = 0; i < KEY_LINES * KEY_WIDTH; i++) {
		cb_secret_append(text, (guint8) alphabet[cb_secret_peek(random)[i] % 64]);
		if (i % KEY_WIDTH == KEY_WIDTH - 1)
			cb_secret_append(text, '\n');
	}
	g_assert_cmpuint(cb_secret_size(text), ==, KEY_SIZE);
	return text;
}

static gdouble
seconds_since(gint64 start)
{
	return (gdouble) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
}

static GBytes *
shared_message(void)
{
	g_autoptr(CbSecret) pass = NULL;
	g_autoptr(GError) error = NULL;
	gint64 start;

	if (fixture.message != NULL)
		return fixture.message;
	fixture.key_text = make_key_text();
	pass = secret_from(PASSPHRASE);
	start = g_get_monotonic_time();
	fixture.message = cb_gpg_key_encrypt(fixture.key_text, pass, &error);
	g_assert_no_error(error);
	g_test_message("cb_gpg_key_encrypt: %.2f s", seconds_since(start));
	return fixture.message;
}

static gchar *
write_file(const gchar *name, const void *data, gsize len)
{
	gchar *path = g_build_filename(fixture.dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, data, (gssize) len, &error);
	g_assert_no_error(error);
	return path;
}

/* the gpg command line with the passphrase on standard input; its
 * standard output, or NULL if it failed */
static GBytes *
gpg_cli(const gchar *passphrase, const gchar *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) gpg = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GBytes) err = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *fixed[] = {
		"gpg",	    "--batch",	       "--homedir", fixture.oracle, "--pinentry-mode",
		"loopback", "--passphrase-fd", "0"
	};

	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(argv, (gpointer) fixed[i]);
	for (gsize i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer) args[i]);
	g_ptr_array_add(argv, NULL);

	gpg = g_subprocess_newv((const gchar *const *) argv->pdata,
				G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				    G_SUBPROCESS_FLAGS_STDERR_PIPE,
				&error);
	g_assert_no_error(error);
	input = g_bytes_new_take(g_strconcat(passphrase, "\n", NULL), strlen(passphrase) + 1);
	g_subprocess_communicate(gpg, input, NULL, &out, &err, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_successful(gpg)) {
		g_test_message("gpg failed: %.*s", (int) g_bytes_get_size(err),
			       (const gchar *) g_bytes_get_data(err, NULL));
		return NULL;
	}
	return g_steal_pointer(&out);
}

static void
assert_is_key_text(GBytes *bytes)
{
	g_assert_nonnull(bytes);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes),
			cb_secret_peek(fixture.key_text), cb_secret_size(fixture.key_text));
}

static void
test_roundtrip(void)
{
	GBytes *message = shared_message();
	g_autoptr(CbSecret) pass = secret_from(PASSPHRASE);
	g_autoptr(CbSecret) plain = NULL;
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();

	plain = cb_gpg_key_decrypt(message, pass, &error);
	g_assert_no_error(error);
	g_test_message("cb_gpg_key_decrypt: %.2f s", seconds_since(start));
	g_assert_true(cb_secret_equal(plain, fixture.key_text));
}

static void
test_armor_shape(void)
{
	GBytes *message = shared_message();
	g_autofree gchar *text =
	    g_strndup(g_bytes_get_data(message, NULL), g_bytes_get_size(message));
	g_auto(GStrv) comments = cb_armor_get_comments(text);

	/* no Version or Comment header: the blank line follows at once */
	g_assert_true(g_str_has_prefix(text, CB_ARMOR_BEGIN "\n\n"));
	g_assert_true(g_str_has_suffix(text, "\n" CB_ARMOR_END "\n"));
	g_assert_cmpuint(g_strv_length(comments), ==, 0);
}

static void
test_gpg_cli_decrypts(void)
{
	GBytes *message = shared_message();
	g_autofree gchar *path =
	    write_file("ours.asc", g_bytes_get_data(message, NULL), g_bytes_get_size(message));
	const gchar *args[] = { "-d", path, NULL };
	g_autoptr(GBytes) plain = gpg_cli(PASSPHRASE, args);

	assert_is_key_text(plain);
}

static void
test_packets(void)
{
	GBytes *message = shared_message();
	g_autofree gchar *path =
	    write_file("packets.asc", g_bytes_get_data(message, NULL), g_bytes_get_size(message));
	const gchar *args[] = { "--list-packets", path, NULL };
	g_autoptr(GBytes) out = gpg_cli(PASSPHRASE, args);
	g_autofree gchar *text = NULL;

	g_assert_nonnull(out);
	text = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
	g_test_message("%s", text);
	/* cipher 9 = AES256, hash 10 = SHA512, s2k 3 = iterated and salted;
	 * Debian's gpg 2.2 also prints "aead 0" between cipher and s2k */
	g_assert_true(g_regex_match_simple(
	    "^:symkey enc packet: version 4, cipher 9,( aead 0,)? ?s2k 3, hash 10$", text,
	    G_REGEX_MULTILINE, 0));
	g_assert_true(g_regex_match_simple("^\\s+salt [0-9A-F]{16}, count 65011712 \\(255\\)$",
					   text, G_REGEX_MULTILINE, 0));
	/* with the passphrase gpg went inside down to the key text */
	g_assert_nonnull(strstr(text, ":literal data packet:"));
}

static void
test_wrong_passphrase(void)
{
	g_autoptr(CbSecret) pass = NULL;
	g_autoptr(CbSecret) plain = NULL;
	g_autoptr(GError) error = NULL;

	/* as in a system service without RuntimeDirectory= (and, as in every
	 * test here, without HOME): the private home goes to TMPDIR. In a
	 * child, because unsetenv() is not safe once GSubprocess has started
	 * GLib's worker thread */
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT);
		g_test_trap_assert_passed();
		return;
	}
	g_unsetenv("RUNTIME_DIRECTORY");
	shared_message();
	pass = secret_from("not the passphrase");
	plain = cb_gpg_key_decrypt(fixture.message, pass, &error);
	g_assert_null(plain);
	g_assert_error(error, CB_ERROR, CB_ERROR_PASSPHRASE);
	g_assert_nonnull(strstr(error->message, "wrong passphrase for the key file"));
}

static void
assert_refused(GBytes *input, gint code)
{
	g_autoptr(CbSecret) pass = secret_from(PASSPHRASE);
	g_autoptr(CbSecret) plain = NULL;
	g_autoptr(GError) error = NULL;

	plain = cb_gpg_key_decrypt(input, pass, &error);
	g_assert_null(plain);
	g_assert_nonnull(error);
	g_test_message("refused: %s", error->message);
	g_assert_error(error, CB_ERROR, code);
}

static void
test_garbage(void)
{
	GBytes *message = shared_message();
	g_autoptr(CbSecret) noise = cb_secret_new_random(4096, NULL);
	g_autoptr(GBytes) random = g_bytes_new(cb_secret_peek(noise), cb_secret_size(noise));
	g_autoptr(GBytes) text = g_bytes_new_static("just some text\n", 15);
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	g_autoptr(GBytes) zeros = g_bytes_new_take(g_malloc0(16384), 16384);
	g_autoptr(GBytes) cut = g_bytes_new_from_bytes(message, 0, g_bytes_get_size(message) / 2);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) pass = secret_from("two\nlines");

	assert_refused(random, CB_ERROR_NOT_SUPPORTED);
	assert_refused(text, CB_ERROR_NOT_SUPPORTED);
	assert_refused(empty, CB_ERROR_SOURCE);
	assert_refused(zeros, CB_ERROR_NOT_SUPPORTED);
	/* the passphrase is right, the message cut off halfway */
	assert_refused(cut, CB_ERROR_SOURCE);

	/* gpg would take only the first line */
	g_assert_null(cb_gpg_key_decrypt(message, pass, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_PASSPHRASE);
}

/* gpg --store makes an OpenPGP message that is not encrypted at all; a
 * key file like that must not pass for one protected by a passphrase */
static void
test_not_encrypted(void)
{
	g_autofree gchar *path = write_file("plain.txt", "not secret\n", 11);
	const gchar *args[] = { "--store", "-a", "-o", "-", path, NULL };
	g_autoptr(GBytes) stored = gpg_cli(PASSPHRASE, args);

	g_assert_nonnull(stored);
	assert_refused(stored, CB_ERROR_NOT_SUPPORTED);
}

static void
test_gpg_made(void)
{
	g_autoptr(CbSecret) pass = secret_from(PASSPHRASE);
	g_autofree gchar *path = NULL;
	const gchar *args[] = { "-c", "-a", "-o", "-", NULL, NULL };
	g_autoptr(GBytes) message = NULL;
	g_autoptr(CbSecret) plain = NULL;
	g_autoptr(GError) error = NULL;

	shared_message();
	path = write_file("key.txt", cb_secret_peek(fixture.key_text),
			  cb_secret_size(fixture.key_text));
	args[4] = path;
	/* gpg's own defaults: AES128 (or what it prefers), a calibrated count */
	message = gpg_cli(PASSPHRASE, args);
	g_assert_nonnull(message);
	plain = cb_gpg_key_decrypt(message, pass, &error);
	g_assert_no_error(error);
	g_assert_true(cb_secret_equal(plain, fixture.key_text));
}

static const gchar *const enciso_info[] = {
	"timestamp=1700000000",
	"date=2023-11-14 22:13:20",
	"version=cryptburn 0.1.0",
	"encryption=multi-key-v3",
	"checksum=md5:d41d8cd98f00b204e9800998ecf8427e",
	"serial=SER-42",
	NULL,
};

static gchar *
commented_message(void)
{
	GBytes *message = shared_message();
	g_autofree gchar *text =
	    g_strndup(g_bytes_get_data(message, NULL), g_bytes_get_size(message));
	g_autoptr(GError) error = NULL;
	gchar *commented = cb_armor_set_comments(text, enciso_info, &error);

	g_assert_no_error(error);
	return commented;
}

static void
test_armor_comments(void)
{
	g_autofree gchar *text = commented_message();
	g_autofree gchar *again = NULL;
	g_auto(GStrv) comments = cb_armor_get_comments(text);
	g_auto(GStrv) replaced = NULL;
	g_autoptr(GHashTable) info = cb_armor_parse_info(text);
	g_autoptr(GError) error = NULL;
	const gchar *only[] = { "serial=OTHER", NULL };

	g_assert_true(g_str_has_prefix(text, CB_ARMOR_BEGIN "\nComment: timestamp=1700000000\n"));
	g_assert_true(g_strv_equal((const gchar *const *) comments, enciso_info));
	g_assert_cmpuint(g_hash_table_size(info), ==, 6);
	g_assert_cmpstr(g_hash_table_lookup(info, "timestamp"), ==, "1700000000");
	g_assert_cmpstr(g_hash_table_lookup(info, "date"), ==, "2023-11-14 22:13:20");
	g_assert_cmpstr(g_hash_table_lookup(info, "encryption"), ==, "multi-key-v3");
	g_assert_cmpstr(g_hash_table_lookup(info, "checksum"), ==,
			"md5:d41d8cd98f00b204e9800998ecf8427e");
	g_assert_cmpstr(g_hash_table_lookup(info, "serial"), ==, "SER-42");

	/* setting again replaces, it does not add */
	again = cb_armor_set_comments(text, only, &error);
	g_assert_no_error(error);
	replaced = cb_armor_get_comments(again);
	g_assert_true(g_strv_equal((const gchar *const *) replaced, only));
}

/* the comments are outside the armor checksum: gpg still reads it all */
static void
test_armor_comments_gpg_reads(void)
{
	g_autofree gchar *text = commented_message();
	g_autofree gchar *path = write_file("commented.asc", text, strlen(text));
	const gchar *args[] = { "-d", path, NULL };
	g_autoptr(GBytes) plain = gpg_cli(PASSPHRASE, args);

	assert_is_key_text(plain);
}

static void
test_armor_other_headers(void)
{
	const gchar *old = CB_ARMOR_BEGIN "\r\n"
					  "Version: GnuPG v1\r\n"
					  "Comment: old\r\n"
					  "Comment: older\r\n"
					  "\r\n"
					  "jA0ECQMK\r\n"
					  "=abcd\r\n" CB_ARMOR_END "\r\n";
	const gchar *comments[] = { "new", NULL };
	g_autofree gchar *text = NULL;
	g_autofree gchar *bare = NULL;
	g_autoptr(GError) error = NULL;

	/* line ends as they were, Version kept, the old comments gone */
	text = cb_armor_set_comments(old, comments, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(text, ==,
			CB_ARMOR_BEGIN "\r\n"
				       "Comment: new\r\n"
				       "Version: GnuPG v1\r\n"
				       "\r\n"
				       "jA0ECQMK\r\n"
				       "=abcd\r\n" CB_ARMOR_END "\r\n");
	bare = cb_armor_set_comments(old, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(bare, CB_ARMOR_BEGIN "\r\nVersion: GnuPG v1\r\n\r\n"));
}

static void
test_armor_find(void)
{
	g_autofree gchar *text = commented_message();
	gsize len = strlen(text);
	g_autofree guint8 *image = g_malloc0(16384);
	gsize start = 1;
	gsize end = 0;

	/* at the start of a zero-padded 16 KiB header, as in an image */
	g_assert_cmpuint(len, <, 16384 - 100);
	memcpy(image, text, len);
	g_assert_true(cb_armor_find(image, 16384, &start, &end));
	g_assert_cmpuint(start, ==, 0);
	g_assert_cmpuint(end, ==, len);

	/* after other lines */
	memset(image, 0, 16384);
	memcpy(image, "junk\nmore\n", 10);
	memcpy(image + 10, text, len);
	g_assert_true(cb_armor_find(image, 16384, &start, &end));
	g_assert_cmpuint(start, ==, 10);
	g_assert_cmpuint(end, ==, 10 + len);

	/* the END line without its newline, at the end of the buffer */
	g_assert_true(cb_armor_find((const guint8 *) text, len - 1, &start, &end));
	g_assert_cmpuint(end, ==, len - 1);

	/* none, cut off, or BEGIN not at a line start */
	memset(image, 0, 16384);
	g_assert_false(cb_armor_find(image, 16384, &start, &end));
	memcpy(image, text, len / 2);
	g_assert_false(cb_armor_find(image, 16384, &start, &end));
	image[0] = 'x';
	memcpy(image + 1, text, len);
	g_assert_false(cb_armor_find(image, 16384, &start, &end));
	g_assert_false(cb_armor_find(image, 0, NULL, NULL));
}

static void
test_armor_reject(void)
{
	g_autofree gchar *text = commented_message();
	g_autofree gchar *longest = g_strnfill(CB_ARMOR_COMMENT_MAX, 'a');
	g_autofree gchar *too_long = g_strnfill(CB_ARMOR_COMMENT_MAX + 1, 'a');
	const gchar *newline[] = { "fine", "two\nlines", NULL };
	const gchar *ok[] = { longest, NULL };
	const gchar *long_one[] = { too_long, NULL };
	g_autofree gchar *result = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_null(cb_armor_set_comments(text, newline, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
	g_clear_error(&error);
	g_assert_null(cb_armor_set_comments(text, long_one, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
	g_clear_error(&error);
	result = cb_armor_set_comments(text, ok, &error);
	g_assert_no_error(error);
	g_assert_nonnull(result);
	g_assert_null(cb_armor_set_comments("no armor here\n", ok, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED);
}

/* the command line of a gpg-agent still running with both strings in it,
 * or NULL; zombies have an empty one and do not count */
static gchar *
agent_running(const gchar *dir, const gchar *part)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	const gchar *name;

	while ((name = g_dir_read_name(proc)) != NULL) {
		g_autofree gchar *path = g_build_filename("/proc", name, "cmdline", NULL);
		g_autofree gchar *cmdline = NULL;
		gsize len = 0;

		if (!g_ascii_isdigit(name[0]) || !g_file_get_contents(path, &cmdline, &len, NULL))
			continue;
		for (gsize i = 0; i + 1 < len; i++) {
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		}
		if (strstr(cmdline, "gpg-agent") != NULL && strstr(cmdline, dir) != NULL &&
		    strstr(cmdline, part) != NULL)
			return g_steal_pointer(&cmdline);
	}
	return NULL;
}

static gboolean
dir_is_empty(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	return dir != NULL && g_dir_read_name(dir) == NULL;
}

static void
test_no_leftovers(void)
{
	g_autoptr(GDir) dir = NULL;
	const gchar *name;
	const gchar *kill[] = {
		"gpgconf", "--homedir", fixture.oracle, "--kill", "gpg-agent", NULL
	};
	const gchar *rmdir[] = { "gpgconf", "--homedir", fixture.oracle, "--remove-socketdir",
				 NULL };
	g_autofree gchar *left = NULL;
	gint waited = 0;

	/* cb_gpg_key_* waits for its agents to go: none may be left, from
	 * RUNTIME_DIRECTORY or TMPDIR */
	left = agent_running(fixture.dir, "/cb-gpg-");
	g_assert_cmpstr(left, ==, NULL);
	g_assert_true(dir_is_empty(fixture.runtime));
	dir = g_dir_open(fixture.dir, 0, NULL);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_assert_false(g_str_has_prefix(name, "cb-gpg-"));

	/* the oracle's agent is ours to stop */
	g_spawn_sync(NULL, (gchar **) kill, NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
		     NULL, NULL, NULL, NULL, NULL, NULL);
	while ((left = agent_running(fixture.oracle, "--homedir")) != NULL && waited < 5000) {
		g_clear_pointer(&left, g_free);
		g_usleep(10 * 1000);
		waited += 10;
	}
	g_assert_cmpstr(left, ==, NULL);
	/* its sockets' directory if /run/user/UID exists */
	g_spawn_sync(NULL, (gchar **) rmdir, NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
		     NULL, NULL, NULL, NULL, NULL, NULL);
}

static int
remove_tree(const gchar *path)
{
	const gchar *argv[] = { "rm", "-rf", "--one-file-system", path, NULL };
	gint status = 0;

	g_spawn_sync(NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     &status, NULL);
	return status;
}

int
main(int argc, char **argv)
{
	/* set by the first run for the child of /gpg-key/wrong-passphrase,
	 * which shares its directories */
	const gchar *shared = g_getenv("TEST_GPG_KEY_DIR");
	const gchar *tmp = g_getenv("TMPDIR");
	g_autofree gchar *runtime_env = NULL;
	int rc;

	/* a TMPDIR of our own, set before anything asks GLib for it, so the
	 * leftover check sees only this test's homes */
	if (shared != NULL) {
		fixture.dir = g_strdup(shared);
	} else {
		fixture.dir = g_build_filename(tmp != NULL && *tmp != '\0' ? tmp : "/tmp",
					       "test-gpg-XXXXXX", NULL);
		g_assert_nonnull(g_mkdtemp(fixture.dir));
	}
	fixture.runtime = g_build_filename(fixture.dir, "run", NULL);
	fixture.oracle = g_build_filename(fixture.dir, "oracle", NULL);
	if (shared == NULL) {
		g_assert_cmpint(g_mkdir(fixture.runtime, 0700), ==, 0);
		g_assert_cmpint(g_mkdir(fixture.oracle, 0700), ==, 0);
		g_setenv("TEST_GPG_KEY_DIR", fixture.dir, TRUE);
	}
	g_setenv("TMPDIR", fixture.dir, TRUE);
	/* systemd separates several runtime directories by ':' */
	runtime_env = g_strconcat(fixture.runtime, ":/nonexistent", NULL);
	g_setenv("RUNTIME_DIRECTORY", runtime_env, TRUE);
	/* a system service may have no HOME; gpg must not need one */
	g_unsetenv("HOME");

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gpg-key/roundtrip", test_roundtrip);
	g_test_add_func("/gpg-key/armor-shape", test_armor_shape);
	g_test_add_func("/gpg-key/gpg-cli-decrypts", test_gpg_cli_decrypts);
	g_test_add_func("/gpg-key/packets", test_packets);
	g_test_add_func("/gpg-key/wrong-passphrase", test_wrong_passphrase);
	g_test_add_func("/gpg-key/garbage", test_garbage);
	g_test_add_func("/gpg-key/not-encrypted", test_not_encrypted);
	g_test_add_func("/gpg-key/gpg-made", test_gpg_made);
	g_test_add_func("/armor/comments", test_armor_comments);
	g_test_add_func("/armor/comments-gpg-reads", test_armor_comments_gpg_reads);
	g_test_add_func("/armor/other-headers", test_armor_other_headers);
	g_test_add_func("/armor/find", test_armor_find);
	g_test_add_func("/armor/reject", test_armor_reject);
	/* a group of its own, registered last, so it runs after every test
	 * that ran gpg */
	g_test_add_func("/leftovers/none", test_no_leftovers);
	rc = g_test_run();

	g_clear_pointer(&fixture.message, g_bytes_unref);
	g_clear_pointer(&fixture.key_text, cb_secret_free);
	if (shared == NULL)
		remove_tree(fixture.dir);
	g_free(fixture.dir);
	g_free(fixture.runtime);
	g_free(fixture.oracle);
	return rc;
}
