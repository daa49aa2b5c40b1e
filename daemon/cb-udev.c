/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Optical drives from udev, through libsystemd's sd-device.
 *
 * Threads: everything here runs on the main thread (the thread-default
 * GMainContext of the thread that created the monitor), so CbUdevFunc is
 * called between D-Bus calls, never concurrently.
 *
 * Events come from udevd's database, not from sd_device_monitor: the
 * service runs with PrivateNetwork=yes, and udevd's netlink multicast does
 * not cross network namespaces (systemd.exec(5), PrivateNetwork=), so a
 * monitor there would never hear of a drive or a disc. udevd writes the
 * database entry /run/udev/data/bMAJOR:MINOR of a device when it has
 * handled an event for it (after cdrom_id has read a new disc), and
 * removes it when the device goes: inotify on that directory sees every
 * add, media change and removal, in any network namespace. sd-device then
 * reads the device's properties from sysfs and that same database.
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

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/sysmacros.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_device_enumerator, sd_device_enumerator_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_device, sd_device_unref)

/* written by udevd while it runs; systemd itself checks it the same way */
#define CB_UDEV_CONTROL "/run/udev/control"
/* udevd's database: one file per device, replaced when udevd has handled
 * an event for it, removed when the device goes */
#define CB_UDEV_DB "/run/udev/data"

struct _CbUdevMonitor {
	CbUdevFunc func;
	gpointer user_data;
	gint inotify_fd;
	guint source_id;
	/* the drives reported so far: database name ("b11:0") -> CbUdevKnown */
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

/* what a removal still needs to say once the device is gone */
typedef struct {
	gchar *syspath;
	gchar *devname;
} CbUdevKnown;

static void
cb_udev_known_free(CbUdevKnown *known)
{
	g_free(known->syspath);
	g_free(known->devname);
	g_free(known);
}

static gchar *
cb_udev_db_name(sd_device *device)
{
	dev_t devnum;

	if (sd_device_get_devnum(device, &devnum) < 0)
		return NULL;
	return g_strdup_printf("b%u:%u", major(devnum), minor(devnum));
}

static void
cb_udev_monitor_report(CbUdevMonitor *self, CbUdevAction action, sd_device *device)
{
	CbUdevDrive drive = { 0 };
	const char *syspath = NULL;
	const char *devname = NULL;
	g_autofree gchar *key = cb_udev_db_name(device);

	if (key == NULL || sd_device_get_syspath(device, &syspath) < 0 ||
	    sd_device_get_devname(device, &devname) < 0)
		return;
	drive.device = devname;
	drive.sysfs_path = syspath;
	drive.vendor = cb_udev_property(device, "ID_VENDOR");
	drive.model = cb_udev_property(device, "ID_MODEL");
	drive.media_present = cb_udev_property_is_set(device, "ID_CDROM_MEDIA");
	drive.media = drive.media_present ? cb_udev_media_name(device) : "";
	drive.media_status = cb_udev_media_status(device, drive.media_present);
	if (action == CB_UDEV_ADD) {
		CbUdevKnown *known = g_new0(CbUdevKnown, 1);

		known->syspath = g_strdup(syspath);
		known->devname = g_strdup(devname);
		g_hash_table_insert(self->drives, g_steal_pointer(&key), known);
	}
	g_debug("udev: %s %s (%s) media %s %s", action == CB_UDEV_ADD ? "add" : "change",
		drive.device, drive.sysfs_path, drive.media, drive.media_status);
	self->func(action, &drive, self->user_data);
}

static void
cb_udev_monitor_report_removed(CbUdevMonitor *self, const gchar *key)
{
	CbUdevKnown *known = g_hash_table_lookup(self->drives, key);
	CbUdevDrive drive = {
		.device = known->devname,
		.sysfs_path = known->syspath,
		.vendor = "",
		.model = "",
		.media = "",
		.media_status = "none",
	};

	g_debug("udev: remove %s (%s)", drive.device, drive.sysfs_path);
	self->func(CB_UDEV_REMOVE, &drive, self->user_data);
	g_hash_table_remove(self->drives, key);
}

/* a database file name "bMAJOR:MINOR" as a block device number */
static gboolean
cb_udev_parse_db_name(const gchar *name, dev_t *devnum)
{
	guint major_nr = 0;
	guint minor_nr = 0;
	gchar tail = 0;

	if (name[0] != 'b' || sscanf(name + 1, "%u:%u%c", &major_nr, &minor_nr, &tail) != 2)
		return FALSE;
	*devnum = makedev(major_nr, minor_nr);
	return TRUE;
}

/* udevd rewrote (or removed) the database entry of one device: the end
 * of its processing of an event, with every property final */
static void
cb_udev_monitor_db_changed(CbUdevMonitor *self, const gchar *name, gboolean removed)
{
	g_autoptr(sd_device) device = NULL;
	g_autofree gchar *key = g_strdup(name);
	const char *devtype = NULL;
	gboolean known = g_hash_table_contains(self->drives, key);
	dev_t devnum;

	if (!cb_udev_parse_db_name(name, &devnum))
		return;
	if (removed || sd_device_new_from_devnum(&device, 'b', devnum) < 0) {
		if (known)
			cb_udev_monitor_report_removed(self, key);
		return;
	}
	if (sd_device_get_devtype(device, &devtype) < 0 || g_strcmp0(devtype, "disk") != 0 ||
	    !cb_udev_is_drive(device))
		return;
	cb_udev_monitor_report(self, known ? CB_UDEV_CHANGE : CB_UDEV_ADD, device);
}

static gboolean
cb_udev_monitor_dispatch(gint fd, GIOCondition condition, gpointer user_data)
{
	CbUdevMonitor *self = user_data;
	/* aligned as inotify's records need */
	guint8 buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	gssize n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		g_warning("udev events can no longer be read: %s",
			  n < 0 ? g_strerror(errno) : "end of file");
		return G_SOURCE_REMOVE;
	}
	for (guint8 *p = buf; p < buf + n;) {
		const struct inotify_event *event = (const struct inotify_event *) p;

		if (event->mask & IN_Q_OVERFLOW)
			g_warning("missed udev events: the inotify queue overflowed");
		else if (event->len > 0)
			cb_udev_monitor_db_changed(
			    self, event->name, (event->mask & (IN_DELETE | IN_MOVED_FROM)) != 0);
		p += sizeof(struct inotify_event) + event->len;
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
	self->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (self->inotify_fd < 0 ||
	    inotify_add_watch(self->inotify_fd, CB_UDEV_DB,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot watch %s: %s"), CB_UDEV_DB,
			    g_strerror(errno));
		return FALSE;
	}
	self->source_id = g_unix_fd_add(self->inotify_fd, G_IO_IN, cb_udev_monitor_dispatch, self);
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
	self->inotify_fd = -1;
	self->drives = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify) cb_udev_known_free);
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
	g_clear_handle_id(&self->source_id, g_source_remove);
	if (self->inotify_fd >= 0)
		close(self->inotify_fd);
	g_hash_table_unref(self->drives);
	g_free(self);
}
