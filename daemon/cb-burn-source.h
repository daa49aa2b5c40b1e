/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libburn/libburn.h>

G_BEGIN_DECLS

/*
 * A buffered libburn track source that reads exactly `size` bytes from a
 * pipe, for cb-burn-write.c: a thread of ours fills a ring buffer from the
 * pipe, libburn's writer thread drains it. Every function here runs on any
 * thread (see the top of cb-burn-source.c).
 */

typedef struct _CbPipeSource CbPipeSource;

typedef struct {
	guint64 done;	      /* bytes read from the pipe */
	gdouble fill;	      /* buffered bytes / buffer size, 0..1 */
	guint empty_count;    /* times the writer waited for the pipe after the pre-fill */
	gboolean ended_short; /* EOF before size */
	gint read_errno;      /* reading the pipe failed */
} CbPipeSourceStatus;

/* buffers buffer_bytes of a dup of fd; *ps_out is the source's data, alive
 * as long as the source. Nothing reads the pipe before
 * cb_pipe_source_start(). */
struct burn_source *
cb_pipe_source_new(int fd, guint64 size, gsize buffer_bytes, CbPipeSource **ps_out, GError **error);
/* starts the thread that fills the buffer */
gboolean
cb_pipe_source_start(CbPipeSource *ps, GError **error);
/* waits until the buffer is full, the input ended or the source was
 * aborted, for at most timeout_usec (< 0: as long as it takes); returns
 * whether it ended. The writer's waits count as empty buffers from then
 * on. */
gboolean
cb_pipe_source_wait_prefill(CbPipeSource *ps, gint64 timeout_usec);
void
cb_pipe_source_get_status(CbPipeSource *ps, CbPipeSourceStatus *status);
/* makes every read fail at once, stops filling, ends every wait */
void
cb_pipe_source_abort(CbPipeSource *ps);
/* aborts and joins the filling thread; freeing the source does it too */
void
cb_pipe_source_stop(CbPipeSource *ps);

G_END_DECLS
