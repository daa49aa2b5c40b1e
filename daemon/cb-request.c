/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread */
#include "cb-request.h"

#include "cb-client-fds.h"
#include "cb-error.h"

#include <gio/gunixfdlist.h>
#include <glib/gi18n-lib.h>

static CbRequest *
cb_request_new(GDBusMethodInvocation *invocation)
{
	CbRequest *self = g_new0(CbRequest, 1);

	/* a handler that returns HANDLED owns the invocation: it moves here */
	self->invocation = invocation;
	self->uid = (uid_t) -1;
	self->stream_fd = -1;
	self->fds = cb_client_fds_claim(invocation);
	return self;
}

GUnixFDList *
cb_request_get_fds(CbRequest *self)
{
	return self->fds;
}

CbRequest *
cb_request_new_job(GDBusMethodInvocation *invocation,
		   CbOperation operation,
		   GVariant *options,
		   GError **error)
{
	g_autoptr(CbRequest) self = cb_request_new(invocation);
	guint n = 0;

	self->operation = operation;
	self->options = cb_job_options_parse(operation, options, cb_request_get_fds(self), error);
	if (self->options == NULL) {
		self->invocation = NULL; /* the caller still answers it */
		return NULL;
	}
	self->actions[n++] =
	    operation == CB_OPERATION_BLANK ? "org.cryptburn.blank" : "org.cryptburn.burn";
	/* blanking a used rewritable disc first destroys what is on it, as
	 * Drive.Blank does, and needs its action too */
	if (operation != CB_OPERATION_BLANK && self->options->blank)
		self->actions[n++] = "org.cryptburn.blank";
	return g_steal_pointer(&self);
}

CbRequest *
cb_request_new_action(GDBusMethodInvocation *invocation,
		      const gchar *action,
		      GVariant *options,
		      GError **error)
{
	CbRequest *self;

	if (!cb_options_check_empty(options, error))
		return NULL;
	self = cb_request_new(invocation);
	self->actions[0] = action;
	return self;
}

CbRequest *
cb_request_new_job_call(GDBusMethodInvocation *invocation,
			const gchar *job_path,
			uid_t owner_uid,
			GVariant *options,
			GError **error)
{
	CbRequest *self = cb_request_new_action(invocation, "org.cryptburn.cancel-job-other-user",
						options, error);

	if (self == NULL)
		return NULL;
	self->job_path = g_strdup(job_path);
	self->has_owner = TRUE;
	self->owner_uid = owner_uid;
	return self;
}

void
cb_request_free(CbRequest *self)
{
	if (self == NULL)
		return;
	/* a request dropped unanswered would leave its caller waiting */
	if (self->invocation != NULL)
		g_dbus_method_invocation_return_error_literal(
		    self->invocation, CB_ERROR, CB_ERROR_FAILED,
		    _("the service dropped the request unanswered"));
	g_clear_pointer(&self->options, cb_job_options_free);
	g_strfreev(self->sources);
	cb_client_fd_close(self->stream_fd);
	cb_client_fds_release(self->fds);
	g_clear_pointer(&self->drive, cb_drive_unref);
	g_free(self->job_path);
	g_free(self);
}

void
cb_request_return_error(CbRequest *self, const GError *error)
{
	g_dbus_method_invocation_return_gerror(g_steal_pointer(&self->invocation), error);
	cb_request_free(self);
}
