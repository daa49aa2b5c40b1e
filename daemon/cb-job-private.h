/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-job.h"

G_BEGIN_DECLS

/* shared by cb-job.c (object, state, progress) and cb-job-work.c (what
 * the worker does); the worker touches only the atomics below */

typedef enum {
	CB_JOB_STATE_QUEUED,
	CB_JOB_STATE_WAITING_FOR_PASSPHRASE,
	CB_JOB_STATE_WAITING_FOR_MEDIA,
	CB_JOB_STATE_RUNNING,
	CB_JOB_STATE_SUCCEEDED,
	CB_JOB_STATE_FAILED,
	CB_JOB_STATE_CANCELLED,
} CbJobState;

typedef enum {
	CB_JOB_PHASE_PREPARING,
	CB_JOB_PHASE_BLANKING,
	CB_JOB_PHASE_WRITING,
	CB_JOB_PHASE_FIXATING,
	CB_JOB_PHASE_VERIFYING,
} CbJobPhase;

struct _CbJob {
	guint id;
	gchar *path;
	CbJobSpec spec;
	CbDBusObjectSkeleton *object;
	CbDBusJob *iface;
	GCancellable *cancellable;
	GThread *thread;
	CbJobDoneFunc done;
	gpointer done_data;
	guint tick_id;
	guint finish_id; /* the worker's "I am done", queued on the main loop */
	gboolean finished;
	/* rate over the last seconds, main thread */
	gint64 rate_time;
	guint64 rate_bytes;
	gdouble rate;

	/* written by the worker, read by the main thread: atomics */
	gint state; /* CbJobState */
	gint phase; /* CbJobPhase */
	guint64 bytes_done;
	guint64 bytes_total;
	guint fifo_permille;
	guint fifo_empty_count;
	gpointer write_mode; /* a static string of cb-burn-strategy.c, or NULL */
	gint underrun_proof;
	gint cancelable;
	guint copy;	     /* the disc being written, from 1 */
	guint tags_verified; /* MD5 tags of the last disc's read-back */
	/* what a job waiting for media needs, for a person; under message_lock */
	GMutex message_lock;
	gchar *message;

	/* set by the worker before it ends, read after */
	GError *error;
	gchar *checksum;
};

/* the work itself, on the worker thread */
gboolean
cb_job_work(CbJob *self, GError **error);

static inline void
cb_job_set_state(CbJob *self, CbJobState state)
{
	g_atomic_int_set(&self->state, state);
}

static inline void
cb_job_set_phase(CbJob *self, CbJobPhase phase)
{
	g_atomic_int_set(&self->phase, phase);
}

/* worker: State waiting-for-media with what is needed, or running again
 * (message NULL) */
void
cb_job_set_waiting_for_media(CbJob *self, const gchar *message);

static inline void
cb_job_set_bytes(CbJob *self, guint64 done, guint64 total)
{
	__atomic_store_n(&self->bytes_done, done, __ATOMIC_RELAXED);
	__atomic_store_n(&self->bytes_total, total, __ATOMIC_RELAXED);
}

G_END_DECLS
