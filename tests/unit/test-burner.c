/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * cb-burner through real libburn stdio drives writing files in a temporary
 * directory, fed through real pipes by feeder threads. Each test runs on
 * the main thread except where it starts burners on threads of its own.
 */

#include "cb-burn-source.h"
#include "cb-burner.h"
#include "cb-error.h"
#include "cb-udev.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB (1024 * 1024)
/* each test is killed (SIGALRM) rather than left hanging */
#define TEST_TIMEOUT_SEC 60

static gchar *test_dir;

static void
test_guard(void)
{
	alarm(TEST_TIMEOUT_SEC);
}

static gchar *
test_path(const gchar *name)
{
	return g_build_filename(test_dir, name, NULL);
}

static gchar *
test_device(const gchar *name)
{
	g_autofree gchar *path = test_path(name);
	g_unlink(path);
	return g_strconcat("stdio:", path, NULL);
}

static guint8 *
test_pattern(gsize size, guint32 seed)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
	guint8 *data = g_malloc(size);

	for (gsize i = 0; i < size; i += 4) {
		guint32 v = g_rand_int(rand);
		memcpy(data + i, &v, MIN(4, size - i));
	}
	return data;
}

/* --- a thread writing into a pipe, like the daemon's cipher stage --- */

typedef struct {
	int fd;
	const guint8 *data;
	gsize len;	    /* bytes written before closing (or stalling) */
	gboolean stall;	    /* keep the pipe open, idle, until released */
	GCancellable *gate; /* if set, write beyond gate_at only once cancelled */
	gsize gate_at;
	GMutex lock;
	GCond cond;
	gboolean released;
	GThread *thread;
} Feeder;

static gpointer
feeder_run(gpointer user_data)
{
	Feeder *f = user_data;
	gsize off = 0;

	while (off < f->len) {
		gsize chunk = MIN(64 * 1024, f->len - off);
		ssize_t n;

		if (f->gate != NULL && off + chunk > f->gate_at) {
			while (!g_cancellable_is_cancelled(f->gate))
				g_usleep(10 * 1000);
		}
		n = write(f->fd, f->data + off, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break; /* EPIPE: the burner gave up reading */
		off += (gsize) n;
	}
	if (f->stall) {
		g_mutex_lock(&f->lock);
		while (!f->released)
			g_cond_wait(&f->cond, &f->lock);
		g_mutex_unlock(&f->lock);
	}
	close(f->fd);
	return NULL;
}

/* returns the pipe's read end */
static Feeder *
feeder_start(
    const guint8 *data, gsize len, gboolean stall, GCancellable *gate, gsize gate_at, int *read_fd)
{
	Feeder *f = g_new0(Feeder, 1);
	int fds[2];

	g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
	f->fd = fds[1];
	f->data = data;
	f->len = len;
	f->stall = stall;
	f->gate = gate;
	f->gate_at = gate_at;
	g_mutex_init(&f->lock);
	g_cond_init(&f->cond);
	f->thread = g_thread_new("feeder", feeder_run, f);
	*read_fd = fds[0];
	return f;
}

static void
feeder_finish(Feeder *f, int read_fd)
{
	/* closing the read end lets a writer blocked on a full pipe out */
	close(read_fd);
	g_mutex_lock(&f->lock);
	f->released = TRUE;
	g_cond_signal(&f->cond);
	g_mutex_unlock(&f->lock);
	g_thread_join(f->thread);
	g_mutex_clear(&f->lock);
	g_cond_clear(&f->cond);
	g_free(f);
}

/* --- progress --- */

typedef struct {
	guint calls;
	guint64 last_done;
	gboolean went_backwards;
	gboolean saw_fixating;
	gdouble max_fill;
	guint max_empty;
	gint64 first_write; /* monotonic time of the first bytes written */
	const gchar *write_mode;
	gboolean underrun_proof;
	GCancellable *cancel;
	guint64 cancel_after; /* cancel once this many bytes were written */
} Progress;

static void
progress_cb(const CbBurnStatus *status, gpointer user_data)
{
	Progress *p = user_data;

	p->calls++;
	if (p->first_write == 0 && status->bytes_done > 0)
		p->first_write = g_get_monotonic_time();
	if (status->bytes_done < p->last_done)
		p->went_backwards = TRUE;
	p->last_done = status->bytes_done;
	p->saw_fixating |= status->phase == CB_BURN_PHASE_FIXATING;
	p->max_fill = MAX(p->max_fill, status->fifo_fill);
	p->max_empty = MAX(p->max_empty, status->fifo_empty_count);
	p->write_mode = status->write_mode;
	p->underrun_proof = status->underrun_proof;
	g_assert_cmpfloat(status->fifo_fill, >=, 0.0);
	g_assert_cmpfloat(status->fifo_fill, <=, 1.0);
	if (p->cancel != NULL && status->bytes_done >= p->cancel_after)
		g_cancellable_cancel(p->cancel);
}

/* burns data[0..len) announced as size bytes; the feeder stops at len */
static gboolean
burn_data(CbBurn *burn,
	  const guint8 *data,
	  gsize len,
	  guint64 size,
	  const CbBurnOptions *options,
	  Progress *progress,
	  GCancellable *cancellable,
	  GError **error)
{
	int fd = -1;
	Feeder *f = feeder_start(data, len, FALSE, NULL, 0, &fd);
	gboolean ok = cb_burn_write(burn, fd, size, options, progress != NULL ? progress_cb : NULL,
				    progress, cancellable, error);

	feeder_finish(f, fd);
	return ok;
}

static void
assert_file_is_image(const gchar *device, const guint8 *data, gsize size)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gsize padded = (size + 2047) / 2048 * 2048;

	g_assert_true(g_file_get_contents(device + strlen("stdio:"), &contents, &len, NULL));
	/* the last sector is padded with zeros, as on a disc */
	g_assert_cmpuint(len, ==, padded);
	g_assert_true(memcmp(contents, data, size) == 0);
	for (gsize i = size; i < padded; i++)
		g_assert_cmpuint((guint8) contents[i], ==, 0);
}

/* --- tests --- */

/* reads a track source as libburn's writer does, until it says end (0) or
 * failure (-1), in odd pieces */
static gssize
source_drain(struct burn_source *src, guint8 *out, gsize max)
{
	gsize got = 0;

	while (TRUE) {
		int want = got % 3 == 0 ? 2048 : 5000;
		int n = src->read_xt(src, out + got, (int) MIN((gsize) want, max - got));

		if (n < 0)
			return -1;
		if (n == 0 || got + (gsize) n == max)
			return (gssize) (got + (gsize) n);
		got += (gsize) n;
	}
}

static void
test_burner_source(void)
{
	g_autofree guint8 *data = test_pattern(3 * MiB + 1000, 13);
	g_autofree guint8 *out = g_malloc(4 * MiB);
	g_autoptr(GError) error = NULL;
	CbPipeSourceStatus st;
	CbPipeSource *ps = NULL;
	struct burn_source *src;
	Feeder *f;
	int fd = -1;

	test_guard();
	/* an odd size through a ring a third as large: wraps, stops at size */
	f = feeder_start(data, 3 * MiB + 1000, FALSE, NULL, 0, &fd);
	src = cb_pipe_source_new(fd, 3 * MiB + 1000, 1 * MiB, &ps, &error);
	g_assert_no_error(error);
	g_assert_true(cb_pipe_source_start(ps, &error));
	g_assert_true(cb_pipe_source_wait_prefill(ps, -1));
	cb_pipe_source_get_status(ps, &st);
	g_assert_cmpfloat(st.fill, ==, 1.0);
	g_assert_cmpuint(st.done, ==, 1 * MiB);
	g_assert_cmpint(source_drain(src, out, 4 * MiB), ==, 3 * MiB + 1000);
	g_assert_true(memcmp(out, data, 3 * MiB + 1000) == 0);
	g_assert_cmpint(src->read_xt(src, out, 2048), ==, 0);
	cb_pipe_source_get_status(ps, &st);
	g_assert_cmpuint(st.done, ==, 3 * MiB + 1000);
	g_assert_false(st.ended_short);
	g_assert_cmpint(st.read_errno, ==, 0);
	burn_source_free(src);
	/* the fd is still the caller's */
	g_assert_cmpint(fcntl(fd, F_GETFD), >=, 0);
	feeder_finish(f, fd);

	/* more in the pipe than the size: the rest stays there */
	f = feeder_start(data, 2 * MiB, FALSE, NULL, 0, &fd);
	src = cb_pipe_source_new(fd, 1 * MiB + 1, 4 * MiB, &ps, &error);
	g_assert_no_error(error);
	g_assert_true(cb_pipe_source_start(ps, &error));
	g_assert_true(cb_pipe_source_wait_prefill(ps, -1));
	g_assert_cmpint(source_drain(src, out, 4 * MiB), ==, 1 * MiB + 1);
	burn_source_free(src);
	g_assert_cmpint(read(fd, out, 1), ==, 1);
	g_assert_cmpuint(out[0], ==, data[1 * MiB + 1]);
	feeder_finish(f, fd);

	/* EOF before size: what came, then the end, and the verdict */
	f = feeder_start(data, 1 * MiB, FALSE, NULL, 0, &fd);
	src = cb_pipe_source_new(fd, 2 * MiB, 1 * MiB, &ps, &error);
	g_assert_no_error(error);
	g_assert_true(cb_pipe_source_start(ps, &error));
	g_assert_cmpint(source_drain(src, out, 4 * MiB), ==, 1 * MiB);
	g_assert_true(memcmp(out, data, 1 * MiB) == 0);
	cb_pipe_source_get_status(ps, &st);
	g_assert_true(st.ended_short);
	g_assert_cmpuint(st.done, ==, 1 * MiB);
	burn_source_free(src);
	feeder_finish(f, fd);
}

static gpointer
abort_thread(gpointer user_data)
{
	g_usleep(300 * 1000);
	cb_pipe_source_abort(user_data);
	return NULL;
}

/* a reader waiting for a stalled pipe fails at once on abort, and the
 * filler thread is joined promptly */
static void
test_burner_source_abort(void)
{
	g_autofree guint8 *data = test_pattern(64 * 1024, 14);
	g_autofree guint8 *out = g_malloc(1 * MiB);
	g_autoptr(GError) error = NULL;
	g_autoptr(GThread) aborter = NULL;
	CbPipeSourceStatus st;
	CbPipeSource *ps = NULL;
	struct burn_source *src;
	gint64 start;
	Feeder *f;
	int fd = -1;

	test_guard();
	f = feeder_start(data, 64 * 1024, TRUE, NULL, 0, &fd);
	src = cb_pipe_source_new(fd, 1 * MiB, 64 * 1024, &ps, &error);
	g_assert_no_error(error);
	g_assert_true(cb_pipe_source_start(ps, &error));
	g_assert_true(cb_pipe_source_wait_prefill(ps, -1));
	g_assert_cmpint(src->read_xt(src, out, 64 * 1024), ==, 64 * 1024);
	aborter = g_thread_new("abort", abort_thread, ps);
	g_assert_cmpint(src->read_xt(src, out, 2048), ==, -1);
	cb_pipe_source_get_status(ps, &st);
	g_assert_cmpuint(st.empty_count, ==, 1);
	g_thread_join(g_steal_pointer(&aborter));
	start = g_get_monotonic_time();
	burn_source_free(src);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
	feeder_finish(f, fd);
}

/* a pre-fill wait with a deadline says whether the buffer is full yet */
static void
test_burner_source_prefill(void)
{
	g_autofree guint8 *data = test_pattern(2 * MiB, 16);
	g_autoptr(GCancellable) gate = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	CbPipeSourceStatus st;
	CbPipeSource *ps = NULL;
	struct burn_source *src;
	gint64 start;
	Feeder *f;
	int fd = -1;

	test_guard();
	f = feeder_start(data, 2 * MiB, FALSE, gate, 256 * 1024, &fd);
	src = cb_pipe_source_new(fd, 2 * MiB, 1 * MiB, &ps, &error);
	g_assert_no_error(error);
	g_assert_true(cb_pipe_source_start(ps, &error));
	start = g_get_monotonic_time();
	g_assert_false(cb_pipe_source_wait_prefill(ps, 100 * 1000));
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 100 * 1000);
	cb_pipe_source_get_status(ps, &st);
	g_assert_cmpfloat(st.fill, ==, 0.25);
	g_cancellable_cancel(gate);
	g_assert_true(cb_pipe_source_wait_prefill(ps, -1));
	cb_pipe_source_get_status(ps, &st);
	g_assert_cmpfloat(st.fill, ==, 1.0);
	/* and once full, at once */
	g_assert_true(cb_pipe_source_wait_prefill(ps, 0));
	burn_source_free(src);
	feeder_finish(f, fd);
}

/* what the write reports while the feeder holds back in the pre-fill */
typedef struct {
	const gchar *path;
	GCancellable *gate;
	guint held_reports;	 /* reports while the gate was closed */
	gdouble held_fill;	 /* the fill then */
	guint64 held_file_size;	 /* the largest size of the drive's file then */
	guint64 held_bytes_done; /* the largest bytes_done then */
	gdouble fill_before_write;
	guint64 last_done;
} PrefillProgress;

static void
prefill_progress_cb(const CbBurnStatus *status, gpointer user_data)
{
	PrefillProgress *p = user_data;
	struct stat st;

	p->last_done = status->bytes_done;
	if (status->bytes_done == 0)
		p->fill_before_write = MAX(p->fill_before_write, status->fifo_fill);
	if (g_cancellable_is_cancelled(p->gate))
		return;
	p->held_reports++;
	p->held_fill = status->fifo_fill;
	p->held_bytes_done = MAX(p->held_bytes_done, status->bytes_done);
	if (stat(p->path, &st) == 0)
		p->held_file_size = MAX(p->held_file_size, (guint64) st.st_size);
	/* about a quarter of a second of reports, then the rest of the data */
	if (p->held_reports == 5)
		g_cancellable_cancel(p->gate);
}

/*
 * The drive starts only on a full buffer: while the pipe has delivered
 * 3 of 4 MiB nothing reaches the drive's file, and the write starts once
 * the buffer reported full. The fill is reported meanwhile.
 */
static void
test_burner_prefill_before_write(void)
{
	g_autofree gchar *device = test_device("prefill.img");
	g_autofree guint8 *data = test_pattern(8 * MiB, 17);
	g_autoptr(GCancellable) gate = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	CbBurnOptions options = { .fifo_bytes = 4 * MiB };
	PrefillProgress progress = { .path = device + strlen("stdio:"), .gate = gate };
	CbBurn *burn;
	Feeder *f;
	int fd = -1;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	f = feeder_start(data, 8 * MiB, FALSE, gate, 3 * MiB, &fd);
	g_assert_true(cb_burn_write(burn, fd, 8 * MiB, &options, prefill_progress_cb, &progress,
				    NULL, &error));
	g_assert_no_error(error);
	feeder_finish(f, fd);
	cb_burn_close(burn, FALSE);

	g_assert_cmpuint(progress.held_reports, ==, 5);
	g_assert_cmpfloat(progress.held_fill, ==, 0.75);
	g_assert_cmpuint(progress.held_bytes_done, ==, 0);
	g_assert_cmpuint(progress.held_file_size, ==, 0);
	g_assert_cmpfloat(progress.fill_before_write, ==, 1.0);
	g_assert_cmpuint(progress.last_done, ==, 8 * MiB);
	assert_file_is_image(device, data, 8 * MiB);
}

static void
test_burner_write_pattern(void)
{
	g_autofree gchar *device = test_device("pattern.img");
	g_autofree guint8 *data = test_pattern(8 * MiB, 1);
	g_autoptr(GError) error = NULL;
	Progress progress = { 0 };
	CbBurn *burn;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(burn_data(burn, data, 8 * MiB, 8 * MiB, NULL, &progress, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);

	assert_file_is_image(device, data, 8 * MiB);
	g_assert_cmpuint(progress.calls, >, 0);
	g_assert_false(progress.went_backwards);
	g_assert_cmpuint(progress.last_done, ==, 8 * MiB);
	g_assert_true(progress.saw_fixating);
	/* the pre-fill took the whole image: the drive never waited */
	g_assert_cmpuint(progress.max_empty, ==, 0);
	/* libburn's TAO on a file, reported as what it is; libburn 1.5.4
	 * announces underrun protection for a stdio drive (a file never
	 * runs dry) */
	g_assert_cmpstr(progress.write_mode, ==, "stdio");
	g_assert_true(progress.underrun_proof);
}

static void
test_burner_query(void)
{
	g_autofree gchar *device = test_device("query.img");
	g_autoptr(GError) error = NULL;
	g_autoptr(CbMediaInfo) info = NULL;
	g_autoptr(CbMediaInfo) real = NULL;

	test_guard();
	/* an absent file, and (below) an empty one: both are blank discs */
	info = cb_burner_query(device, 100 * MiB, &error);
	g_assert_no_error(error);
	g_assert_true(info->present);
	g_assert_cmpstr(info->media, ==, "file");
	g_assert_cmpstr(info->status, ==, "blank");
	g_assert_cmpuint(info->capacity, ==, 100 * MiB);
	g_assert_cmpuint(info->free_bytes, ==, 100 * MiB);
	g_assert_false(info->erasable);
	g_assert_nonnull(info->write_speeds);
	g_assert_nonnull(info->vendor);
	g_assert_nonnull(info->model);

	g_assert_true(g_file_set_contents(device + strlen("stdio:"), "", 0, NULL));
	real = cb_burner_query(device, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(real->status, ==, "blank");
	/* without emulation: the free space of the file system */
	g_assert_cmpuint(real->capacity, >, 0);
	g_assert_cmpuint(real->free_bytes, ==, real->capacity);
}

static void
test_burner_too_small(void)
{
	g_autofree gchar *device = test_device("small.img");
	const gchar *path = device + strlen("stdio:");
	g_autofree guint8 *data = test_pattern(8 * MiB + 1, 2);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	CbBurn *burn;

	test_guard();
	g_assert_true(g_file_set_contents(path, "old", 3, NULL));
	burn = cb_burn_open(device, 1 * MiB, &error);
	g_assert_no_error(error);
	g_assert_false(burn_data(burn, data, 8 * MiB, 8 * MiB, NULL, NULL, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL);
	g_assert_nonnull(strstr(error->message, "needs 8389 kB"));
	g_assert_nonnull(strstr(error->message, "holds 1048 kB"));
	cb_burn_close(burn, FALSE);
	/* refused before anything was written */
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "old");
	g_clear_error(&error);

	/* the emulated capacity is exact: one byte more than 8 MiB needs one
	 * more sector */
	burn = cb_burn_open(device, 8 * MiB, &error);
	g_assert_no_error(error);
	g_assert_false(burn_data(burn, data, 8 * MiB + 1, 8 * MiB + 1, NULL, NULL, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL);
	g_clear_error(&error);
	g_assert_true(burn_data(burn, data, 8 * MiB, 8 * MiB, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);
	assert_file_is_image(device, data, 8 * MiB);
}

static void
test_burner_rewrite(void)
{
	g_autofree gchar *device = test_device("rewrite.img");
	g_autofree guint8 *first = test_pattern(8 * MiB, 3);
	g_autofree guint8 *second = test_pattern(3 * MiB + 1000, 4);
	g_autoptr(GError) error = NULL;
	g_autoptr(CbMediaInfo) info = NULL;
	CbBurn *burn;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(burn_data(burn, first, 8 * MiB, 8 * MiB, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);
	assert_file_is_image(device, first, 8 * MiB);

	/* a file holding an image is still a blank disc to libburn */
	info = cb_burner_query(device, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(info->status, ==, "blank");

	/* a second, shorter, odd-sized burn replaces the first entirely */
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(
	    burn_data(burn, second, 3 * MiB + 1000, 3 * MiB + 1000, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);
	assert_file_is_image(device, second, 3 * MiB + 1000);
}

static void
test_burner_cancel(void)
{
	g_autofree gchar *device = test_device("cancel.img");
	g_autofree guint8 *data = test_pattern(8 * MiB, 5);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	/* a slow drive, so that the cancel lands mid-write */
	CbBurnOptions options = { .speed_kbs = 2000, .fifo_bytes = 1 * MiB };
	Progress progress = { .cancel = cancellable, .cancel_after = 1 * MiB };
	CbBurn *burn;

	Feeder *f;
	int fd = -1;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	/* the last MiB arrives only after the cancel: however slow this
	 * thread is scheduled, the cancel lands in the middle of the track */
	f = feeder_start(data, 8 * MiB, FALSE, cancellable, 7 * MiB, &fd);
	g_assert_false(cb_burn_write(burn, fd, 8 * MiB, &options, progress_cb, &progress,
				     cancellable, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_assert_cmpuint(progress.last_done, >=, 1 * MiB);
	g_assert_cmpuint(progress.last_done, <, 8 * MiB);
	g_clear_error(&error);
	feeder_finish(f, fd);
	cb_burn_close(burn, FALSE);

	/* the drive is free again and burns */
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(burn_data(burn, data, 2 * MiB, 2 * MiB, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);
	assert_file_is_image(device, data, 2 * MiB);
}

/*
 * A burn cancelled while libburn's writer throttles a stdio drive (libburn
 * 1.5.4 writes 16 MiB, then sleeps to match the speed), and at once the
 * next burn on the same drive, reopened as for the daemon's next job.
 */
static void
test_burner_cancel_then_burn(void)
{
	g_autofree gchar *device = test_device("again.img");
	g_autofree guint8 *data = test_pattern(24 * MiB, 15);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	CbBurnOptions slow = { .speed_kbs = 16000 };
	Progress progress = { .cancel = cancellable, .cancel_after = 16 * MiB };
	CbBurn *burn;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_false(
	    burn_data(burn, data, 24 * MiB, 24 * MiB, &slow, &progress, cancellable, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_clear_error(&error);
	cb_burn_close(burn, FALSE);

	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(burn_data(burn, data, 4 * MiB, 4 * MiB, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);
	assert_file_is_image(device, data, 4 * MiB);
}

static gpointer
cancel_thread(gpointer user_data)
{
	g_usleep(500 * 1000);
	g_cancellable_cancel(user_data);
	return NULL;
}

/* the pipe's writer neither writes nor closes: cancelling still returns */
static void
test_burner_cancel_stalled(void)
{
	g_autofree gchar *device = test_device("stalled.img");
	g_autofree guint8 *data = test_pattern(1 * MiB, 6);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GThread) canceller = NULL;
	CbBurnOptions options = { .fifo_bytes = 4 * MiB };
	CbBurn *burn;
	Feeder *f;
	int fd = -1;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);

	/* stalls during the pre-fill */
	f = feeder_start(data, 1 * MiB, TRUE, NULL, 0, &fd);
	canceller = g_thread_new("cancel", cancel_thread, cancellable);
	g_assert_false(cb_burn_write(burn, fd, 8 * MiB, &options, NULL, NULL, cancellable, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_clear_error(&error);
	g_thread_join(g_steal_pointer(&canceller));
	feeder_finish(f, fd);

	/* stalls while writing: the pre-fill got all the fifo holds */
	g_cancellable_reset(cancellable);
	options.fifo_bytes = 1 * MiB;
	f = feeder_start(data, 1 * MiB, TRUE, NULL, 0, &fd);
	canceller = g_thread_new("cancel", cancel_thread, cancellable);
	g_assert_false(cb_burn_write(burn, fd, 8 * MiB, &options, NULL, NULL, cancellable, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_thread_join(g_steal_pointer(&canceller));
	feeder_finish(f, fd);
	cb_burn_close(burn, FALSE);
}

static gpointer
open_gate_thread(gpointer user_data)
{
	g_usleep(G_USEC_PER_SEC);
	g_cancellable_cancel(user_data);
	return NULL;
}

/* the pipe pauses for a second mid-image: the drive finds the buffer
 * empty, waits, and the image is still written whole */
static void
test_burner_pipe_pauses(void)
{
	g_autofree gchar *device = test_device("pauses.img");
	g_autofree guint8 *data = test_pattern(4 * MiB, 12);
	g_autoptr(GCancellable) gate = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GThread) opener = NULL;
	CbBurnOptions options = { .fifo_bytes = 1 * MiB };
	Progress progress = { 0 };
	CbBurn *burn;
	Feeder *f;
	int fd = -1;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	f = feeder_start(data, 4 * MiB, FALSE, gate, 2 * MiB, &fd);
	opener = g_thread_new("gate", open_gate_thread, gate);
	g_assert_true(
	    cb_burn_write(burn, fd, 4 * MiB, &options, progress_cb, &progress, NULL, &error));
	g_assert_no_error(error);
	g_thread_join(g_steal_pointer(&opener));
	feeder_finish(f, fd);
	cb_burn_close(burn, FALSE);
	assert_file_is_image(device, data, 4 * MiB);
	g_assert_cmpuint(progress.max_empty, >=, 1);
}

typedef struct {
	gchar *device;
	guint8 *data;
	gsize size;
	gboolean ok;
	gchar *error;
	Progress progress;
	gint64 finished;
} Parallel;

static gpointer
parallel_burn(gpointer user_data)
{
	Parallel *p = user_data;
	g_autoptr(GError) error = NULL;
	/* ~2 s per burn, long enough to see them overlap */
	CbBurnOptions options = { .speed_kbs = 8000 };
	CbBurn *burn = cb_burn_open(p->device, 0, &error);

	if (burn != NULL) {
		p->ok = burn_data(burn, p->data, p->size, p->size, &options, &p->progress, NULL,
				  &error);
		p->finished = g_get_monotonic_time();
		cb_burn_close(burn, FALSE);
	}
	if (error != NULL)
		p->error = g_strdup(error->message);
	return NULL;
}

static void
test_burner_parallel(void)
{
	Parallel p[2] = { 0 };
	GThread *threads[2];

	test_guard();
	for (guint i = 0; i < G_N_ELEMENTS(p); i++) {
		g_autofree gchar *name = g_strdup_printf("parallel-%u.img", i);
		p[i].device = test_device(name);
		p[i].size = 16 * MiB;
		p[i].data = test_pattern(p[i].size, 10 + i);
	}
	for (guint i = 0; i < G_N_ELEMENTS(p); i++)
		threads[i] = g_thread_new("burner", parallel_burn, &p[i]);
	for (guint i = 0; i < G_N_ELEMENTS(p); i++) {
		g_thread_join(threads[i]);
		g_assert_cmpstr(p[i].error, ==, NULL);
		g_assert_true(p[i].ok);
		assert_file_is_image(p[i].device, p[i].data, p[i].size);
		g_assert_cmpint(p[i].progress.first_write, >, 0);
	}
	/* each drive wrote while the other one was writing too */
	g_assert_cmpint(p[0].progress.first_write, <, p[1].finished);
	g_assert_cmpint(p[1].progress.first_write, <, p[0].finished);
	for (guint i = 0; i < G_N_ELEMENTS(p); i++) {
		g_free(p[i].device);
		g_free(p[i].data);
	}
}

static void
test_burner_writer_dies(void)
{
	g_autofree gchar *device = test_device("dies.img");
	g_autofree guint8 *data = test_pattern(8 * MiB, 7);
	g_autoptr(GError) error = NULL;
	CbBurnOptions small_fifo = { .fifo_bytes = 1 * MiB };
	CbBurn *burn;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);

	/* during the pre-fill: nothing is written */
	g_assert_false(burn_data(burn, data, 1 * MiB, 8 * MiB, NULL, NULL, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "1048576 of 8388608"));
	g_assert_false(g_file_test(device + strlen("stdio:"), G_FILE_TEST_EXISTS));
	g_clear_error(&error);

	/* while writing: libburn would pad with zeros, we fail */
	g_assert_false(burn_data(burn, data, 4 * MiB, 8 * MiB, &small_fifo, NULL, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "4194304 of 8388608"));
	g_clear_error(&error);
	cb_burn_close(burn, FALSE);
}

static void
test_burner_simulate(void)
{
	g_autofree gchar *device = test_device("simulate.img");
	const gchar *path = device + strlen("stdio:");
	g_autofree guint8 *data = test_pattern(2 * MiB, 8);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	CbBurnOptions options = { .simulate = TRUE };
	Progress progress = { 0 };
	CbBurn *burn;

	test_guard();
	g_assert_true(g_file_set_contents(path, "old", 3, NULL));
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(burn_data(burn, data, 2 * MiB, 2 * MiB, &options, &progress, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);
	g_assert_cmpuint(progress.last_done, ==, 2 * MiB);
	/* libburn simulates on every stdio drive */
	g_assert_cmpstr(progress.write_mode, ==, "stdio");
	/* everything ran, nothing was written */
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "old");
}

/* --- reading back --- */

typedef struct {
	guint64 last_done;
	gboolean all_verifying;
	GCancellable *cancel;
	guint64 cancel_after;
} VerifyProgress;

static void
verify_progress_cb(const CbBurnStatus *status, gpointer user_data)
{
	VerifyProgress *p = user_data;

	p->all_verifying &= status->phase == CB_BURN_PHASE_VERIFYING;
	g_assert_cmpuint(status->bytes_done, >, p->last_done);
	p->last_done = status->bytes_done;
	if (p->cancel != NULL && status->bytes_done >= p->cancel_after)
		g_cancellable_cancel(p->cancel);
}

/* grabs the drive again, as the daemon does after writing, and verifies */
static gboolean
verify_again(const gchar *device,
	     guint64 size,
	     const gchar *sha256,
	     CbBurnRecord *record,
	     VerifyProgress *progress,
	     GCancellable *cancellable,
	     GError **error)
{
	g_autoptr(GError) open_error = NULL;
	CbBurn *burn = cb_burn_open(device, 0, &open_error);
	gboolean ok;

	g_assert_no_error(open_error);
	ok = cb_burn_verify(burn, size, sha256, record, NULL, verify_progress_cb, progress,
			    cancellable, error);
	cb_burn_close(burn, FALSE);
	return ok;
}

static void
test_burner_verify(void)
{
	/* not a whole number of blocks: libburn pads the last one, and only
	 * the image's own bytes are read back and compared */
	const gsize size = 5 * MiB + 1000;
	g_autofree gchar *device = test_device("verify.img");
	g_autofree guint8 *data = test_pattern(size, 21);
	g_autofree gchar *sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, size);
	g_autoptr(CbBurnRecord) record = cb_burn_record_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	VerifyProgress progress = { .all_verifying = TRUE };
	CbBurn *burn;

	test_guard();
	/* fed in odd pieces, as the pipeline's header and chunks come */
	cb_burn_record_add(record, data, 16 * 1024 + 7);
	cb_burn_record_add(record, data + 16 * 1024 + 7, size - 16 * 1024 - 7);
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_true(burn_data(burn, data, size, size, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	cb_burn_close(burn, FALSE);

	g_assert_true(verify_again(device, size, sha256, record, &progress, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(progress.all_verifying);
	g_assert_cmpuint(progress.last_done, ==, size);

	/* a checksum that is not the data's, with a record that is */
	progress = (VerifyProgress){ .all_verifying = TRUE };
	g_assert_false(verify_again(device, size, "00", record, &progress, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, sha256));
	g_clear_error(&error);

	/* one byte flipped in block 1283, window 40 (blocks 1280 to 1311):
	 * the read-back stops there */
	g_assert_true(cb_burner_test_corrupt(device, 1283 * 2048 + 5, &error));
	g_assert_no_error(error);
	progress = (VerifyProgress){ .all_verifying = TRUE };
	g_assert_false(verify_again(device, size, sha256, record, &progress, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "blocks 1280 to 1311"));
	g_assert_cmpuint(progress.last_done, <, size);
	g_clear_error(&error);
	g_assert_true(cb_burner_test_corrupt(device, 1283 * 2048 + 5, &error));

	/* in the last, short window too */
	g_assert_true(cb_burner_test_corrupt(device, size - 1, &error));
	progress = (VerifyProgress){ .all_verifying = TRUE };
	g_assert_false(verify_again(device, size, sha256, record, &progress, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH);
	g_assert_nonnull(strstr(error->message, "blocks 2560 to 2560"));
	g_clear_error(&error);
	g_assert_true(cb_burner_test_corrupt(device, size - 1, &error));

	/* cancelled between two reads */
	progress = (VerifyProgress){ .all_verifying = TRUE,
				     .cancel = cancellable,
				     .cancel_after = 2 * MiB };
	g_assert_false(verify_again(device, size, sha256, record, &progress, cancellable, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_assert_cmpuint(progress.last_done, <, size);
	g_clear_error(&error);

	/* more than the disc holds: a read error naming the block */
	progress = (VerifyProgress){ .all_verifying = TRUE };
	g_assert_false(
	    verify_again(device, size + 3 * MiB, sha256, record, &progress, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "cannot read block"));
	g_clear_error(&error);

	/* the hook never touches anything but a test drive's file */
	g_assert_false(cb_burner_test_corrupt("/dev/sr0", 0, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
	g_clear_error(&error);
	g_assert_false(cb_burner_test_corrupt(device, size + 4096, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_FAILED);
}

static void
test_burner_busy(void)
{
	g_autofree gchar *device = test_device("busy.img");
	g_autoptr(GError) error = NULL;
	CbBurn *burn;
	CbBurn *again;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	again = cb_burn_open(device, 0, &error);
	g_assert_null(again);
	g_assert_error(error, CB_ERROR, CB_ERROR_BUSY);
	cb_burn_close(burn, FALSE);
}

static void
test_burner_blank_stdio(void)
{
	g_autofree gchar *device = test_device("blank.img");
	g_autoptr(GError) error = NULL;
	CbBurn *burn;

	test_guard();
	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	g_assert_false(cb_burn_blank(burn, CB_BLANK_FAST, NULL, NULL, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA);
	g_assert_nonnull(strstr(error->message, "test drive"));
	cb_burn_close(burn, FALSE);
}

static void
test_burner_no_drive(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbMediaInfo) info = NULL;

	test_guard();
	info = cb_burner_query("stdio:/nonexistent-cryptburn-dir/x.img", 0, &error);
	g_assert_null(info);
	g_assert_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE);
	g_clear_error(&error);
	info = cb_burner_query("/dev/sr-cryptburn-none", 0, &error);
	g_assert_null(info);
	g_assert_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE);
	g_clear_error(&error);
	info = cb_burner_query("relative.img", 0, &error);
	g_assert_null(info);
	g_assert_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE);
}

static void
udev_cb(CbUdevAction action, const CbUdevDrive *drive, gpointer user_data)
{
	guint *count = user_data;

	g_assert_true(g_str_has_prefix(drive->device, "/dev/"));
	g_assert_nonnull(drive->media);
	g_assert_nonnull(drive->media_status);
	if (action == CB_UDEV_ADD)
		(*count)++;
}

/* with or without udev (in a container there is none): an answer, no crash */
static void
test_udev_monitor(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbUdevMonitor) monitor = NULL;
	guint count = 0;

	test_guard();
	monitor = cb_udev_monitor_new(udev_cb, &count, &error);
	if (monitor == NULL) {
		g_assert_nonnull(error);
		g_assert_cmpstr(error->message, !=, "");
		g_test_message("no udev monitor: %s", error->message);
		return;
	}
	g_assert_no_error(error);
	for (guint i = 0; i < 5; i++)
		g_main_context_iteration(NULL, FALSE);
	g_test_message("udev reports %u optical drives", count);
}

/* --- throughput, a benchmark run only with -m perf --- */

typedef struct {
	int fd;
	const guint8 *pattern; /* repeated until total */
	gsize period;
	guint64 total;
} Pump;

static gpointer
pump_run(gpointer user_data)
{
	Pump *p = user_data;
	guint64 off = 0;

	while (off < p->total) {
		gsize at = (gsize) (off % p->period);
		ssize_t n =
		    write(p->fd, p->pattern + at, (gsize) MIN(p->period - at, p->total - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (guint64) n;
	}
	close(p->fd);
	return NULL;
}

/* reads back what the pump wrote, as the daemon verifies a burn: from
 * the disk, as cb_burn_verify() drops a test drive's file from the page
 * cache first */
static void
test_burner_verify_throughput(const gchar *device, const Pump *pump, gdouble write_secs)
{
	g_autoptr(CbBurnRecord) record = cb_burn_record_new();
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GError) error = NULL;
	VerifyProgress progress = { .all_verifying = TRUE };
	gint64 start;
	gdouble secs;

	for (guint64 done = 0; done < pump->total; done += pump->period) {
		cb_burn_record_add(record, pump->pattern, pump->period);
		g_checksum_update(checksum, pump->pattern, pump->period);
	}
	start = g_get_monotonic_time();
	g_assert_true(verify_again(device, pump->total, g_checksum_get_string(checksum), record,
				   &progress, NULL, &error));
	g_assert_no_error(error);
	secs = (gdouble) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	g_test_message("read back and verified at %.0f MB/s (1 GiB in %.2f s), %.2fx the write",
		       (gdouble) pump->total / secs / 1e6, secs, write_secs / secs);
}

/*
 * 1 GiB from a pipe into a stdio drive with the default buffer, fed as the
 * daemon feeds it (a 1 MiB pipe, 1 MiB writes). CB_BURNER_BENCH_DIR picks
 * the file system (default /var/tmp); the file is removed afterwards.
 */
static void
test_burner_throughput(void)
{
	const gchar *dir = g_getenv("CB_BURNER_BENCH_DIR");
	g_autofree gchar *path = NULL;
	g_autofree gchar *device = NULL;
	g_autofree guint8 *pattern = test_pattern(1 * MiB, 9);
	g_autoptr(GError) error = NULL;
	g_autoptr(GThread) thread = NULL;
	Pump pump = { .pattern = pattern, .period = 1 * MiB, .total = 1024 * (guint64) MiB };
	GStatBuf st;
	CbBurn *burn;
	gint64 start;
	gdouble secs;
	int fds[2];

	if (!g_test_perf()) {
		g_test_skip("a benchmark: run with -m perf");
		return;
	}
	test_guard();
	path = g_build_filename(dir != NULL ? dir : "/var/tmp", "cb-burner-throughput.img", NULL);
	device = g_strconcat("stdio:", path, NULL);
	g_unlink(path);
	g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
	fcntl(fds[1], F_SETPIPE_SZ, 1 * MiB);
	pump.fd = fds[1];

	burn = cb_burn_open(device, 0, &error);
	g_assert_no_error(error);
	start = g_get_monotonic_time();
	thread = g_thread_new("pump", pump_run, &pump);
	g_assert_true(cb_burn_write(burn, fds[0], pump.total, NULL, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	secs = (gdouble) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	cb_burn_close(burn, FALSE);
	g_thread_join(g_steal_pointer(&thread));
	close(fds[0]);

	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpuint((guint64) st.st_size, ==, pump.total);
	g_test_message("%.0f MB/s (1 GiB in %.2f s into %s)", (gdouble) pump.total / secs / 1e6,
		       secs, path);
	test_burner_verify_throughput(device, &pump, secs);
	g_unlink(path);
	g_test_maximized_result((gdouble) pump.total / secs / 1e6, "%.0f MB/s",
				(gdouble) pump.total / secs / 1e6);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int ret;

	g_test_init(&argc, &argv, NULL);
	/* a pipe whose reader gave up must not kill the feeder */
	signal(SIGPIPE, SIG_IGN);
	if (!cb_burner_init(&error))
		g_error("%s", error->message);
	test_dir = g_dir_make_tmp("cb-burner-XXXXXX", NULL);

	g_test_add_func("/burner/source", test_burner_source);
	g_test_add_func("/burner/source-abort", test_burner_source_abort);
	g_test_add_func("/burner/source-prefill", test_burner_source_prefill);
	g_test_add_func("/burner/prefill-before-write", test_burner_prefill_before_write);
	g_test_add_func("/burner/write-pattern", test_burner_write_pattern);
	g_test_add_func("/burner/query", test_burner_query);
	g_test_add_func("/burner/too-small", test_burner_too_small);
	g_test_add_func("/burner/rewrite", test_burner_rewrite);
	g_test_add_func("/burner/cancel", test_burner_cancel);
	g_test_add_func("/burner/cancel-stalled", test_burner_cancel_stalled);
	g_test_add_func("/burner/pipe-pauses", test_burner_pipe_pauses);
	g_test_add_func("/burner/cancel-then-burn", test_burner_cancel_then_burn);
	g_test_add_func("/burner/parallel", test_burner_parallel);
	g_test_add_func("/burner/writer-dies", test_burner_writer_dies);
	g_test_add_func("/burner/simulate", test_burner_simulate);
	g_test_add_func("/burner/busy", test_burner_busy);
	g_test_add_func("/burner/verify", test_burner_verify);
	g_test_add_func("/burner/blank-stdio", test_burner_blank_stdio);
	g_test_add_func("/burner/no-drive", test_burner_no_drive);
	g_test_add_func("/burner/throughput", test_burner_throughput);
	g_test_add_func("/udev/monitor", test_udev_monitor);
	ret = g_test_run();
	alarm(0);

	cb_burner_shutdown();
	{
		g_autoptr(GDir) dir = g_dir_open(test_dir, 0, NULL);
		const gchar *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = test_path(name);
			g_unlink(path);
		}
	}
	g_rmdir(test_dir);
	g_free(test_dir);
	return ret;
}
