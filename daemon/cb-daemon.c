/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread */
#include "cb-daemon.h"

#include "cb-authority.h"
#include "cb-error.h"
#include "cb-manager.h"
#include "cb-udev.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define CB_DAEMON_ROOT_PATH "/org/cryptburn/CryptBurn1"

struct _CbDaemon {
	CbDaemonConfig config;
	CbJobConfig job_config;
	CbAuthority *authority;
	GDBusObjectManagerServer *server;
	GHashTable *drives;	 /* object path -> CbDrive */
	GHashTable *jobs;	 /* object path -> CbJob */
	GHashTable *udev_paths;	 /* sysfs path -> object path */
	GHashTable *submissions; /* uid -> GQueue of monotonic times, the last minute's */
	CbUdevMonitor *udev;
	guint next_job_id;
	CbDaemonIdleFunc idle;
	gpointer idle_data;
	guint idle_id;
};

/* "PATH[:SIZE]": SIZE in bytes, or with K, M, G, T (powers of 1024) */
static gboolean
cb_daemon_parse_test_drive(const gchar *spec, gchar **path, guint64 *size, GError **error)
{
	const gchar *colon = strrchr(spec, ':');
	g_autofree gchar *file = NULL;
	guint64 bytes = 0;

	if (colon != NULL) {
		gchar *end = NULL;
		guint64 number = g_ascii_strtoull(colon + 1, &end, 10);
		guint shift = 0;

		switch (g_ascii_toupper(*end)) {
		case 'T':
			shift += 10;
			G_GNUC_FALLTHROUGH;
		case 'G':
			shift += 10;
			G_GNUC_FALLTHROUGH;
		case 'M':
			shift += 10;
			G_GNUC_FALLTHROUGH;
		case 'K':
			shift += 10;
			end++;
			break;
		default:
			break;
		}
		if (end == colon + 1 || *end != '\0' || number == 0 ||
		    number > (G_MAXUINT64 >> shift)) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("test drive “%s”: the size after “:” must be a number of "
				      "bytes, optionally with K, M, G or T"),
				    spec);
			return FALSE;
		}
		bytes = number << shift;
		file = g_strndup(spec, colon - spec);
	} else {
		file = g_strdup(spec);
	}
	if (!g_path_is_absolute(file)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("test drive “%s”: the path must be absolute"), spec);
		return FALSE;
	}
	*path = g_steal_pointer(&file);
	*size = bytes;
	return TRUE;
}

static void
cb_daemon_add_drive(CbDaemon *self, CbDrive *drive)
{
	g_hash_table_insert(self->drives, g_strdup(cb_drive_get_path(drive)), drive);
	cb_manager_handle_drive(self, drive);
	if (self->server != NULL)
		g_dbus_object_manager_server_export(self->server, cb_drive_get_object(drive));
}

static void
cb_daemon_queue_free(gpointer queue)
{
	g_queue_free_full(queue, g_free);
}

CbDaemon *
cb_daemon_new(const CbDaemonConfig *config, GError **error)
{
	g_autoptr(CbDaemon) self = g_new0(CbDaemon, 1);

	self->config.test_drives = g_strdupv(config->test_drives);
	self->config.reader_path = g_strdup(config->reader_path);
	self->config.idle_timeout_s = config->idle_timeout_s;
	self->config.agent_timeout_s = config->agent_timeout_s;
	self->config.fifo_bytes = config->fifo_bytes;
	self->job_config.reader_path = self->config.reader_path;
	self->job_config.agent_timeout_ms = config->agent_timeout_s * 1000;
	self->job_config.fifo_bytes = config->fifo_bytes;
	self->job_config.test_corrupt_offset = config->test_corrupt_offset;
	self->drives =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) cb_drive_unref);
	self->jobs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) cb_job_free);
	self->udev_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->submissions = g_hash_table_new_full(NULL, NULL, NULL, cb_daemon_queue_free);
	self->next_job_id = 1;
	/* checked now, so that a typo in the unit or config stops the start */
	for (guint i = 0; self->config.test_drives != NULL && self->config.test_drives[i]; i++) {
		g_autofree gchar *path = NULL;
		guint64 size = 0;

		if (!cb_daemon_parse_test_drive(self->config.test_drives[i], &path, &size, error))
			return NULL;
	}
	return g_steal_pointer(&self);
}

void
cb_daemon_free(CbDaemon *self)
{
	if (self == NULL)
		return;
	cb_daemon_shutdown(self);
	g_clear_handle_id(&self->idle_id, g_source_remove);
	g_clear_pointer(&self->udev, cb_udev_monitor_free);
	g_clear_pointer(&self->jobs, g_hash_table_unref);
	g_clear_pointer(&self->drives, g_hash_table_unref);
	g_clear_pointer(&self->udev_paths, g_hash_table_unref);
	g_clear_pointer(&self->submissions, g_hash_table_unref);
	g_clear_object(&self->server);
	g_clear_pointer(&self->authority, cb_authority_free);
	g_strfreev(self->config.test_drives);
	g_free(self->config.reader_path);
	g_free(self);
}

static gboolean
cb_daemon_on_idle_timeout(gpointer data)
{
	CbDaemon *self = data;

	self->idle_id = 0;
	if (cb_daemon_count_active_jobs(self) == 0 && self->idle != NULL)
		self->idle(self->idle_data);
	return G_SOURCE_REMOVE;
}

static void
cb_daemon_arm_idle(CbDaemon *self)
{
	g_clear_handle_id(&self->idle_id, g_source_remove);
	if (self->config.idle_timeout_s > 0 && cb_daemon_count_active_jobs(self) == 0)
		self->idle_id = g_timeout_add_seconds(self->config.idle_timeout_s,
						      cb_daemon_on_idle_timeout, self);
}

static void
cb_daemon_on_udev(CbUdevAction action, const CbUdevDrive *udev, gpointer data)
{
	CbDaemon *self = data;
	const gchar *path = g_hash_table_lookup(self->udev_paths, udev->sysfs_path);
	CbDrive *drive = path != NULL ? g_hash_table_lookup(self->drives, path) : NULL;

	if (action == CB_UDEV_REMOVE) {
		if (drive == NULL)
			return;
		g_message("drive %s removed", udev->device);
		g_dbus_object_manager_server_unexport(self->server, path);
		g_hash_table_remove(self->drives, path);
		g_hash_table_remove(self->udev_paths, udev->sysfs_path);
		return;
	}
	if (drive == NULL) {
		g_autofree gchar *id = g_path_get_basename(udev->device);
		g_strcanon(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
			   '_');
		drive = cb_drive_new(id, udev->device, 0);
		g_hash_table_insert(self->udev_paths, g_strdup(udev->sysfs_path),
				    g_strdup(cb_drive_get_path(drive)));
		g_message("drive %s (%s %s) added", udev->device, udev->vendor, udev->model);
		cb_daemon_add_drive(self, drive);
	}
	cb_drive_update_from_udev(drive, udev);
}

gboolean
cb_daemon_export(
    CbDaemon *self, GDBusConnection *bus, CbDaemonIdleFunc idle, gpointer user_data, GError **error)
{
	g_autoptr(GDBusObjectSkeleton) manager = NULL;
	g_autoptr(GError) udev_error = NULL;

	self->idle = idle;
	self->idle_data = user_data;
	self->authority = cb_authority_new(error);
	if (self->authority == NULL)
		return FALSE;
	self->server = g_dbus_object_manager_server_new(CB_DAEMON_ROOT_PATH);
	manager = cb_manager_new(self);
	g_dbus_object_manager_server_export(self->server, manager);

	for (guint i = 0; self->config.test_drives != NULL && self->config.test_drives[i]; i++) {
		g_autofree gchar *path = NULL;
		g_autofree gchar *id = g_strdup_printf("test%u", i);
		g_autofree gchar *device = NULL;
		guint64 size = 0;

		if (!cb_daemon_parse_test_drive(self->config.test_drives[i], &path, &size, error))
			return FALSE;
		device = g_strconcat("stdio:", path, NULL);
		cb_daemon_add_drive(self, cb_drive_new(id, device, size));
	}
	self->udev = cb_udev_monitor_new(cb_daemon_on_udev, self, &udev_error);
	if (self->udev == NULL)
		g_warning("optical drives will not be found or followed: %s", udev_error->message);

	g_dbus_object_manager_server_set_connection(self->server, bus);
	/* the media of every drive, now that its object can be watched */
	{
		GHashTableIter iter;
		gpointer drive;

		g_hash_table_iter_init(&iter, self->drives);
		while (g_hash_table_iter_next(&iter, NULL, &drive))
			cb_drive_refresh(drive);
	}
	cb_daemon_arm_idle(self);
	return TRUE;
}

guint
cb_daemon_count_active_jobs(CbDaemon *self)
{
	GHashTableIter iter;
	gpointer job;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &job))
		if (!cb_job_is_finished(job))
			n++;
	return n;
}

void
cb_daemon_shutdown(CbDaemon *self)
{
	GHashTableIter iter;
	gpointer job;

	if (self->jobs == NULL)
		return;
	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &job))
		cb_job_cancel(job);
	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &job))
		cb_job_join(job);
}

CbAuthority *
cb_daemon_get_authority(CbDaemon *self)
{
	return self->authority;
}

CbJob *
cb_daemon_find_job(CbDaemon *self, const gchar *path)
{
	return g_hash_table_lookup(self->jobs, path);
}

CbDrive *
cb_daemon_find_drive(CbDaemon *self, const gchar *path, GError **error)
{
	CbDrive *drive = g_hash_table_lookup(self->drives, path);

	if (drive == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE, _("no drive %s"), path);
		return NULL;
	}
	return cb_drive_ref(drive);
}

typedef struct {
	CbDaemon *daemon;
	gchar *path;
} CbJobRemoval;

static gboolean
cb_daemon_on_job_linger_over(gpointer data)
{
	CbJobRemoval *removal = data;

	g_dbus_object_manager_server_unexport(removal->daemon->server, removal->path);
	g_hash_table_remove(removal->daemon->jobs, removal->path);
	g_free(removal->path);
	g_free(removal);
	return G_SOURCE_REMOVE;
}

static void
cb_daemon_on_job_done(CbJob *job, gpointer data)
{
	CbDaemon *self = data;
	CbJobRemoval *removal = g_new0(CbJobRemoval, 1);

	removal->daemon = self;
	removal->path = g_strdup(cb_job_get_path(job));
	g_timeout_add_seconds(CB_DAEMON_JOB_LINGER_S, cb_daemon_on_job_linger_over, removal);
	cb_daemon_arm_idle(self);
}

static guint
cb_daemon_count_jobs_of(CbDaemon *self, uid_t uid)
{
	GHashTableIter iter;
	gpointer job;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &job))
		if (!cb_job_is_finished(job) && cb_job_get_uid(job) == uid)
			n++;
	return n;
}

/* jobs that end at once still linger a minute as objects: without a
 * limit on how many a uid starts in a minute, one user could fill the
 * object manager (and every client's GetManagedObjects) with thousands */
static gboolean
cb_daemon_count_submission(CbDaemon *self, uid_t uid, GError **error)
{
	GQueue *times = g_hash_table_lookup(self->submissions, GUINT_TO_POINTER(uid));
	gint64 now = g_get_monotonic_time();

	if (times == NULL) {
		times = g_queue_new();
		g_hash_table_insert(self->submissions, GUINT_TO_POINTER(uid), times);
	}
	while (!g_queue_is_empty(times) &&
	       now - *(gint64 *) g_queue_peek_head(times) >= 60 * G_USEC_PER_SEC)
		g_free(g_queue_pop_head(times));
	if (g_queue_get_length(times) >= CB_DAEMON_MAX_JOBS_PER_UID_PER_MINUTE) {
		g_set_error(error, CB_ERROR, CB_ERROR_BUSY,
			    _("too many jobs: you started %u in the last minute, wait a "
			      "little"),
			    CB_DAEMON_MAX_JOBS_PER_UID_PER_MINUTE);
		return FALSE;
	}
	g_queue_push_tail(times, g_memdup2(&now, sizeof(now)));
	return TRUE;
}

CbJob *
cb_daemon_start_job(CbDaemon *self, CbJobSpec *spec, GError **error)
{
	g_autofree gchar *path = NULL;
	CbJob *job;

	if (cb_daemon_count_jobs_of(self, spec->uid) >= CB_DAEMON_MAX_JOBS_PER_UID) {
		g_set_error(error, CB_ERROR, CB_ERROR_BUSY,
			    _("too many jobs: you already run %u, wait for one to end"),
			    CB_DAEMON_MAX_JOBS_PER_UID);
		return NULL;
	}
	if (cb_daemon_count_active_jobs(self) >= CB_DAEMON_MAX_JOBS) {
		g_set_error(error, CB_ERROR, CB_ERROR_BUSY,
			    _("too many jobs: the service already runs %u, the most it runs at "
			      "once; wait for one to end"),
			    CB_DAEMON_MAX_JOBS);
		return NULL;
	}
	if (!cb_daemon_count_submission(self, spec->uid, error))
		return NULL;
	path = g_strdup_printf(CB_DAEMON_ROOT_PATH "/jobs/%u", self->next_job_id);
	if (spec->drive != NULL && !cb_drive_claim(spec->drive, path, error))
		return NULL;
	spec->config = &self->job_config;
	job = cb_job_new(self->next_job_id++, spec);
	g_hash_table_insert(self->jobs, g_strdup(cb_job_get_path(job)), job);
	cb_manager_handle_job(self, job);
	g_dbus_object_manager_server_export(self->server, cb_job_get_object(job));
	g_clear_handle_id(&self->idle_id, g_source_remove);
	cb_job_start(job, cb_daemon_on_job_done, self);
	return job;
}
