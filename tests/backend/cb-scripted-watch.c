/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Media events of scripted drives: a file monitor on each drive's
 * directory tells the daemon whenever tray.ini appears, goes or is
 * replaced, as udev tells it of a real drive's tray. A burst of changes
 * (an eject moves one disc out and the next one in) is one event.
 *
 * Threads: watch on the main thread, whose main context then runs the
 * monitor and calls back; unwatch on any thread, the monitor going on the
 * watch's context.
 */
#include "cb-scripted-private.h"

/* long enough for an eject's two renames to be one event */
#define CB_WATCH_COALESCE_MS 50

typedef struct {
	guint id;
	gchar *device;
	GMainContext *context;
	GFileMonitor *monitor;
	GSource *pending; /* the coalesced event, until it is delivered */
	CbMediaEventFunc func;
	gpointer user_data;
} CbScriptedWatch;

static GMutex watch_lock;
static GHashTable *watch_table; /* id -> CbScriptedWatch */
static guint watch_next_id = 1;

static void
cb_watch_free(CbScriptedWatch *self)
{
	if (self->pending != NULL) {
		g_source_destroy(self->pending);
		g_source_unref(self->pending);
	}
	g_signal_handlers_disconnect_by_data(self->monitor, self);
	g_file_monitor_cancel(self->monitor);
	g_object_unref(self->monitor);
	g_main_context_unref(self->context);
	g_free(self->device);
	g_free(self);
}

static gboolean
cb_watch_deliver(gpointer data)
{
	CbScriptedWatch *self = data;

	g_clear_pointer(&self->pending, g_source_unref);
	self->func(self->device, self->user_data);
	return G_SOURCE_REMOVE;
}

static gboolean
cb_watch_is_tray(GFile *file)
{
	g_autofree gchar *name = file != NULL ? g_file_get_basename(file) : NULL;
	return g_strcmp0(name, CB_SCRIPTED_TRAY_INI) == 0;
}

static void
cb_watch_on_changed(GFileMonitor *monitor,
		    GFile *file,
		    GFile *other,
		    GFileMonitorEvent event,
		    CbScriptedWatch *self)
{
	if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED ||
	    event == G_FILE_MONITOR_EVENT_PRE_UNMOUNT || event == G_FILE_MONITOR_EVENT_UNMOUNTED)
		return;
	/* a rename names the old file and the new one (other) */
	if (!cb_watch_is_tray(file) && !cb_watch_is_tray(other))
		return;
	if (self->pending != NULL)
		return;
	self->pending = g_timeout_source_new(CB_WATCH_COALESCE_MS);
	g_source_set_callback(self->pending, cb_watch_deliver, self, NULL);
	g_source_attach(self->pending, self->context);
}

guint
cb_scripted_watch(const gchar *device, CbMediaEventFunc func, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = cb_scripted_tray_dir(device, &error);
	g_autoptr(GFile) file = NULL;
	CbScriptedWatch *self;
	GFileMonitor *monitor;

	if (dir == NULL) {
		g_debug("no media events for %s: %s", device, error->message);
		return 0;
	}
	file = g_file_new_for_path(dir);
	/* the monitor calls back on the thread-default context of now */
	monitor = g_file_monitor_directory(file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
	if (monitor == NULL) {
		g_warning("cannot follow the tray of %s: %s", device, error->message);
		return 0;
	}
	self = g_new0(CbScriptedWatch, 1);
	self->device = g_strdup(device);
	self->context = g_main_context_ref_thread_default();
	self->monitor = monitor;
	self->func = func;
	self->user_data = user_data;
	g_signal_connect(monitor, "changed", G_CALLBACK(cb_watch_on_changed), self);
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&watch_lock);

		if (watch_table == NULL)
			watch_table = g_hash_table_new(NULL, NULL);
		self->id = watch_next_id++;
		g_hash_table_insert(watch_table, GUINT_TO_POINTER(self->id), self);
	}
	return self->id;
}

static gboolean
cb_watch_free_on_context(gpointer data)
{
	cb_watch_free(data);
	return G_SOURCE_REMOVE;
}

void
cb_scripted_unwatch(guint id)
{
	CbScriptedWatch *self = NULL;

	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&watch_lock);

		if (watch_table != NULL &&
		    g_hash_table_steal_extended(watch_table, GUINT_TO_POINTER(id), NULL,
						(gpointer *) &self) &&
		    g_hash_table_size(watch_table) == 0)
			g_clear_pointer(&watch_table, g_hash_table_unref);
	}
	if (self == NULL)
		return;
	/* on the watch's own thread this frees it now, before the caller
	 * frees what user_data points to */
	g_main_context_invoke(self->context, cb_watch_free_on_context, self);
}
