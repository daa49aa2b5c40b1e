/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The track source: exactly `size` bytes from a pipe.
 *
 * Threads: cb_pipe_source_new() runs on a job's worker thread. libburn
 * calls the burn_source callbacks on its own threads (read on the fifo
 * thread) or wherever the fifo is freed. cb_pipe_source_abort() and
 * cb_pipe_source_get_done() run on any thread, hence the atomics.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - burn_fd_source_new() closes its fd when freed, and its read() blocks in
 *   the fifo thread, which burn_source_free() of the fifo joins: a stalled
 *   pipe writer would hang the job. We use our own burn_source instead.
 * - In SAO/DAO (CD, DVD-R) libburn pads a stream that ends early with
 *   zeros and reports success; only TAO (what it picks for stdio drives)
 *   notices. We count the bytes ourselves, for every write type.
 */

#include "cb-burn-source.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

/* how long a pipe read waits before looking at the abort flag */
#define CB_BURN_PIPE_POLL_MS 100

gint64
cb_pipe_source_get_done(CbPipeSource *ps)
{
	return __atomic_load_n(&ps->done, __ATOMIC_SEQ_CST);
}

void
cb_pipe_source_abort(CbPipeSource *ps)
{
	g_atomic_int_set(&ps->abort, TRUE);
}

/*
 * libburn's contract: deliver the full buffer, or EOF (0) / failure (-1)
 * now or at the next call. Runs on the fifo thread. The poll() timeout lets
 * an abort through even when the pipe's writer neither writes nor closes.
 */
static int
cb_pipe_source_read(struct burn_source *src, unsigned char *buffer, int size)
{
	CbPipeSource *ps = src->data;
	int got = 0;

	while (got < size) {
		gint64 left = ps->size - cb_pipe_source_get_done(ps);
		struct pollfd pfd = { .fd = ps->fd, .events = POLLIN };
		ssize_t n;
		int ret;

		if (left <= 0)
			break;
		if (g_atomic_int_get(&ps->abort))
			return -1;
		ret = poll(&pfd, 1, CB_BURN_PIPE_POLL_MS);
		if (ret < 0 && errno != EINTR) {
			g_atomic_int_set(&ps->read_errno, errno);
			return -1;
		}
		if (ret <= 0)
			continue;
		n = read(ps->fd, buffer + got, (size_t) MIN((gint64) (size - got), left));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			g_atomic_int_set(&ps->read_errno, errno);
			return -1;
		}
		if (n == 0) {
			g_atomic_int_set(&ps->ended_short, TRUE);
			break;
		}
		got += (int) n;
		__atomic_add_fetch(&ps->done, (gint64) n, __ATOMIC_SEQ_CST);
	}
	return got;
}

static off_t
cb_pipe_source_get_size(struct burn_source *src)
{
	CbPipeSource *ps = src->data;
	return ps->size;
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

	if (ps->fd >= 0)
		close(ps->fd);
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
cb_pipe_source_new(int fd, guint64 size, CbPipeSource **ps_out, GError **error)
{
	struct burn_source *src;
	CbPipeSource *ps;
	int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (dupfd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot use the image stream: %s"),
			    g_strerror(errno));
		return NULL;
	}
	src = calloc(1, sizeof(struct burn_source));
	if (src == NULL) {
		close(dupfd);
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED, _("out of memory"));
		return NULL;
	}
	ps = g_new0(CbPipeSource, 1);
	ps->fd = dupfd;
	ps->size = (off_t) size;
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
