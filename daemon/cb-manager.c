/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread: every method call is parsed into a CbRequest, checked by
 * cb-authority and then acted on, each step answered on the main loop */
#include "cb-manager.h"

#include "cb-authority.h"
#include "cb-error.h"
#include "cb-fd-probe.h"
#include "cb-format.h"
#include "cb-reader-request.h"

#include <gio/gunixfdlist.h>
#include <glib/gi18n-lib.h>
#include <unistd.h>

#define CB_MANAGER_PATH "/org/cryptburn/CryptBurn1/Manager"

/* what a method call brings to its job besides its options; NULL where
 * it brings nothing */
typedef struct {
	const gchar *drive_path;     /* BurnFiles, BurnImage */
	CbDrive *drive;		     /* Blank: the drive the call was made on */
	const gchar *const *sources; /* BurnFiles, WriteImage */
	GVariant *stream;	     /* BurnImage: the image; WriteImage: the output */
} CbManagerCall;

/* a request on its way from authorization to its job */
typedef struct {
	CbDaemon *daemon;
	CbRequest *request;
} CbSubmission;

static void
cb_submission_free(CbSubmission *self)
{
	g_clear_pointer(&self->request, cb_request_free);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbSubmission, cb_submission_free)

static gint
cb_manager_take_fd(CbRequest *request, GVariant *handle, GError **error)
{
	GUnixFDList *fds = cb_request_get_fds(request);
	gint32 index = g_variant_get_handle(handle);

	if (fds == NULL || index < 0 || index >= g_unix_fd_list_get_length(fds)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("the call carries no file descriptor for its handle"));
		return -1;
	}
	return g_unix_fd_list_get(fds, index, error);
}

static gboolean
cb_manager_take_sources(CbRequest *request, const gchar *const *sources, GError **error)
{
	g_autoptr(GVariant) grafts = g_variant_lookup_value(request->options->iso_options, "grafts",
							    G_VARIANT_TYPE_STRING_ARRAY);
	g_autoptr(GBytes) reader_request = NULL;

	/* grafts alone make an image, as with cryptburn image --graft */
	if (!cb_options_check_sources(sources, grafts != NULL && g_variant_n_children(grafts) > 0,
				      error))
		return FALSE;
	/* what the reader will be sent, within the reader's own limit */
	reader_request = cb_reader_build_request(sources, request->options->iso_options, error);
	if (reader_request == NULL)
		return FALSE;
	request->sources = g_strdupv((gchar **) sources);
	return TRUE;
}

/* every check that needs no file system and no client, before the
 * request is authorized and a job exists */
static gboolean
cb_manager_take_call(CbDaemon *daemon,
		     CbRequest *request,
		     const CbManagerCall *call,
		     GError **error)
{
	if (call->sources != NULL && !cb_manager_take_sources(request, call->sources, error))
		return FALSE;
	if (call->stream != NULL) {
		request->stream_fd = cb_manager_take_fd(request, call->stream, error);
		if (request->stream_fd < 0)
			return FALSE;
	}
	/* fcntl() and lseek(SEEK_CUR) stay in the kernel: no file system
	 * is asked, even for a FUSE file */
	if (request->operation == CB_OPERATION_WRITE_IMAGE &&
	    !cb_job_options_check_output(request->options, request->stream_fd, error))
		return FALSE;
	if (call->drive != NULL)
		request->drive = cb_drive_ref(call->drive);
	else if (call->drive_path != NULL)
		request->drive = cb_daemon_find_drive(daemon, call->drive_path, error);
	return call->drive_path == NULL || request->drive != NULL;
}

static void
cb_submission_start(CbSubmission *self)
{
	CbRequest *request = self->request;
	GDBusMethodInvocation *invocation = request->invocation;
	g_autoptr(GError) error = NULL;
	CbJobSpec spec = { 0 };
	CbJob *job;

	spec.operation = request->operation;
	spec.options = g_steal_pointer(&request->options);
	spec.sources = g_steal_pointer(&request->sources);
	spec.stream_fd = request->stream_fd;
	request->stream_fd = -1;
	spec.drive = g_steal_pointer(&request->drive);
	spec.uid = request->uid;
	spec.peer = g_strdup(g_dbus_method_invocation_get_sender(invocation));
	spec.bus = g_object_ref(g_dbus_method_invocation_get_connection(invocation));
	job = cb_daemon_start_job(self->daemon, &spec, &error);
	cb_job_spec_clear(&spec);
	if (job == NULL) {
		cb_request_return_error(g_steal_pointer(&self->request), error);
		return;
	}
	g_dbus_method_invocation_return_value(g_steal_pointer(&request->invocation),
					      g_variant_new("(o)", cb_job_get_path(job)));
}

static void
cb_submission_on_probed(const struct stat *st, const GError *error_probe, gpointer data)
{
	g_autoptr(CbSubmission) self = data;
	g_autoptr(GError) error = NULL;

	if (error_probe != NULL) {
		cb_request_return_error(g_steal_pointer(&self->request), error_probe);
		return;
	}
	if (!cb_job_options_check_image_stat(self->request->options, st, &error)) {
		cb_request_return_error(g_steal_pointer(&self->request), error);
		return;
	}
	cb_submission_start(self);
}

static void
cb_manager_on_job_allowed(CbRequest *request, gpointer data)
{
	g_autoptr(CbSubmission) self = g_new0(CbSubmission, 1);
	g_autoptr(GError) error = NULL;

	self->daemon = data;
	self->request = request;
	/* whether a BurnImage stream can be read twice needs its fstat(),
	 * which a client's file system may never answer */
	if (request->operation == CB_OPERATION_BURN_IMAGE &&
	    cb_job_options_needs_image_stat(request->options)) {
		if (!cb_fd_probe(request->stream_fd, request->uid, _("the image"),
				 cb_submission_on_probed, self, &error)) {
			cb_request_return_error(g_steal_pointer(&self->request), error);
			return;
		}
		g_steal_pointer(&self);
		return;
	}
	cb_submission_start(self);
}

/* every job-starting method: options, sources, the fd and the drive,
 * each refused with a named error before anything is authorized, then
 * authorization from the parsed request, then the job */
static gboolean
cb_manager_submit(CbDaemon *daemon,
		  GDBusMethodInvocation *invocation,
		  CbOperation operation,
		  GVariant *options,
		  const CbManagerCall *call)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CbRequest) request = cb_request_new_job(invocation, operation, options, &error);

	if (request == NULL) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	if (!cb_manager_take_call(daemon, request, call, &error)) {
		cb_request_return_error(g_steal_pointer(&request), error);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	cb_authority_check(cb_daemon_get_authority(daemon), g_steal_pointer(&request),
			   cb_manager_on_job_allowed, daemon);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
cb_manager_on_burn_files(CbDBusManager *iface,
			 GDBusMethodInvocation *invocation,
			 const gchar *drive,
			 const gchar *const *sources,
			 GVariant *options,
			 CbDaemon *daemon)
{
	CbManagerCall call = { .drive_path = drive, .sources = sources };

	return cb_manager_submit(daemon, invocation, CB_OPERATION_BURN_FILES, options, &call);
}

static gboolean
cb_manager_on_burn_image(CbDBusManager *iface,
			 GDBusMethodInvocation *invocation,
			 const gchar *drive,
			 GVariant *image_stream,
			 GVariant *options,
			 CbDaemon *daemon)
{
	CbManagerCall call = { .drive_path = drive, .stream = image_stream };

	return cb_manager_submit(daemon, invocation, CB_OPERATION_BURN_IMAGE, options, &call);
}

static gboolean
cb_manager_on_write_image(CbDBusManager *iface,
			  GDBusMethodInvocation *invocation,
			  GVariant *output,
			  const gchar *const *sources,
			  GVariant *options,
			  CbDaemon *daemon)
{
	CbManagerCall call = { .sources = sources, .stream = output };

	return cb_manager_submit(daemon, invocation, CB_OPERATION_WRITE_IMAGE, options, &call);
}

/* --- Drive.Blank and Drive.Eject --- */

typedef struct {
	CbDaemon *daemon;
	CbDrive *drive; /* the drive owns its interface, and so this */
} CbDriveContext;

static gboolean
cb_manager_on_blank(CbDBusDrive *iface,
		    GDBusMethodInvocation *invocation,
		    GVariant *options,
		    CbDriveContext *ctx)
{
	CbManagerCall call = { .drive = ctx->drive };

	return cb_manager_submit(ctx->daemon, invocation, CB_OPERATION_BLANK, options, &call);
}

static void
cb_manager_on_eject_allowed(CbRequest *request, gpointer data)
{
	cb_drive_eject(request->drive, g_steal_pointer(&request->invocation));
	cb_request_free(request);
}

static gboolean
cb_manager_on_eject(CbDBusDrive *iface,
		    GDBusMethodInvocation *invocation,
		    GVariant *options,
		    CbDriveContext *ctx)
{
	g_autoptr(GError) error = NULL;
	CbRequest *request =
	    cb_request_new_action(invocation, "org.cryptburn.eject", options, &error);

	if (request == NULL) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	request->drive = cb_drive_ref(ctx->drive);
	cb_authority_check(cb_daemon_get_authority(ctx->daemon), request,
			   cb_manager_on_eject_allowed, NULL);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
cb_manager_handle_drive(CbDaemon *daemon, CbDrive *drive)
{
	CbDriveContext *ctx = g_new0(CbDriveContext, 1);
	CbDBusObject *object = CB_DBUS_OBJECT(cb_drive_get_object(drive));
	g_autoptr(CbDBusDrive) iface = cb_dbus_object_get_drive(object);

	ctx->daemon = daemon;
	ctx->drive = drive;
	/* the context lives as long as the interface: the drive owns both */
	g_signal_connect_data(iface, "handle-blank", G_CALLBACK(cb_manager_on_blank), ctx,
			      (GClosureNotify) (void (*)(void)) g_free, 0);
	g_signal_connect(iface, "handle-eject", G_CALLBACK(cb_manager_on_eject), ctx);
}

/* --- Job.Cancel and Job.GetError --- */

typedef void (*CbJobAnswerFunc)(CbJob *job, GDBusMethodInvocation *invocation);

static void
cb_manager_on_job_call_allowed(CbRequest *request, gpointer data)
{
	CbDaemon *daemon = data;
	/* the job may have gone while polkit was asked */
	CbJob *job = cb_daemon_find_job(daemon, request->job_path);
	GDBusMethodInvocation *invocation = request->invocation;
	CbJobAnswerFunc answer =
	    g_strcmp0(g_dbus_method_invocation_get_method_name(invocation), "Cancel") == 0
		? cb_job_answer_cancel
		: cb_job_answer_get_error;
	g_autoptr(GError) error = NULL;

	if (job == NULL) {
		g_set_error_literal(&error, CB_ERROR, CB_ERROR_FAILED,
				    _("the job has already ended"));
		cb_request_return_error(request, error);
		return;
	}
	answer(job, g_steal_pointer(&request->invocation));
	cb_request_free(request);
}

static gboolean
cb_manager_on_job_call(CbDBusJob *iface,
		       GDBusMethodInvocation *invocation,
		       GVariant *options,
		       CbDaemon *daemon)
{
	g_autoptr(GError) error = NULL;
	CbRequest *request = cb_request_new_job_call(
	    invocation, g_dbus_method_invocation_get_object_path(invocation),
	    cb_dbus_job_get_started_by_uid(iface), options, &error);

	if (request == NULL) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	cb_authority_check(cb_daemon_get_authority(daemon), request, cb_manager_on_job_call_allowed,
			   daemon);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
cb_manager_handle_job(CbDaemon *daemon, CbJob *job)
{
	CbDBusObject *object = CB_DBUS_OBJECT(cb_job_get_object(job));
	g_autoptr(CbDBusJob) iface = cb_dbus_object_get_job(object);

	g_signal_connect(iface, "handle-cancel", G_CALLBACK(cb_manager_on_job_call), daemon);
	g_signal_connect(iface, "handle-get-error", G_CALLBACK(cb_manager_on_job_call), daemon);
}

GDBusObjectSkeleton *
cb_manager_new(CbDaemon *daemon)
{
	CbDBusObjectSkeleton *object = cb_dbus_object_skeleton_new(CB_MANAGER_PATH);
	g_autoptr(CbDBusManager) iface = cb_dbus_manager_skeleton_new();
	g_autoptr(GPtrArray) formats = g_ptr_array_new();
	const CbFormatDesc *const *list = cb_format_list();

	for (guint i = 0; list[i] != NULL; i++)
		g_ptr_array_add(formats, (gpointer) list[i]->name);
	g_ptr_array_add(formats, NULL);
	cb_dbus_manager_set_version(iface, CB_VERSION);
	cb_dbus_manager_set_supported_formats(iface, (const gchar *const *) formats->pdata);
	cb_dbus_manager_set_default_format(iface, cb_format_default_name());
	g_signal_connect(iface, "handle-burn-files", G_CALLBACK(cb_manager_on_burn_files), daemon);
	g_signal_connect(iface, "handle-burn-image", G_CALLBACK(cb_manager_on_burn_image), daemon);
	g_signal_connect(iface, "handle-write-image", G_CALLBACK(cb_manager_on_write_image),
			 daemon);
	cb_dbus_object_skeleton_set_manager(object, iface);
	return G_DBUS_OBJECT_SKELETON(object);
}
