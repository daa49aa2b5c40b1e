/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"
#include "cb-drive.h"
#include "cb-options.h"

#include <sys/types.h>

G_BEGIN_DECLS

/*
 * A job: an exported Job object whose work runs on a worker thread of its
 * own. The worker publishes progress through atomics; a main-thread timer
 * turns them into property changes a few times a second (never one per
 * sector). The job belongs to a uid, not to the connection that started
 * it: a burn goes on when its client disconnects.
 *
 * All functions here run on the main thread.
 */

typedef struct _CbJob CbJob;

/* daemon-wide settings a job needs */
typedef struct {
	gchar *reader_path;
	guint agent_timeout_ms;
	gsize fifo_bytes;
	gint64 test_corrupt_offset; /* a test hook; -1: none (cryptburnd.c) */
} CbJobConfig;

/* everything a job is made of; cb_job_new takes it over */
typedef struct {
	CbOperation operation;
	CbJobOptions *options;
	gchar **sources;
	gint stream_fd; /* BurnImage: the plain image; WriteImage: the output; else -1 */
	CbDrive *drive; /* NULL for WriteImage */
	uid_t uid;
	gchar *peer; /* unique bus name of the submitting connection */
	GDBusConnection *bus;
	const CbJobConfig *config;
} CbJobSpec;

/* frees what a spec holds (one that never became a job) */
void
cb_job_spec_clear(CbJobSpec *spec);

typedef void (*CbJobDoneFunc)(CbJob *job, gpointer user_data);

CbJob *
cb_job_new(guint id, CbJobSpec *spec);
void
cb_job_free(CbJob *self);

const gchar *
cb_job_get_path(CbJob *self);
GDBusObjectSkeleton *
cb_job_get_object(CbJob *self);
uid_t
cb_job_get_uid(CbJob *self);
CbDrive *
cb_job_get_drive(CbJob *self);
gboolean
cb_job_is_finished(CbJob *self);

/* starts the worker; done is called on the main thread when it ended,
 * after the Completed signal */
void
cb_job_start(CbJob *self, CbJobDoneFunc done, gpointer user_data);
/* stops the work at any phase; the drive is released by the worker */
void
cb_job_cancel(CbJob *self);
/* Job.Cancel, authorized: cancels and answers the call, whose reference
 * it takes */
void
cb_job_answer_cancel(CbJob *self, GDBusMethodInvocation *invocation);
/* Job.GetError, authorized: answers with the job's error, if it failed */
void
cb_job_answer_get_error(CbJob *self, GDBusMethodInvocation *invocation);
/* waits for the worker (daemon shutdown) */
void
cb_job_join(CbJob *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbJob, cb_job_free)

G_END_DECLS
