/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The track source: exactly `size` bytes from a pipe, through a ring
 * buffer that a thread of ours fills and libburn's writer drains.
 *
 * Threads: the filler thread (cb_pipe_source_fill) is the only one that
 * reads the pipe. libburn calls read_xt and cancel on the drive's writer
 * thread, and free_data wherever the last reference goes (in practice the
 * job's worker thread, once the drive is idle). The other functions run on
 * any thread. Everything shared is under `lock`; the pipe is read and the
 * free part of the ring written without it.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - We do not use burn_fifo_source_new(). Its thread is in libburn's global
 *   list of worker threads and unlinks itself, unlocked, when its input
 *   ends, which is when the drive's writer thread ends and unlinks itself
 *   too (and burn_source_free() of the fifo unlinks it from our thread):
 *   two unlocked unlinks at once can leave a freed entry in the list. Our
 *   filler is not in that list; libburn runs no thread but the drive's
 *   writer (or erase) thread.
 * - libburn's fifo also sleeps 50 ms whenever its reader finds it empty or
 *   its filler finds it full: with a fast pipe and a fast drive,
 *   throughput was about one fifo per 50 ms (32 MiB: ~550 MB/s into
 *   tmpfs). Ours waits on condition variables, never a fixed time.
 * - burn_fd_source_new() closes its fd when freed, and its read() blocks
 *   without a way out when the pipe's writer stalls; we read a dup of the
 *   caller's fd with poll(2) and a timeout instead.
 * - The writer reads one sector (2048 bytes) per call and pads a short
 *   answer with zeros, so every read but the last must be answered in
 *   full; 0 or -1 ends the track. In SAO/DAO (CD, DVD-R) it pads a stream
 *   that ends early with zeros and reports success; only TAO (what it picks
 *   for stdio drives) notices. We count the bytes ourselves, for every
 *   write type.
 */

#include "cb-burn-source.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* how long a pipe read waits before looking at the abort flag */
#define CB_PIPE_SOURCE_POLL_MS 100
/* a full buffer is topped up once this much is free again, not after every
 * sector the writer takes */
#define CB_PIPE_SOURCE_REFILL (256 * 1024)

struct _CbPipeSource {
	int fd; /* our dup, closed with the source */
	guint64 size;
	GThread *filler;

	GMutex lock;
	GCond data_cond;  /* data arrived, the input ended, or abort */
	GCond space_cond; /* the writer made room, or abort */
	guint8 *ring;
	gsize capacity;
	gsize head;	   /* next byte for the writer */
	gsize fill;	   /* bytes in the ring from head on */
	guint64 done;	   /* bytes read from the pipe */
	guint64 delivered; /* bytes handed to libburn */
	gsize reader_want; /* a reader waits for this many bytes; 0: none waits */
	gsize filler_want; /* the filler waits for this much room; 0: it does not */
	gboolean ended;	   /* the filler stopped: size reached, EOF, error or abort */
	gboolean ended_short;
	gint read_errno;
	gboolean prefilled;
	guint empty_count;
	gint abort; /* also read without the lock by the filler, atomic */
};

/* lock held */
static void
cb_pipe_source_wake_reader(CbPipeSource *ps)
{
	if (ps->reader_want != 0 && (ps->fill >= ps->reader_want || ps->ended))
		g_cond_broadcast(&ps->data_cond);
}

/* poll(2) then read(2) into buf, so that an abort gets through even when
 * the pipe's writer neither writes nor closes; > 0 bytes, 0 EOF, -1 error
 * (errno in *err) or abort (*err 0) */
static gssize
cb_pipe_source_read_pipe(CbPipeSource *ps, guint8 *buf, gsize len, gint *err)
{
	*err = 0;
	while (!g_atomic_int_get(&ps->abort)) {
		struct pollfd pfd = { .fd = ps->fd, .events = POLLIN };
		ssize_t n;
		int ret = poll(&pfd, 1, CB_PIPE_SOURCE_POLL_MS);

		if (ret < 0 && errno != EINTR) {
			*err = errno;
			return -1;
		}
		if (ret <= 0)
			continue;
		n = read(ps->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN) {
			*err = errno;
			return -1;
		}
	}
	return -1;
}

/* the filler thread */
static gpointer
cb_pipe_source_fill(gpointer user_data)
{
	CbPipeSource *ps = user_data;

	g_mutex_lock(&ps->lock);
	while (!g_atomic_int_get(&ps->abort) && ps->done < ps->size) {
		guint64 left = ps->size - ps->done;
		gsize tail = (ps->head + ps->fill) % ps->capacity;
		gsize span = (gsize) MIN(MIN(ps->capacity - ps->fill, ps->capacity - tail), left);
		gssize n;
		gint err;

		if (ps->fill == ps->capacity) {
			ps->filler_want =
			    (gsize) MIN(MIN(CB_PIPE_SOURCE_REFILL, ps->capacity), left);
			while (ps->capacity - ps->fill < ps->filler_want &&
			       !g_atomic_int_get(&ps->abort))
				g_cond_wait(&ps->space_cond, &ps->lock);
			ps->filler_want = 0;
			continue;
		}
		/* ring[tail, tail + span) is free: the writer does not touch it */
		g_mutex_unlock(&ps->lock);
		n = cb_pipe_source_read_pipe(ps, ps->ring + tail, span, &err);
		g_mutex_lock(&ps->lock);
		if (n < 0) {
			ps->read_errno = err;
			break;
		}
		if (n == 0) {
			ps->ended_short = TRUE;
			break;
		}
		ps->fill += (gsize) n;
		ps->done += (guint64) n;
		cb_pipe_source_wake_reader(ps);
	}
	ps->ended = TRUE;
	g_cond_broadcast(&ps->data_cond);
	g_mutex_unlock(&ps->lock);
	return NULL;
}

/*
 * libburn's contract: deliver the full buffer, or EOF (0) / failure (-1)
 * now or at the next call. Runs on the drive's writer thread. Waits while
 * the buffer holds less than asked for and the input goes on.
 */
static int
cb_pipe_source_read(struct burn_source *src, unsigned char *buffer, int size)
{
	CbPipeSource *ps = src->data;
	gboolean waited = FALSE;
	gsize want;
	gsize first;
	gsize n;

	g_mutex_lock(&ps->lock);
	want = (gsize) MIN((guint64) MAX(size, 0), ps->size - ps->delivered);
	while (ps->fill < want && !ps->ended && !g_atomic_int_get(&ps->abort)) {
		if (ps->prefilled && !waited)
			ps->empty_count++;
		waited = TRUE;
		ps->reader_want = want;
		g_cond_wait(&ps->data_cond, &ps->lock);
	}
	ps->reader_want = 0;
	if (g_atomic_int_get(&ps->abort) || ps->read_errno != 0) {
		g_mutex_unlock(&ps->lock);
		return -1;
	}
	/* after an early EOF, what is left, then 0 */
	n = MIN(want, ps->fill);
	first = MIN(n, ps->capacity - ps->head);
	memcpy(buffer, ps->ring + ps->head, first);
	memcpy(buffer + first, ps->ring, n - first);
	ps->head = (ps->head + n) % ps->capacity;
	ps->fill -= n;
	ps->delivered += n;
	if (ps->filler_want != 0 && ps->capacity - ps->fill >= ps->filler_want)
		g_cond_signal(&ps->space_cond);
	g_mutex_unlock(&ps->lock);
	return (int) n;
}

static off_t
cb_pipe_source_get_size(struct burn_source *src)
{
	CbPipeSource *ps = src->data;
	return (off_t) ps->size;
}

/* the size is ours; libburn pads or truncates around it by itself */
static int
cb_pipe_source_set_size(struct burn_source *src, off_t size)
{
	return 1;
}

static void
cb_pipe_source_free_data(struct burn_source *src)
{
	CbPipeSource *ps = src->data;

	cb_pipe_source_stop(ps);
	if (ps->fd >= 0)
		close(ps->fd);
	g_free(ps->ring);
	g_mutex_clear(&ps->lock);
	g_cond_clear(&ps->data_cond);
	g_cond_clear(&ps->space_cond);
	g_free(ps);
}

/* libburn's cancel: the writer stopped reading */
static int
cb_pipe_source_cancel(struct burn_source *src)
{
	cb_pipe_source_abort(src->data);
	return 1;
}

/* libburn frees the struct with free(): it must come from malloc() */
struct burn_source *
cb_pipe_source_new(int fd, guint64 size, gsize buffer_bytes, CbPipeSource **ps_out, GError **error)
{
	struct burn_source *src;
	CbPipeSource *ps;
	guint8 *ring;
	int dupfd;

	g_return_val_if_fail(buffer_bytes > 0, NULL);

	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dupfd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot use the image stream: %s"),
			    g_strerror(errno));
		return NULL;
	}
	ring = g_try_malloc(buffer_bytes);
	src = calloc(1, sizeof(struct burn_source));
	if (ring == NULL || src == NULL) {
		close(dupfd);
		g_free(ring);
		free(src);
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("out of memory for a write buffer of %zu MiB"),
			    (size_t) (buffer_bytes / (1024 * 1024)));
		return NULL;
	}
	ps = g_new0(CbPipeSource, 1);
	ps->fd = dupfd;
	ps->size = size;
	ps->ring = ring;
	ps->capacity = buffer_bytes;
	g_mutex_init(&ps->lock);
	g_cond_init(&ps->data_cond);
	g_cond_init(&ps->space_cond);
	src->refcount = 1;
	src->read = NULL; /* version 1: read_xt and cancel */
	src->version = 1;
	src->read_xt = cb_pipe_source_read;
	src->cancel = cb_pipe_source_cancel;
	src->get_size = cb_pipe_source_get_size;
	src->set_size = cb_pipe_source_set_size;
	src->free_data = cb_pipe_source_free_data;
	src->data = ps;
	*ps_out = ps;
	return src;
}

gboolean
cb_pipe_source_start(CbPipeSource *ps, GError **error)
{
	g_autoptr(GError) thread_error = NULL;
	GThread *thread;

	g_return_val_if_fail(ps->filler == NULL, FALSE);

	thread = g_thread_try_new("cb-burn-fill", cb_pipe_source_fill, ps, &thread_error);
	if (thread == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot start reading the image: %s"), thread_error->message);
		return FALSE;
	}
	g_mutex_lock(&ps->lock);
	ps->filler = thread;
	g_mutex_unlock(&ps->lock);
	return TRUE;
}

gboolean
cb_pipe_source_wait_prefill(CbPipeSource *ps, gint64 timeout_usec)
{
	gint64 end_time = g_get_monotonic_time() + timeout_usec;
	gboolean timed_out = FALSE;
	gboolean done;

	g_mutex_lock(&ps->lock);
	while (ps->fill < ps->capacity && !ps->ended && !g_atomic_int_get(&ps->abort) &&
	       !timed_out) {
		ps->reader_want = ps->capacity;
		if (timeout_usec < 0)
			g_cond_wait(&ps->data_cond, &ps->lock);
		else
			timed_out = !g_cond_wait_until(&ps->data_cond, &ps->lock, end_time);
	}
	ps->reader_want = 0;
	/* a wake-up and the deadline at once: the buffer decides */
	done = ps->fill >= ps->capacity || ps->ended || g_atomic_int_get(&ps->abort);
	ps->prefilled |= done;
	g_mutex_unlock(&ps->lock);
	return done;
}

void
cb_pipe_source_get_status(CbPipeSource *ps, CbPipeSourceStatus *status)
{
	g_mutex_lock(&ps->lock);
	status->done = ps->done;
	status->fill = (gdouble) ps->fill / (gdouble) ps->capacity;
	status->empty_count = ps->empty_count;
	status->ended_short = ps->ended_short;
	status->read_errno = ps->read_errno;
	g_mutex_unlock(&ps->lock);
}

void
cb_pipe_source_abort(CbPipeSource *ps)
{
	g_mutex_lock(&ps->lock);
	g_atomic_int_set(&ps->abort, TRUE);
	g_cond_broadcast(&ps->data_cond);
	g_cond_broadcast(&ps->space_cond);
	g_mutex_unlock(&ps->lock);
}

void
cb_pipe_source_stop(CbPipeSource *ps)
{
	GThread *thread;

	cb_pipe_source_abort(ps);
	g_mutex_lock(&ps->lock);
	thread = g_steal_pointer(&ps->filler);
	g_mutex_unlock(&ps->lock);
	/* at most one poll timeout: the filler looks at the abort flag */
	if (thread != NULL)
		g_thread_join(thread);
}
