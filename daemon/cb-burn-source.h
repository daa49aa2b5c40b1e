/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libburn/libburn.h>

G_BEGIN_DECLS

/*
 * A libburn track source that reads exactly `size` bytes from a pipe, for
 * cb-burn-write.c. libburn reads it on its fifo thread; the writer looks at
 * the atomics below from its own thread once reading has stopped, and
 * aborts it from any thread.
 */

typedef struct {
	int fd; /* our dup, closed with the source */
	off_t size;
	gint64 done;	  /* bytes read, atomic */
	gint abort;	  /* set on cancel: reads fail at once, atomic */
	gint ended_short; /* EOF before size, atomic */
	gint read_errno;  /* read(2) failed, atomic */
} CbPipeSource;

/* reads from a dup of fd; *ps_out is the source's data, alive as long as
 * the source */
struct burn_source *
cb_pipe_source_new(int fd, guint64 size, CbPipeSource **ps_out, GError **error);
/* bytes read so far */
gint64
cb_pipe_source_get_done(CbPipeSource *ps);
/* makes every read fail at once, even one waiting for a stuck pipe */
void
cb_pipe_source_abort(CbPipeSource *ps);

G_END_DECLS
