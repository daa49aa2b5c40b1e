/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Optical drives from udev, through libsystemd's sd-device.
 *
 * Threads: everything here runs on the thread that created the monitor,
 * normally the main thread. The sd_event loop that owns the netlink socket
 * is never run on its own: its epoll fd is watched by a GSource on that
 * thread's thread-default GMainContext, and each time it becomes readable
 * the pending events are dispatched from there. So CbUdevFunc is called on
 * the main thread, between D-Bus calls, never concurrently.
 *
 * Without udev (containers, some build hosts) there is no database to say
 * which block device is a CD drive (ID_CDROM comes from udev's cdrom_id),
 * and no udev event would ever arrive: creation fails with a message that
 * says so, and the daemon goes on with the drives it is told about.
 */

#include "cb-udev.h"

#include "cb-error.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_device_enumerator, sd_device_enumerator_unref)

/* written by udevd while it runs; systemd itself checks it the same way */
#define CB_UDEV_CONTROL "/run/udev/control"

struct _CbUdevMonitor {
	CbUdevFunc func;
	gpointer user_data;
	sd_event *event;
	sd_device_monitor *monitor;
	GSource *source;
	/* sysfs paths of the drives reported so far */
	GHashTable *drives;
};

/* udisks' media names (without "optical_") for cdrom_id's properties */
static const struct {
	const gchar *property;
	const gchar *media;
} cb_udev_media[] = {
	{ "ID_CDROM_MEDIA_CD", "cd" },
	{ "ID_CDROM_MEDIA_CD_R", "cd_r" },
	{ "ID_CDROM_MEDIA_CD_RW", "cd_rw" },
	{ "ID_CDROM_MEDIA_DVD", "dvd" },
	{ "ID_CDROM_MEDIA_DVD_R", "dvd_r" },
	{ "ID_CDROM_MEDIA_DVD_R_DL", "dvd_r" },
	{ "ID_CDROM_MEDIA_DVD_R_DL_SEQ", "dvd_r" },
	{ "ID_CDROM_MEDIA_DVD_R_DL_JR", "dvd_r" },
	{ "ID_CDROM_MEDIA_DVD_RW", "dvd_rw" },
	{ "ID_CDROM_MEDIA_DVD_RW_RO", "dvd_rw" },
	{ "ID_CDROM_MEDIA_DVD_RW_SEQ", "dvd_rw" },
	{ "ID_CDROM_MEDIA_DVD_RW_DL", "dvd_rw" },
	{ "ID_CDROM_MEDIA_DVD_RAM", "dvd_ram" },
	{ "ID_CDROM_MEDIA_DVD_PLUS_R", "dvd_plus_r" },
	{ "ID_CDROM_MEDIA_DVD_PLUS_RW", "dvd_plus_rw" },
	{ "ID_CDROM_MEDIA_DVD_PLUS_R_DL", "dvd_plus_r_dl" },
	{ "ID_CDROM_MEDIA_DVD_PLUS_RW_DL", "dvd_plus_rw_dl" },
	{ "ID_CDROM_MEDIA_BD", "bd" },
	{ "ID_CDROM_MEDIA_BD_R", "bd_r" },
	{ "ID_CDROM_MEDIA_BD_R_SRM", "bd_r" },
	{ "ID_CDROM_MEDIA_BD_R_RRM", "bd_r" },
	{ "ID_CDROM_MEDIA_BD_RE", "bd_re" },
	{ "ID_CDROM_MEDIA_HDDVD", "hddvd" },
	{ "ID_CDROM_MEDIA_HDDVD_R", "hddvd_r" },
	{ "ID_CDROM_MEDIA_HDDVD_R_DL", "hddvd_r" },
	{ "ID_CDROM_MEDIA_HDDVD_RW", "hddvd_rw" },
	{ "ID_CDROM_MEDIA_HDDVD_RW_DL", "hddvd_rw" },
	{ "ID_CDROM_MEDIA_HDDVD_RAM", "hddvd_rw" },
	{ "ID_CDROM_MEDIA_MO", "mo" },
	{ "ID_CDROM_MEDIA_MRW", "mrw" },
	{ "ID_CDROM_MEDIA_MRW_W", "mrw_w" },
};

static const gchar *
cb_udev_property(sd_device *device, const gchar *key)
{
	const char *value = NULL;

	if (sd_device_get_property_value(device, key, &value) < 0 || value == NULL)
		return "";
	return value;
}

static gboolean
cb_udev_property_is_set(sd_device *device, const gchar *key)
{
	return g_strcmp0(cb_udev_property(device, key), "1") == 0;
}

static const gchar *
cb_udev_media_name(sd_device *device)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cb_udev_media); i++) {
		if (cb_udev_property_is_set(device, cb_udev_media[i].property))
			return cb_udev_media[i].media;
	}
	return "";
}

/* cdrom_id's ID_CDROM_MEDIA_STATE: blank, appendable, complete, other */
static const gchar *
cb_udev_media_status(sd_device *device, gboolean present)
{
	const gchar *state = cb_udev_property(device, "ID_CDROM_MEDIA_STATE");

	if (!present)
		return "none";
	if (g_strcmp0(state, "blank") == 0 || g_strcmp0(state, "appendable") == 0)
		return state;
	/* "complete" is a closed disc; "other" is a formatted DVD-RAM with
	 * data; no state at all is a pressed CD-ROM: none of them is blank */
	return "full";
}

static gboolean
cb_udev_is_drive(sd_device *device)
{
	return cb_udev_property_is_set(device, "ID_CDROM");
}

static void
cb_udev_monitor_report(CbUdevMonitor *self, CbUdevAction action, sd_device *device)
{
	CbUdevDrive drive = { 0 };
	const char *syspath = NULL;
	const char *devname = NULL;

	if (sd_device_get_syspath(device, &syspath) < 0 ||
	    sd_device_get_devname(device, &devname) < 0)
		return;
	drive.device = devname;
	drive.sysfs_path = syspath;
	drive.vendor = cb_udev_property(device, "ID_VENDOR");
	drive.model = cb_udev_property(device, "ID_MODEL");
	drive.media_present = cb_udev_property_is_set(device, "ID_CDROM_MEDIA");
	drive.media = drive.media_present ? cb_udev_media_name(device) : "";
	drive.media_status = cb_udev_media_status(device, drive.media_present);

	switch (action) {
	case CB_UDEV_ADD:
		g_hash_table_add(self->drives, g_strdup(syspath));
		break;
	case CB_UDEV_REMOVE:
		g_hash_table_remove(self->drives, syspath);
		break;
	case CB_UDEV_CHANGE:
		break;
	}
	g_debug("udev: %s %s (%s) media %s %s",
		action == CB_UDEV_ADD ? "add" : (action == CB_UDEV_REMOVE ? "remove" : "change"),
		drive.device, drive.sysfs_path, drive.media, drive.media_status);
	self->func(action, &drive, self->user_data);
}

/* called from sd_event_run(), i.e. from our GSource */
static int
cb_udev_monitor_event(sd_device_monitor *monitor, sd_device *device, void *user_data)
{
	CbUdevMonitor *self = user_data;
	sd_device_action_t action = _SD_DEVICE_ACTION_INVALID;
	const char *syspath = NULL;
	gboolean known;

	if (sd_device_get_action(device, &action) < 0 ||
	    sd_device_get_syspath(device, &syspath) < 0)
		return 0;
	known = g_hash_table_contains(self->drives, syspath);

	switch (action) {
	case SD_DEVICE_ADD:
	case SD_DEVICE_CHANGE:
		if (!cb_udev_is_drive(device))
			return 0;
		/* the monitor starts before the enumeration, so an "add" may
		 * come for a drive we already reported */
		cb_udev_monitor_report(self, known ? CB_UDEV_CHANGE : CB_UDEV_ADD, device);
		break;
	case SD_DEVICE_REMOVE:
		if (known)
			cb_udev_monitor_report(self, CB_UDEV_REMOVE, device);
		break;
	default:
		break;
	}
	return 0;
}

static gboolean
cb_udev_monitor_dispatch(gint fd, GIOCondition condition, gpointer user_data)
{
	CbUdevMonitor *self = user_data;
	int ret;

	/* one event per sd_event_run(); empty the queue without blocking */
	do {
		ret = sd_event_run(self->event, 0);
	} while (ret > 0);
	if (ret < 0) {
		g_warning("udev events can no longer be read: %s", g_strerror(-ret));
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
cb_udev_monitor_enumerate(CbUdevMonitor *self, GError **error)
{
	g_autoptr(sd_device_enumerator) e = NULL;
	int ret;

	ret = sd_device_enumerator_new(&e);
	if (ret >= 0)
		ret = sd_device_enumerator_add_match_subsystem(e, "block", 1);
	if (ret >= 0)
		ret = sd_device_enumerator_add_match_property(e, "ID_CDROM", "1");
	if (ret < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot list optical drives: %s"),
			    g_strerror(-ret));
		return FALSE;
	}
	for (sd_device *d = sd_device_enumerator_get_device_first(e); d != NULL;
	     d = sd_device_enumerator_get_device_next(e))
		cb_udev_monitor_report(self, CB_UDEV_ADD, d);
	return TRUE;
}

static gboolean
cb_udev_monitor_start(CbUdevMonitor *self, GError **error)
{
	g_autoptr(GMainContext) context = g_main_context_ref_thread_default();
	int ret;

	ret = sd_event_new(&self->event);
	if (ret >= 0)
		ret = sd_device_monitor_new(&self->monitor);
	if (ret >= 0)
		ret = sd_device_monitor_filter_add_match_subsystem_devtype(self->monitor, "block",
									   "disk");
	if (ret >= 0)
		ret = sd_device_monitor_attach_event(self->monitor, self->event);
	if (ret >= 0)
		ret = sd_device_monitor_start(self->monitor, cb_udev_monitor_event, self);
	if (ret < 0) {
		/* e.g. EPERM or EPROTONOSUPPORT for the netlink socket in a
		 * container */
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot watch udev events: %s"),
			    g_strerror(-ret));
		return FALSE;
	}
	self->source = g_unix_fd_source_new(sd_event_get_fd(self->event), G_IO_IN);
	g_source_set_callback(self->source, G_SOURCE_FUNC(cb_udev_monitor_dispatch), self, NULL);
	g_source_set_static_name(self->source, "cryptburn udev monitor");
	g_source_attach(self->source, context);
	return TRUE;
}

CbUdevMonitor *
cb_udev_monitor_new(CbUdevFunc func, gpointer user_data, GError **error)
{
	g_autoptr(CbUdevMonitor) self = NULL;

	g_return_val_if_fail(func != NULL, NULL);

	if (!g_file_test(CB_UDEV_CONTROL, G_FILE_TEST_EXISTS)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("udev is not running (no %s): optical drives are neither found nor "
			      "followed"),
			    CB_UDEV_CONTROL);
		return NULL;
	}
	self = g_new0(CbUdevMonitor, 1);
	self->func = func;
	self->user_data = user_data;
	self->drives = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* watch first, then list: a drive plugged in between is not lost */
	if (!cb_udev_monitor_start(self, error))
		return NULL;
	if (!cb_udev_monitor_enumerate(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

void
cb_udev_monitor_free(CbUdevMonitor *self)
{
	if (self == NULL)
		return;
	if (self->source != NULL) {
		g_source_destroy(self->source);
		g_source_unref(self->source);
	}
	if (self->monitor != NULL) {
		sd_device_monitor_stop(self->monitor);
		sd_device_monitor_unref(self->monitor);
	}
	if (self->event != NULL)
		sd_event_unref(self->event);
	g_hash_table_unref(self->drives);
	g_free(self);
}
