/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread: method handlers run after cb-authority allowed the call */
#include "cb-manager.h"

#include "cb-authority.h"
#include "cb-error.h"
#include "cb-format.h"

#include <gio/gunixfdlist.h>
#include <glib/gi18n-lib.h>
#include <unistd.h>

#define CB_MANAGER_PATH "/org/cryptburn/CryptBurn1/Manager"

/* the fds a call carried, for "h" arguments and options */
static GUnixFDList *
cb_manager_fds(GDBusMethodInvocation *invocation)
{
	return g_dbus_message_get_unix_fd_list(g_dbus_method_invocation_get_message(invocation));
}

static gint
cb_manager_take_fd(GDBusMethodInvocation *invocation, GVariant *handle, GError **error)
{
	GUnixFDList *fds = cb_manager_fds(invocation);
	gint32 index = g_variant_get_handle(handle);

	if (fds == NULL || index < 0 || index >= g_unix_fd_list_get_length(fds)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("the call carries no file descriptor for its handle"));
		return -1;
	}
	return g_unix_fd_list_get(fds, index, error);
}

static void
cb_manager_fill_spec(CbJobSpec *spec, GDBusMethodInvocation *invocation, CbOperation operation)
{
	spec->operation = operation;
	spec->stream_fd = -1;
	spec->uid = cb_authority_get_caller_uid(invocation);
	spec->peer = g_strdup(g_dbus_method_invocation_get_sender(invocation));
	spec->bus = g_object_ref(g_dbus_method_invocation_get_connection(invocation));
}

static void
cb_manager_spec_clear(CbJobSpec *spec)
{
	g_clear_pointer(&spec->options, cb_job_options_free);
	g_clear_pointer(&spec->sources, g_strfreev);
	if (spec->stream_fd >= 0)
		close(spec->stream_fd);
	spec->stream_fd = -1;
	g_clear_pointer(&spec->drive, cb_drive_unref);
	g_clear_pointer(&spec->peer, g_free);
	g_clear_object(&spec->bus);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbJobSpec, cb_manager_spec_clear)

static gboolean
cb_manager_check_sources(CbJobSpec *spec, const gchar *const *sources, GError **error)
{
	g_autoptr(GVariant) grafts = g_variant_lookup_value(spec->options->iso_options, "grafts",
							    G_VARIANT_TYPE_STRING_ARRAY);

	/* grafts alone make an image, as with cryptburn image --graft */
	if (!cb_options_check_sources(sources, grafts != NULL && g_variant_n_children(grafts) > 0,
				      error))
		return FALSE;
	spec->sources = g_strdupv((gchar **) sources);
	return TRUE;
}

static void
cb_manager_reply(GDBusMethodInvocation *invocation, CbJob *job, GError *error)
{
	if (job == NULL) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return;
	}
	g_dbus_method_invocation_return_value(invocation,
					      g_variant_new("(o)", cb_job_get_path(job)));
}

/* what a method call brings to its job; NULL where it brings nothing */
typedef struct {
	const gchar *drive_path;     /* BurnFiles, BurnImage */
	CbDrive *drive;		     /* Blank: the drive the call was made on */
	const gchar *const *sources; /* BurnFiles, WriteImage */
	GVariant *stream;	     /* BurnImage: the image; WriteImage: the output */
} CbManagerRequest;

static gboolean
cb_manager_take_drive(CbDaemon *daemon,
		      const CbManagerRequest *request,
		      CbJobSpec *spec,
		      GError **error)
{
	if (request->drive != NULL)
		spec->drive = cb_drive_ref(request->drive);
	else if (request->drive_path != NULL)
		spec->drive = cb_daemon_find_drive(daemon, request->drive_path, error);
	else
		return TRUE;
	return spec->drive != NULL;
}

/* every job-starting method: options, then sources, the fd and the drive,
 * each refused with a named error before a job exists */
static gboolean
cb_manager_submit(CbDaemon *daemon,
		  GDBusMethodInvocation *invocation,
		  CbOperation operation,
		  GVariant *options,
		  const CbManagerRequest *request)
{
	g_auto(CbJobSpec) spec = { 0 };
	g_autoptr(GError) error = NULL;
	CbJob *job = NULL;

	cb_manager_fill_spec(&spec, invocation, operation);
	spec.options = cb_job_options_parse(operation, options, cb_manager_fds(invocation), &error);
	if (spec.options != NULL &&
	    (request->sources == NULL ||
	     cb_manager_check_sources(&spec, request->sources, &error)) &&
	    (request->stream == NULL ||
	     (spec.stream_fd = cb_manager_take_fd(invocation, request->stream, &error)) >= 0) &&
	    (operation != CB_OPERATION_WRITE_IMAGE ||
	     cb_job_options_check_output(spec.options, spec.stream_fd, &error)) &&
	    (operation != CB_OPERATION_BURN_IMAGE ||
	     cb_job_options_check_image_fd(spec.options, spec.stream_fd, &error)) &&
	    cb_manager_take_drive(daemon, request, &spec, &error))
		job = cb_daemon_start_job(daemon, &spec, &error);
	cb_manager_reply(invocation, job, error);
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
	CbManagerRequest request = { .drive_path = drive, .sources = sources };

	return cb_manager_submit(daemon, invocation, CB_OPERATION_BURN_FILES, options, &request);
}

static gboolean
cb_manager_on_burn_image(CbDBusManager *iface,
			 GDBusMethodInvocation *invocation,
			 const gchar *drive,
			 GVariant *image_stream,
			 GVariant *options,
			 CbDaemon *daemon)
{
	CbManagerRequest request = { .drive_path = drive, .stream = image_stream };

	return cb_manager_submit(daemon, invocation, CB_OPERATION_BURN_IMAGE, options, &request);
}

static gboolean
cb_manager_on_write_image(CbDBusManager *iface,
			  GDBusMethodInvocation *invocation,
			  GVariant *output,
			  const gchar *const *sources,
			  GVariant *options,
			  CbDaemon *daemon)
{
	CbManagerRequest request = { .sources = sources, .stream = output };

	return cb_manager_submit(daemon, invocation, CB_OPERATION_WRITE_IMAGE, options, &request);
}

typedef struct {
	CbDaemon *daemon;
	CbDrive *drive;
} CbBlankContext;

static gboolean
cb_manager_on_blank(CbDBusDrive *iface,
		    GDBusMethodInvocation *invocation,
		    GVariant *options,
		    CbBlankContext *ctx)
{
	CbManagerRequest request = { .drive = ctx->drive };

	return cb_manager_submit(ctx->daemon, invocation, CB_OPERATION_BLANK, options, &request);
}

void
cb_manager_handle_blank(CbDaemon *daemon, CbDrive *drive)
{
	CbBlankContext *ctx = g_new0(CbBlankContext, 1);
	CbDBusObject *object = CB_DBUS_OBJECT(cb_drive_get_object(drive));
	g_autoptr(CbDBusDrive) iface = cb_dbus_object_get_drive(object);

	ctx->daemon = daemon;
	ctx->drive = drive;
	/* the context lives as long as the interface: the drive owns both */
	g_signal_connect_data(iface, "handle-blank", G_CALLBACK(cb_manager_on_blank), ctx,
			      (GClosureNotify) (void (*)(void)) g_free, 0);
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
