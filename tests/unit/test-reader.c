/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The real cryptburn-reader (CRYPTBURN_READER), spawned as this user or,
 * when the tests run as root, as nobody. Small shell scripts stand in for
 * a reader gone wrong: the daemon must not trust what a process running
 * as the caller says.
 */
#include "cb-error.h"
#include "cb-iso.h"
#include "cb-reader.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

typedef struct {
	gchar *dir;
	const gchar *reader;
	GPtrArray *warnings;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("cb-reader-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
	/* other users (nobody) must reach the files, or be refused by them */
	g_assert_cmpint(g_chmod(f->dir, 0755), ==, 0);
	f->reader = g_getenv("CRYPTBURN_READER");
	g_assert_nonnull(f->reader);
	f->warnings = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	/* xorriso gives extracted directories the image's read-only modes */
	g_autofree gchar *cmd = g_strdup_printf("chmod -R u+w '%s' && rm -rf '%s'", f->dir, f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
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
	g_autofree guint8 *contents = g_malloc(size + 1);
	gchar *path = g_build_filename(f->dir, rel, NULL);
	g_autofree gchar *parent = g_path_get_dirname(path);

	for (gsize i = 0; i < size; i++)
		contents[i] = (guint8) (i * 7 + i / 251);
	g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, (const gchar *) contents, (gssize) size, NULL));
	g_assert_cmpint(g_chmod(path, 0644), ==, 0);
	return path;
}

/* an executable standing in for the reader */
static gchar *
make_script(Fixture *f, const gchar *name, const gchar *body)
{
	g_autofree gchar *text = g_strdup_printf("#!/bin/sh\n%s\n", body);
	gchar *path = g_build_filename(f->dir, name, NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0755), ==, 0);
	return path;
}

static CbReader *
spawn(Fixture *f, const gchar *reader, uid_t uid, const gchar *const *sources, GVariant *options)
{
	g_autoptr(GError) error = NULL;
	CbReader *r =
	    cb_reader_spawn(reader != NULL ? reader : f->reader, uid, sources, options, &error);

	g_assert_no_error(error);
	g_assert_nonnull(r);
	cb_reader_set_warning_func(r, on_warning, f);
	return r;
}

/* the whole stream, read in uneven pieces to exercise partial fills */
static GByteArray *
read_all(CbReader *r, guint64 *size, GError **error)
{
	g_autoptr(GByteArray) image = g_byte_array_new();
	g_autofree guint8 *buf = g_malloc(1024 * 1024);
	gsize pieces[] = { 1000, 70000, 1024 * 1024 };
	gssize n;

	if (!cb_reader_wait_size(r, size, NULL, error))
		return NULL;
	for (guint i = 0;; i++) {
		gsize want = pieces[i % G_N_ELEMENTS(pieces)];
		n = cb_reader_read(r, buf, want, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		/* a CbSourceReadFunc fills buf unless the stream ends */
		g_assert_true((gsize) n == want || image->len + (guint64) n == *size);
		g_byte_array_append(image, buf, (guint) n);
	}
	return g_steal_pointer(&image);
}

static void
assert_no_children(void)
{
	errno = 0;
	g_assert_cmpint(waitpid(-1, NULL, WNOHANG), ==, -1);
	g_assert_cmpint(errno, ==, ECHILD);
}

static gchar *
run(const gchar *const *argv)
{
	g_autoptr(GError) error = NULL;
	gchar *out = NULL;
	gint status = 0;

	g_assert_true(g_spawn_sync(NULL, (gchar **) argv, NULL,
				   G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
				   &out, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

/* the size comes first and is exactly what follows; the stream is an ISO
 * image that xorriso extracts to the same files, as big as the same tree
 * built in this process */
static void
test_reader_stream(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *a = make_file(f, "tree/a.txt", 10);
	g_autofree gchar *b = make_file(f, "tree/sub/b.bin", 300000);
	g_autofree gchar *c = make_file(f, "tree/sub/c.bin", 4096);
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	g_autofree gchar *fifo = g_build_filename(tree, "pipe", NULL);
	g_autofree gchar *iso = g_build_filename(f->dir, "image.iso", NULL);
	g_autofree gchar *out = g_build_filename(f->dir, "out", NULL);
	const gchar *sources[] = { tree, NULL };
	g_autoptr(CbReader) r = NULL;
	g_autoptr(GByteArray) image = NULL;
	g_autoptr(CbIsoBuilder) builder = NULL;
	g_autoptr(CbIsoStream) stream = NULL;
	CbIsoOptions iso_options = { .volume_id = "tree" };
	const gchar *isoinfo[] = { "isoinfo", "-d", "-i", iso, NULL };
	const gchar *extract[] = { "xorriso", "-abort_on", "FAILURE", "-osirrox", "on", "-indev",
				   iso,	      "-extract",  "/",	      out,	  NULL };
	g_autofree gchar *info = NULL;
	g_autofree gchar *extracted = NULL;
	guint64 size = 0;

	g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
	r = spawn(f, NULL, getuid(), sources, NULL);
	image = read_all(r, &size, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(size % 2048, ==, 0);
	g_assert_cmpuint(image->len, ==, size);
	/* the reader is reaped once its stream ended */
	g_clear_pointer(&r, cb_reader_free);
	assert_no_children();

	/* warnings cross the pipe to the warning func */
	g_assert_cmpuint(f->warnings->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(f->warnings, 0), fifo));

	builder = cb_iso_builder_new(&iso_options, &error);
	g_assert_no_error(error);
	cb_iso_builder_set_warning_func(builder, on_warning, f);
	g_assert_true(cb_iso_builder_add_source(builder, tree, &error));
	stream = cb_iso_builder_start(builder, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cb_iso_stream_get_size(stream), ==, size);

	g_assert_true(g_file_set_contents(iso, (const gchar *) image->data, image->len, &error));
	info = run(isoinfo);
	/* the default volume id is the CLI's: the first source's name */
	g_assert_nonnull(strstr(info, "Volume id: tree\n"));
	extracted = run(extract);
	for (guint i = 0; i < 3; i++) {
		const gchar *rel[] = { "a.txt", "sub/b.bin", "sub/c.bin" };
		g_autofree gchar *orig = g_build_filename(tree, rel[i], NULL);
		g_autofree gchar *copy = g_build_filename(out, rel[i], NULL);
		g_autofree gchar *x = NULL;
		g_autofree gchar *y = NULL;
		gsize xn, yn;
		g_assert_true(g_file_get_contents(orig, &x, &xn, NULL));
		g_assert_true(g_file_get_contents(copy, &y, &yn, NULL));
		g_assert_cmpmem(x, xn, y, yn);
	}
}

/* grafts alone make an image; the options reach libisofs */
static void
test_reader_grafts(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *a = make_file(f, "a.txt", 100);
	g_autofree gchar *graft = g_strdup_printf("docs/x.txt=%s", a);
	const gchar *grafts[] = { graft, NULL };
	g_autoptr(GVariantBuilder) b = g_variant_builder_new(G_VARIANT_TYPE_VARDICT);
	g_autofree gchar *iso = g_build_filename(f->dir, "image.iso", NULL);
	g_autoptr(CbReader) r = NULL;
	g_autoptr(GByteArray) image = NULL;
	const gchar *isoinfo[] = { "isoinfo", "-d", "-i", iso, NULL };
	const gchar *find[] = { "xorriso", "-indev", iso, "-find", "/", "-type", "f", NULL };
	g_autofree gchar *info = NULL;
	g_autofree gchar *found = NULL;
	guint64 size;

	g_variant_builder_add(b, "{sv}", "grafts", g_variant_new_strv(grafts, -1));
	g_variant_builder_add(b, "{sv}", "publisher", g_variant_new_string("PUBLISHER"));
	g_variant_builder_add(b, "{sv}", "no-md5", g_variant_new_boolean(TRUE));
	r = spawn(f, NULL, getuid(), NULL, g_variant_builder_end(b));
	image = read_all(r, &size, &error);
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(iso, (const gchar *) image->data, image->len, &error));
	info = run(isoinfo);
	g_assert_nonnull(strstr(info, "Volume id: CRYPTBURN\n"));
	g_assert_nonnull(strstr(info, "Publisher id: PUBLISHER\n"));
	found = run(find);
	g_assert_nonnull(strstr(found, "'/docs/x.txt'"));
}

/* the reader has the caller's rights, not the daemon's */
static void
test_reader_permission_denied(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *open_file = make_file(f, "tree/open.txt", 10);
	g_autofree gchar *secret = make_file(f, "tree/secret.txt", 10);
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	const gchar *sources[] = { tree, NULL };
	g_autoptr(CbReader) r = NULL;
	guint64 size;

	if (getuid() != 0) {
		g_test_skip("needs root to start the reader as nobody");
		return;
	}
	g_assert_cmpint(g_chmod(secret, 0600), ==, 0);
	r = spawn(f, NULL, NOBODY, sources, NULL);
	g_assert_false(cb_reader_wait_size(r, &size, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, secret));
	g_assert_nonnull(strstr(error->message, "Permission denied"));
	g_clear_pointer(&r, cb_reader_free);
	assert_no_children();

	/* and nobody may read what is open to all */
	g_assert_cmpint(g_chmod(secret, 0644), ==, 0);
	g_clear_error(&error);
	r = spawn(f, NULL, NOBODY, sources, NULL);
	g_assert_true(cb_reader_wait_size(r, &size, NULL, &error));
	g_assert_no_error(error);
}

/* the reader is exactly the caller: uid, gid and groups, nothing more;
 * no environment, no way to gain privileges */
static void
test_reader_identity(Fixture *f, gconstpointer data)
{
	g_autofree gchar *script = make_script(
	    f, "identity",
	    "echo \"error: 0 $(/usr/bin/id -u):$(/usr/bin/id -g):$(/usr/bin/id -G) "
	    "cwd=$(pwd) home=${HOME-none} $(/usr/bin/grep NoNewPrivs /proc/self/status)\" >&2; "
	    "exit 1");
	const gchar *sources[] = { "/", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbReader) r = NULL;
	guint64 size;

	if (getuid() != 0) {
		g_test_skip("needs root to start the reader as nobody");
		return;
	}
	r = spawn(f, script, NOBODY, sources, NULL);
	g_assert_false(cb_reader_wait_size(r, &size, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_cmpstr(error->message, ==, "65534:65534:65534 cwd=/ home=none NoNewPrivs:?1");
}

static void
assert_refused(Fixture *f, const gchar *const *sources, GVariant *options, const gchar *words)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbReader) r = spawn(f, NULL, getuid(), sources, options);
	guint64 size;

	g_assert_false(cb_reader_wait_size(r, &size, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION);
	g_assert_nonnull(strstr(error->message, words));
}

static void
test_reader_bad_requests(Fixture *f, gconstpointer data)
{
	g_autofree gchar *a = make_file(f, "a.txt", 10);
	const gchar *good[] = { a, NULL };
	const gchar *relative[] = { "a.txt", NULL };

	assert_refused(f, relative, NULL, "“a.txt” is not an absolute path");
	assert_refused(f, NULL, NULL, "no sources");
	assert_refused(f, good, g_variant_new_parsed("{'colour': <'red'>}"), "“colour”");
	assert_refused(f, good, g_variant_new_parsed("{'volume-id': <42>}"), "“volume-id”");
	assert_refused(f, good, g_variant_new_parsed("{'no-md5': <'yes'>}"), "“no-md5”");
	assert_refused(f, NULL, g_variant_new_parsed("{'grafts': <['x=a.txt']>}"), "“x=a.txt”");
	/* libisofs' own limits come back with the reader's code */
	assert_refused(
	    f, good, g_variant_new_parsed("{'volume-id': <'0123456789012345678901234567890123'>}"),
	    "volume id");
}

static void
test_reader_unknown_user(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *sources[] = { "/", NULL };
	uid_t uid = 3999999;
	CbReader *r;

	g_assert_null(getpwuid(uid));
	r = cb_reader_spawn(f->reader, uid, sources, NULL, &error);
	g_assert_null(r);
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "3999999"));
	assert_no_children();
}

static void
test_reader_missing_binary(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *sources[] = { "/", NULL };
	CbReader *r =
	    cb_reader_spawn("/nonexistent/cryptburn-reader", getuid(), sources, NULL, &error);

	g_assert_null(r);
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "/nonexistent/cryptburn-reader"));
	assert_no_children();
}

/* a reader streaming a large file; returns once the size is known */
static CbReader *
spawn_big(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *big = g_build_filename(f->dir, "big.bin", NULL);
	const gchar *sources[] = { big, NULL };
	CbReader *r;
	FILE *fp = fopen(big, "w");
	guint64 size;

	g_assert_nonnull(fp);
	g_assert_cmpint(ftruncate(fileno(fp), 512 * 1024 * 1024), ==, 0);
	fclose(fp);
	g_assert_cmpint(g_chmod(big, 0644), ==, 0);
	r = spawn(f, NULL, getuid(), sources, NULL);
	g_assert_true(cb_reader_wait_size(r, &size, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(size, >, 512 * 1024 * 1024);
	return r;
}

/* freeing a reader that still writes kills and reaps it at once */
static void
test_reader_free_running(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *buf = g_malloc(65536);
	const gchar *sources[] = { "/", NULL };
	CbReader *r = spawn_big(f);
	gint64 start = g_get_monotonic_time();

	g_assert_cmpint(cb_reader_read(r, buf, 65536, &error), ==, 65536);
	g_assert_no_error(error);
	cb_reader_free(r);
	assert_no_children();
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);

	/* and one that never got to say anything */
	r = cb_reader_spawn(f->reader, getuid(), sources, NULL, &error);
	g_assert_no_error(error);
	cb_reader_free(r);
	assert_no_children();
}

/* the pid of this process's only child */
static pid_t
only_child(void)
{
	g_autoptr(GDir) tasks = g_dir_open("/proc/self/task", 0, NULL);
	const gchar *tid;
	pid_t pid = 0;

	g_assert_nonnull(tasks);
	while ((tid = g_dir_read_name(tasks)) != NULL) {
		g_autofree gchar *path = g_strdup_printf("/proc/self/task/%s/children", tid);
		g_autofree gchar *text = NULL;
		if (g_file_get_contents(path, &text, NULL, NULL) && text[0] != '\0') {
			g_assert_cmpint(pid, ==, 0);
			pid = (pid_t) g_ascii_strtoll(text, NULL, 10);
		}
	}
	g_assert_cmpint(pid, >, 0);
	return pid;
}

static void
test_reader_killed(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *buf = g_malloc(1024 * 1024);
	g_autoptr(CbReader) r = spawn_big(f);
	gssize n;

	g_assert_cmpint(kill(only_child(), SIGKILL), ==, 0);
	while ((n = cb_reader_read(r, buf, 1024 * 1024, &error)) > 0)
		;
	g_assert_cmpint(n, ==, -1);
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "signal 9"));
	assert_no_children();
}

static gpointer
cancel_thread(gpointer data)
{
	g_usleep(200 * 1000);
	g_cancellable_cancel(data);
	return NULL;
}

/* a reader that hangs does not hold the job: the cancellable given to
 * wait_size also stops later reads */
static void
test_reader_cancel(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hang = make_script(f, "hang", "exec /bin/sleep 600");
	g_autofree gchar *slow = make_script(
	    f, "slow", "printf '\\000\\010\\000\\000\\000\\000\\000\\000'; exec /bin/sleep 600");
	const gchar *sources[] = { "/", NULL };
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(CbReader) r = spawn(f, hang, getuid(), sources, NULL);
	g_autofree guint8 *buf = g_malloc(2048);
	GThread *thread;
	guint64 size;

	thread = g_thread_new("cancel", cancel_thread, cancellable);
	g_assert_false(cb_reader_wait_size(r, &size, cancellable, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_thread_join(thread);
	g_clear_pointer(&r, cb_reader_free);
	assert_no_children();

	g_clear_error(&error);
	g_clear_object(&cancellable);
	cancellable = g_cancellable_new();
	r = spawn(f, slow, getuid(), sources, NULL);
	g_assert_true(cb_reader_wait_size(r, &size, cancellable, &error));
	g_assert_cmpuint(size, ==, 2048);
	thread = g_thread_new("cancel", cancel_thread, cancellable);
	g_assert_cmpint(cb_reader_read(r, buf, 2048, &error), ==, -1);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_thread_join(thread);
	g_clear_pointer(&r, cb_reader_free);
	assert_no_children();
}

static GError *
run_script(Fixture *f, const gchar *body)
{
	g_autofree gchar *script = make_script(f, "fake", body);
	const gchar *sources[] = { "/", NULL };
	g_autoptr(CbReader) r = spawn(f, script, getuid(), sources, NULL);
	g_autoptr(GByteArray) image = NULL;
	GError *error = NULL;
	guint64 size;

	image = read_all(r, &size, &error);
	g_assert_true(image == NULL || error == NULL);
	return error;
}

/* whatever a reader says or does, the daemon gets a named error */
static void
test_reader_misbehaving(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *size_2048 = "printf '\\000\\010\\000\\000\\000\\000\\000\\000'";
	g_autofree gchar *flood = NULL;
	g_autofree gchar *long_body = NULL;
	g_autofree gchar *short_body = NULL;
	g_autofree gchar *code_body = NULL;

	/* exits at once without reading its request: no SIGPIPE here */
	error = run_script(f, "exit 0");
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "without announcing the image size"));
	g_clear_error(&error);

	error = run_script(f, "echo 'GLib-CRITICAL: oops' >&2; exit 3");
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "exit status 3"));
	g_assert_nonnull(strstr(error->message, "oops"));
	g_clear_error(&error);

	error = run_script(f, "kill -SEGV $$");
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "signal 11"));
	g_clear_error(&error);

	/* service errors are not a reader's to claim; a file name with an
	 * escape sequence comes out harmless */
	error = run_script(f, "echo 'error: 9 trust me' >&2; exit 1");
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_clear_error(&error);
	code_body = g_strdup("printf 'error: 2 cannot read /x\\033[2J: no\\n' >&2; exit 1");
	error = run_script(f, code_body);
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_cmpstr(error->message, ==, "cannot read /x?[2J: no");
	g_clear_error(&error);

	/* more or fewer bytes than announced */
	long_body = g_strdup_printf("%s; /usr/bin/head -c 4096 /dev/zero", size_2048);
	error = run_script(f, long_body);
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "more than the 2048 bytes"));
	g_clear_error(&error);
	short_body = g_strdup_printf("%s; /usr/bin/head -c 1000 /dev/zero", size_2048);
	error = run_script(f, short_body);
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "1000 of 2048"));
	g_clear_error(&error);
	error = run_script(f, "printf '\\001\\000\\000\\000\\000\\000\\000\\000'");
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "impossible"));
	g_clear_error(&error);

	/* far more on stderr than a pipe holds, before the size: the reader
	 * must not stall; warnings are capped and long lines cut */
	flood = g_strdup_printf("i=0; while [ $i -lt 5000 ]; do "
				"echo \"warning: number $i of a great many warnings\"; "
				"i=$((i+1)); done >&2; "
				"/usr/bin/head -c 100000 /dev/zero | /usr/bin/tr '\\000' w >&2; "
				"echo >&2; %s; /usr/bin/head -c 2048 /dev/zero",
				size_2048);
	error = run_script(f, flood);
	g_assert_no_error(error);
	g_assert_cmpuint(f->warnings->len, ==, 1000);
	g_assert_cmpstr(g_ptr_array_index(f->warnings, 0), ==, "number 0 of a great many warnings");
	g_assert_cmpstr(g_ptr_array_index(f->warnings, 999), ==,
			"more warnings follow, but are left out");
	assert_no_children();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/reader/stream", Fixture, NULL, fixture_setup, test_reader_stream,
		   fixture_teardown);
	g_test_add("/reader/grafts", Fixture, NULL, fixture_setup, test_reader_grafts,
		   fixture_teardown);
	g_test_add("/reader/permission-denied", Fixture, NULL, fixture_setup,
		   test_reader_permission_denied, fixture_teardown);
	g_test_add("/reader/identity", Fixture, NULL, fixture_setup, test_reader_identity,
		   fixture_teardown);
	g_test_add("/reader/bad-requests", Fixture, NULL, fixture_setup, test_reader_bad_requests,
		   fixture_teardown);
	g_test_add("/reader/unknown-user", Fixture, NULL, fixture_setup, test_reader_unknown_user,
		   fixture_teardown);
	g_test_add("/reader/missing-binary", Fixture, NULL, fixture_setup,
		   test_reader_missing_binary, fixture_teardown);
	g_test_add("/reader/free-running", Fixture, NULL, fixture_setup, test_reader_free_running,
		   fixture_teardown);
	g_test_add("/reader/killed", Fixture, NULL, fixture_setup, test_reader_killed,
		   fixture_teardown);
	g_test_add("/reader/cancel", Fixture, NULL, fixture_setup, test_reader_cancel,
		   fixture_teardown);
	g_test_add("/reader/misbehaving", Fixture, NULL, fixture_setup, test_reader_misbehaving,
		   fixture_teardown);
	return g_test_run();
}
