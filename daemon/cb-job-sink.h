/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-burner.h"
#include "cb-job-private.h"
#include "cb-output.h"

#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

/*
 * Where a job's pipeline writes, on the pipeline's writer thread: a plain
 * fd (a pipe into the drive buffer, or the client's output); progress
 * counts here only when no drive reports it. A burn to be verified
 * records what goes into the pipe, which is exactly what the drive writes
 * (libburn only pads the last block), and a burn of several copies may
 * keep it in a spool file too.
 */
typedef struct {
	gint fd;
	/* the client's output: waits for it end on Cancel or a stall; NULL for
	 * our own pipe into the drive buffer, which the burn closes to stop us */
	const CbFdWait *wait;
	CbJob *count_for;
	CbBurnRecord *record;
	gint spool_fd; /* -1: none */
} CbJobSink;

static inline gboolean
cb_job_sink_write(CbJobSink *sink, const guint8 *buf, gsize len, GError **error)
{
	if (!cb_output_write_fd_waiting(sink->fd, _("the image"), buf, len, sink->wait, error))
		return FALSE;
	if (sink->spool_fd >= 0 &&
	    !cb_output_write_fd(sink->spool_fd, _("the spool file"), buf, len, error))
		return FALSE;
	if (sink->count_for != NULL)
		__atomic_add_fetch(&sink->count_for->bytes_done, (guint64) len, __ATOMIC_RELAXED);
	if (sink->record != NULL)
		cb_burn_record_add(sink->record, buf, len);
	return TRUE;
}

G_END_DECLS
