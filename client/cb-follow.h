/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-agent.h"
#include "cb-client.h"

G_BEGIN_DECLS

/*
 * Follows a Job of the service to its end: a progress line on a terminal,
 * JSON lines with --json, the exit status from its Completed signal.
 * Catches SIGINT, SIGTERM and SIGHUP from creation on, so that a job
 * being started can still be cancelled. Main thread only.
 */
typedef struct _CbFollow CbFollow;

typedef enum {
	CB_FOLLOW_NONE = 0,
	CB_FOLLOW_JSON = 1 << 0,  /* one JSON object per line on standard output */
	CB_FOLLOW_QUIET = 1 << 1, /* no progress line */
	/* the command started the job: the first signal cancels it and the
	 * second stops waiting; without it, a signal only stops watching */
	CB_FOLLOW_CANCEL_ON_SIGNAL = 1 << 2,
} CbFollowFlags;

/* agent may be NULL; both must outlive the follower */
CbFollow *
cb_follow_new(CbClient *client, CbAgent *agent, CbFollowFlags flags);
void
cb_follow_free(CbFollow *self);

/* runs the main loop until *done; FALSE when a signal said to leave */
gboolean
cb_follow_wait(CbFollow *self, const gboolean *done);
/* calls a method that starts a job and answers its path, "(o)", running
 * the main loop meanwhile so that polkit and the agent can ask on the
 * terminal. NULL with error when the service (or the bus) refused, then
 * *refused is TRUE, or when a signal said to stop waiting
 * (CB_ERROR_CANCELLED; the job may still have started) */
gchar *
cb_follow_start_job(CbFollow *self,
		    const gchar *object_path,
		    const gchar *interface,
		    const gchar *method,
		    GVariant *parameters,
		    GUnixFDList *fds,
		    gboolean *refused,
		    GError **error);
/* follows job_path to its end, reports the result, returns the exit status */
int
cb_follow_run(CbFollow *self, const gchar *job_path);
/* TRUE when the job ended and said it failed or was cancelled, as opposed
 * to an outcome this process did not see (it stopped waiting, the service
 * left): only then is the service known to be done with what the job was
 * given, e.g. a key file to write into */
gboolean
cb_follow_job_failed(CbFollow *self);
/* reports a failure before there was a job, returns the exit status */
int
cb_follow_fail(CbFollow *self, const GError *error);
/* the same before there was a follower, e.g. when the service is missing */
int
cb_follow_report_failure(CbFollowFlags flags, const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbFollow, cb_follow_free)

G_END_DECLS
