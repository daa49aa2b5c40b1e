/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread; the media query and Eject run on GTask threads */
#include "cb-drive.h"

#include "cb-drive-backend.h"
#include "cb-error.h"

#include <glib/gi18n-lib.h>

#define CB_DRIVE_PATH_PREFIX "/org/cryptburn/CryptBurn1/drives/"
/* how long a waiting job sleeps between two looks at its cancellable */
#define CB_DRIVE_WAIT_SLICE_US (200 * 1000)

struct _CbDrive {
	gint ref_count;
	gchar *path;
	gchar *device;
	guint64 stdio_capacity;
	CbDBusObjectSkeleton *object;
	CbDBusDrive *iface;
	gboolean busy;	     /* a job or an eject holds it */
	gboolean refreshing; /* a media query runs */
	gboolean refresh_again;
	guint watch_id; /* the backend's own media events, or 0 */

	/* counts media events (udev, the backend), for a job waiting for a
	 * disc on its worker thread */
	GMutex media_lock;
	GCond media_cond;
	guint media_generation;
};

static void
cb_drive_apply_media(CbDrive *self, const CbMediaInfo *info);

static void
cb_drive_on_backend_media(const gchar *device, gpointer data)
{
	g_debug("%s: the disc changed", device);
	cb_drive_media_changed(data);
}

CbDrive *
cb_drive_new(const gchar *id, const gchar *device, guint64 stdio_capacity)
{
	CbDrive *self = g_new0(CbDrive, 1);

	self->ref_count = 1;
	self->path = g_strconcat(CB_DRIVE_PATH_PREFIX, id, NULL);
	self->device = g_strdup(device);
	self->stdio_capacity = stdio_capacity;
	self->object = cb_dbus_object_skeleton_new(self->path);
	self->iface = cb_dbus_drive_skeleton_new();
	cb_dbus_drive_set_device(self->iface, device);
	cb_dbus_drive_set_vendor(self->iface, "");
	cb_dbus_drive_set_model(self->iface, "");
	cb_dbus_drive_set_media(self->iface, "");
	cb_dbus_drive_set_media_status(self->iface, "none");
	cb_dbus_drive_set_job(self->iface, "/");
	cb_dbus_drive_set_write_speeds(
	    self->iface, g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32, NULL, 0, 4));
	cb_dbus_object_skeleton_set_drive(self->object, self->iface);
	g_mutex_init(&self->media_lock);
	g_cond_init(&self->media_cond);
	self->watch_id = cb_drive_backend_watch(device, cb_drive_on_backend_media, self);
	return self;
}

CbDrive *
cb_drive_ref(CbDrive *self)
{
	g_atomic_int_inc(&self->ref_count);
	return self;
}

void
cb_drive_unref(CbDrive *self)
{
	if (self == NULL || !g_atomic_int_dec_and_test(&self->ref_count))
		return;
	cb_drive_backend_unwatch(self->watch_id);
	g_signal_handlers_disconnect_by_data(self->iface, self);
	g_mutex_clear(&self->media_lock);
	g_cond_clear(&self->media_cond);
	g_clear_object(&self->iface);
	g_clear_object(&self->object);
	g_free(self->device);
	g_free(self->path);
	g_free(self);
}

const gchar *
cb_drive_get_path(CbDrive *self)
{
	return self->path;
}

const gchar *
cb_drive_get_device(CbDrive *self)
{
	return self->device;
}

guint64
cb_drive_get_stdio_capacity(CbDrive *self)
{
	return self->stdio_capacity;
}

GDBusObjectSkeleton *
cb_drive_get_object(CbDrive *self)
{
	return G_DBUS_OBJECT_SKELETON(self->object);
}

gboolean
cb_drive_claim(CbDrive *self, const gchar *job_path, GError **error)
{
	if (self->busy) {
		g_set_error(error, CB_ERROR, CB_ERROR_BUSY, _("drive %s is busy with %s"),
			    self->device, cb_dbus_drive_get_job(self->iface));
		return FALSE;
	}
	self->busy = TRUE;
	cb_dbus_drive_set_busy(self->iface, TRUE);
	cb_dbus_drive_set_job(self->iface, job_path);
	return TRUE;
}

void
cb_drive_release(CbDrive *self)
{
	self->busy = FALSE;
	cb_dbus_drive_set_busy(self->iface, FALSE);
	cb_dbus_drive_set_job(self->iface, "/");
	cb_drive_refresh(self);
}

void
cb_drive_update_from_udev(CbDrive *self, const CbUdevDrive *udev)
{
	gboolean changed = cb_dbus_drive_get_media_present(self->iface) != udev->media_present ||
			   g_strcmp0(cb_dbus_drive_get_media(self->iface), udev->media) != 0;

	cb_dbus_drive_set_vendor(self->iface, udev->vendor);
	cb_dbus_drive_set_model(self->iface, udev->model);
	cb_dbus_drive_set_media_present(self->iface, udev->media_present);
	cb_dbus_drive_set_media(self->iface, udev->media);
	cb_dbus_drive_set_media_status(self->iface, udev->media_status);
	if (!udev->media_present) {
		cb_dbus_drive_set_capacity(self->iface, 0);
		cb_dbus_drive_set_free_bytes(self->iface, 0);
	}
	if (changed)
		cb_drive_media_changed(self);
}

void
cb_drive_media_changed(CbDrive *self)
{
	g_mutex_lock(&self->media_lock);
	self->media_generation++;
	g_cond_broadcast(&self->media_cond);
	g_mutex_unlock(&self->media_lock);
	/* capacity and speeds need the drive itself */
	cb_drive_refresh(self);
}

guint
cb_drive_get_media_generation(CbDrive *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->media_lock);
	return self->media_generation;
}

gboolean
cb_drive_wait_media_change(CbDrive *self, guint since, gint64 until, GCancellable *cancellable)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->media_lock);

	while (self->media_generation == since) {
		/* slices, so that a cancel is seen within a moment */
		gint64 slice = g_get_monotonic_time() + CB_DRIVE_WAIT_SLICE_US;

		if (g_cancellable_is_cancelled(cancellable) || g_get_monotonic_time() >= until)
			return FALSE;
		g_cond_wait_until(&self->media_cond, &self->media_lock, MIN(slice, until));
	}
	return TRUE;
}

typedef struct {
	CbDrive *drive;
	CbMediaInfo *info;
} CbDriveMediaReport;

static gboolean
cb_drive_on_media_report(gpointer data)
{
	CbDriveMediaReport *report = data;

	cb_drive_apply_media(report->drive, report->info);
	cb_media_info_free(report->info);
	cb_drive_unref(report->drive);
	g_free(report);
	return G_SOURCE_REMOVE;
}

void
cb_drive_report_media(CbDrive *self, const CbMediaInfo *info)
{
	CbDriveMediaReport *report = g_new0(CbDriveMediaReport, 1);

	report->drive = cb_drive_ref(self);
	report->info = cb_media_info_copy(info);
	g_idle_add(cb_drive_on_media_report, report);
}

static void
cb_drive_apply_media(CbDrive *self, const CbMediaInfo *info)
{
	cb_dbus_drive_set_media_present(self->iface, info->present);
	cb_dbus_drive_set_media(self->iface, info->media != NULL ? info->media : "");
	cb_dbus_drive_set_media_status(self->iface, info->status != NULL ? info->status : "none");
	cb_dbus_drive_set_capacity(self->iface, info->capacity);
	cb_dbus_drive_set_free_bytes(self->iface, info->free_bytes);
	cb_dbus_drive_set_media_erasable(self->iface, info->erasable);
	if (info->vendor != NULL && info->vendor[0] != '\0')
		cb_dbus_drive_set_vendor(self->iface, info->vendor);
	if (info->model != NULL && info->model[0] != '\0')
		cb_dbus_drive_set_model(self->iface, info->model);
	cb_dbus_drive_set_write_speeds(
	    self->iface,
	    g_variant_new_fixed_array(G_VARIANT_TYPE_UINT32,
				      info->write_speeds != NULL ? info->write_speeds->data : NULL,
				      info->write_speeds != NULL ? info->write_speeds->len : 0, 4));
}

static void
cb_drive_query_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	CbDrive *self = data;
	GError *error = NULL;
	CbMediaInfo *info = cb_burner_query(self->device, self->stdio_capacity, &error);

	if (info == NULL)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, info, (GDestroyNotify) cb_media_info_free);
}

static void
cb_drive_on_queried(GObject *source, GAsyncResult *result, gpointer data)
{
	CbDrive *self = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbMediaInfo) info = g_task_propagate_pointer(G_TASK(result), &error);

	self->refreshing = FALSE;
	if (info != NULL)
		cb_drive_apply_media(self, info);
	else
		g_debug("media query on %s: %s", self->device, error->message);
	if (self->refresh_again) {
		self->refresh_again = FALSE;
		cb_drive_refresh(self);
	}
	cb_drive_unref(self);
}

void
cb_drive_refresh(CbDrive *self)
{
	g_autoptr(GTask) task = NULL;

	/* the job's own query is fresher than ours; ask again after it */
	if (self->busy)
		return;
	if (self->refreshing) {
		self->refresh_again = TRUE;
		return;
	}
	self->refreshing = TRUE;
	task = g_task_new(NULL, NULL, cb_drive_on_queried, cb_drive_ref(self));
	g_task_set_task_data(task, self, NULL);
	g_task_run_in_thread(task, cb_drive_query_thread);
}

static void
cb_drive_eject_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	CbDrive *self = data;
	GError *error = NULL;
	CbBurn *burn = cb_burn_open(self->device, self->stdio_capacity, &error);

	if (burn == NULL) {
		g_task_return_error(task, error);
		return;
	}
	cb_burn_close(burn, TRUE);
	g_task_return_boolean(task, TRUE);
}

static void
cb_drive_on_ejected(GObject *source, GAsyncResult *result, gpointer data)
{
	/* the one reference the handler had: answering the call drops it */
	GDBusMethodInvocation *invocation = data;
	CbDrive *self = g_task_get_task_data(G_TASK(result));
	g_autoptr(GError) error = NULL;

	cb_drive_release(self);
	if (g_task_propagate_boolean(G_TASK(result), &error))
		cb_dbus_drive_complete_eject(self->iface, invocation);
	else
		g_dbus_method_invocation_return_gerror(invocation, error);
}

void
cb_drive_eject(CbDrive *self, GDBusMethodInvocation *invocation)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GTask) task = NULL;

	if (!cb_drive_claim(self, self->path, &error)) {
		g_dbus_method_invocation_return_gerror(invocation, error);
		return;
	}
	task = g_task_new(NULL, NULL, cb_drive_on_ejected, invocation);
	g_task_set_task_data(task, cb_drive_ref(self), (GDestroyNotify) cb_drive_unref);
	g_task_run_in_thread(task, cb_drive_eject_thread);
}
