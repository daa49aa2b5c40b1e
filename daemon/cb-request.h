/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-drive.h"
#include "cb-options.h"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <sys/types.h>

G_BEGIN_DECLS

/*
 * A method call that needs authorization, parsed once into this struct
 * before anything is decided: who asks, which polkit actions the call
 * needs and, for the calls that start a job, its options. cb-authority
 * decides from this struct alone, and the handler then acts on the same
 * options (DESIGN 5: nothing is decided twice from the raw a{sv}).
 *
 * Main thread.
 */

#define CB_REQUEST_MAX_ACTIONS 2

typedef struct {
	GDBusMethodInvocation *invocation; /* owned; answered once */
	GUnixFDList *fds;		   /* the call's fds (cb-client-fds.c) */
	/* filled in by cb-authority before it decides */
	uid_t uid;
	/* NULL-terminated, static strings; empty: the caller's uid decides */
	const gchar *actions[CB_REQUEST_MAX_ACTIONS + 1];
	/* Job methods: the job's uid, whose callers need no action */
	gboolean has_owner;
	uid_t owner_uid;
	/* the calls that start a job */
	CbOperation operation;
	CbJobOptions *options;
	gchar **sources; /* BurnFiles, WriteImage */
	gint stream_fd;	 /* BurnImage: the image; WriteImage: the output; else -1 */
	CbDrive *drive;	 /* the drive the call names or was made on; a reference */
	gchar *job_path; /* Job methods */
} CbRequest;

/* a job-starting call (BurnFiles, BurnImage, WriteImage, Drive.Blank):
 * options parsed with the message's fds; a burn that may blank a used
 * disc (option blank) needs org.cryptburn.blank as well */
CbRequest *
cb_request_new_job(GDBusMethodInvocation *invocation,
		   CbOperation operation,
		   GVariant *options,
		   GError **error);
/* a call with one action and no options yet (Drive.Eject) */
CbRequest *
cb_request_new_action(GDBusMethodInvocation *invocation,
		      const gchar *action,
		      GVariant *options,
		      GError **error);
/* Job.Cancel and Job.GetError: the job's uid may, others need
 * cancel-job-other-user */
CbRequest *
cb_request_new_job_call(GDBusMethodInvocation *invocation,
			const gchar *job_path,
			uid_t owner_uid,
			GVariant *options,
			GError **error);
void
cb_request_free(CbRequest *self);

/* answers the call with error and frees the request */
void
cb_request_return_error(CbRequest *self, const GError *error);

/* the fds the call carried, for "h" arguments (maybe empty) */
GUnixFDList *
cb_request_get_fds(CbRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbRequest, cb_request_free)

G_END_DECLS
