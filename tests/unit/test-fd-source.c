/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plain images over file descriptors: sizes from fstat, from the caller,
 * or from a real genisoimage stream's volume descriptor */
#include "cb-error.h"
#include "cb-fd-source.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	gchar *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	f->dir = g_dir_make_tmp("cb-fd-source-XXXXXX", NULL);
	g_assert_nonnull(f->dir);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

static GBytes *
pattern(gsize size)
{
	guint8 *data = g_malloc(size);

	for (gsize i = 0; i < size; i++)
		data[i] = (guint8) (i % 253 + 1);
	return g_bytes_new_take(data, size);
}

typedef struct {
	int fd;
	GBytes *data;
} Feed;

static gpointer
feed_thread(gpointer user_data)
{
	Feed *feed = user_data;
	gsize len;
	const guint8 *p = g_bytes_get_data(feed->data, &len);

	/* stops at EPIPE when the source refused the rest */
	while (len > 0) {
		gssize n = write(feed->fd, p, len);
		if (n <= 0)
			break;
		p += n;
		len -= (gsize) n;
	}
	close(feed->fd);
	g_bytes_unref(feed->data);
	g_free(feed);
	return NULL;
}

/* a pipe whose other end writes data from a thread, then closes */
static int
feed_pipe(GBytes *data, GThread **thread)
{
	int fds[2];
	Feed *feed = g_new0(Feed, 1);

	g_assert_cmpint(pipe(fds), ==, 0);
	feed->fd = fds[1];
	feed->data = g_bytes_ref(data);
	*thread = g_thread_new("feed", feed_thread, feed);
	return fds[0];
}

/* everything the source hands out, which must add up to its size */
static GByteArray *
read_all(CbFdSource *source, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autofree guint8 *buf = g_malloc(65536);
	gsize pieces[] = { 65536, 1000, 30000 };
	gssize n;

	for (guint i = 0;; i++) {
		gsize want = pieces[i % G_N_ELEMENTS(pieces)];
		n = cb_fd_source_read(source, buf, want, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		g_assert_true((gsize) n == want ||
			      out->len + (guint64) n == cb_fd_source_get_size(source));
		g_byte_array_append(out, buf, (guint) n);
	}
	g_assert_cmpuint(out->len, ==, cb_fd_source_get_size(source));
	return g_steal_pointer(&out);
}

/* data followed by zeros up to len */
static void
assert_padded(GByteArray *out, GBytes *data, gsize len)
{
	gsize data_len;
	const guint8 *p = g_bytes_get_data(data, &data_len);

	g_assert_cmpuint(out->len, ==, len);
	g_assert_cmpmem(out->data, data_len, p, data_len);
	for (gsize i = data_len; i < len; i++)
		g_assert_cmpuint(out->data[i], ==, 0);
}

static void
test_fd_source_genisoimage(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tree = g_build_filename(f->dir, "tree", NULL);
	g_autofree gchar *file = g_build_filename(tree, "file.bin", NULL);
	g_autofree gchar *iso = g_build_filename(f->dir, "ref.iso", NULL);
	g_autoptr(GBytes) contents = pattern(300001);
	const gchar *to_pipe[] = { "genisoimage", "-quiet", "-R", "-o", "-", tree, NULL };
	const gchar *to_file[] = { "genisoimage", "-quiet", "-R", "-o", iso, tree, NULL };
	g_autoptr(CbFdSource) source = NULL;
	g_autoptr(GByteArray) out = NULL;
	GStatBuf st;
	GPid pid;
	int fd;
	int status;

	g_assert_cmpint(g_mkdir(tree, 0755), ==, 0);
	g_assert_true(g_file_set_contents(file, g_bytes_get_data(contents, NULL), 300001, NULL));
	g_assert_true(g_spawn_async_with_pipes(NULL, (gchar **) to_pipe, NULL,
					       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
					       NULL, NULL, &pid, NULL, &fd, NULL, &error));
	g_assert_no_error(error);

	source = cb_fd_source_new(fd, 0, &error);
	g_assert_no_error(error);
	out = read_all(source, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(g_spawn_check_wait_status(status, NULL));

	/* the bytes read ahead for the size come out first, in place */
	g_assert_cmpmem(out->data + 32769, 5, "CD001", 5);
	g_assert_nonnull(memmem(out->data, out->len, g_bytes_get_data(contents, NULL), 300001));
	/* the same tree written to a file has the size the descriptor said */
	g_assert_true(g_spawn_sync(NULL, (gchar **) to_file, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   NULL, NULL, &status, &error));
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	g_assert_cmpint(g_stat(iso, &st), ==, 0);
	g_assert_cmpuint(cb_fd_source_get_size(source), ==, (guint64) st.st_size);
}

/* a regular file needs no size; what is left from the offset counts */
static void
test_fd_source_regular_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(f->dir, "image", NULL);
	g_autoptr(GBytes) contents = pattern(5000);
	g_autoptr(GBytes) tail = g_bytes_new_from_bytes(contents, 1000, 4000);
	g_autoptr(CbFdSource) source = NULL;
	g_autoptr(CbFdSource) rest = NULL;
	g_autoptr(GByteArray) out = NULL;
	int fd;

	g_assert_true(g_file_set_contents(path, g_bytes_get_data(contents, NULL), 5000, NULL));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(fd, >=, 0);
	source = cb_fd_source_new(fd, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cb_fd_source_get_size(source), ==, 6144);
	out = read_all(source, &error);
	g_assert_no_error(error);
	assert_padded(out, contents, 6144);
	g_clear_pointer(&out, g_byte_array_unref);

	g_assert_cmpint(lseek(fd, 1000, SEEK_SET), ==, 1000);
	rest = cb_fd_source_new(fd, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cb_fd_source_get_size(rest), ==, 4096);
	out = read_all(rest, &error);
	g_assert_no_error(error);
	assert_padded(out, tail, 4096);
	close(fd);
}

static void
test_fd_source_empty_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(f->dir, "empty", NULL);
	CbFdSource *source;
	int fd;

	g_assert_true(g_file_set_contents(path, "", 0, NULL));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	source = cb_fd_source_new(fd, 0, &error);
	g_assert_null(source);
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	close(fd);
}

/* the caller's size, exact or odd; odd is padded to a whole sector */
static void
test_fd_source_explicit_size(Fixture *f, gconstpointer data)
{
	gsize sizes[] = { 4096, 3000 };

	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) contents = pattern(sizes[i]);
		g_autoptr(CbFdSource) source = NULL;
		g_autoptr(GByteArray) out = NULL;
		GThread *thread;
		int fd = feed_pipe(contents, &thread);

		source = cb_fd_source_new(fd, sizes[i], &error);
		g_assert_no_error(error);
		g_assert_cmpuint(cb_fd_source_get_size(source), ==, 4096);
		out = read_all(source, &error);
		g_assert_no_error(error);
		assert_padded(out, contents, 4096);
		g_thread_join(thread);
		close(fd);
	}
}

static GError *
read_pipe_error(gsize stream_size, guint64 announced)
{
	g_autoptr(GBytes) contents = pattern(stream_size);
	g_autoptr(CbFdSource) source = NULL;
	g_autoptr(GByteArray) out = NULL;
	GError *error = NULL;
	GThread *thread;
	int fd = feed_pipe(contents, &thread);

	source = cb_fd_source_new(fd, announced, &error);
	if (source != NULL)
		out = read_all(source, &error);
	g_assert_null(out);
	close(fd);
	g_thread_join(thread);
	return error;
}

static void
test_fd_source_short(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = read_pipe_error(3000, 4096);

	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "3000"));
	g_assert_nonnull(strstr(error->message, "4096"));
}

static void
test_fd_source_overlong(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = read_pipe_error(200000, 4096);

	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "4096"));
	g_assert_nonnull(strstr(error->message, "longer"));
}

/* no size, no ISO 9660 descriptor: nothing to go by */
static void
test_fd_source_unknown_size(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = read_pipe_error(100000, 0);

	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "ISO 9660"));
	g_clear_error(&error);
	error = read_pipe_error(1000, 0);
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
}

int
main(int argc, char **argv)
{
	/* a feeding thread learns of a refused stream from EPIPE */
	signal(SIGPIPE, SIG_IGN);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/fd-source/genisoimage", Fixture, NULL, fixture_setup,
		   test_fd_source_genisoimage, fixture_teardown);
	g_test_add("/fd-source/regular-file", Fixture, NULL, fixture_setup,
		   test_fd_source_regular_file, fixture_teardown);
	g_test_add("/fd-source/empty-file", Fixture, NULL, fixture_setup, test_fd_source_empty_file,
		   fixture_teardown);
	g_test_add("/fd-source/explicit-size", Fixture, NULL, fixture_setup,
		   test_fd_source_explicit_size, fixture_teardown);
	g_test_add("/fd-source/short", Fixture, NULL, fixture_setup, test_fd_source_short,
		   fixture_teardown);
	g_test_add("/fd-source/overlong", Fixture, NULL, fixture_setup, test_fd_source_overlong,
		   fixture_teardown);
	g_test_add("/fd-source/unknown-size", Fixture, NULL, fixture_setup,
		   test_fd_source_unknown_size, fixture_teardown);
	return g_test_run();
}
