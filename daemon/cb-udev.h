/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Optical drives as udev knows them, through libsystemd's sd-device:
 * block devices with ID_CDROM=1. Enumerated when the monitor starts, then
 * followed (add, change with media insert/eject, remove) on the main
 * thread's GMainContext.
 */

typedef enum {
	CB_UDEV_ADD,
	CB_UDEV_CHANGE,
	CB_UDEV_REMOVE,
} CbUdevAction;

typedef struct {
	const gchar *device;	   /* "/dev/sr0" */
	const gchar *sysfs_path;   /* stable while the drive exists */
	const gchar *vendor;	   /* ID_VENDOR, "" if unknown */
	const gchar *model;	   /* ID_MODEL, "" if unknown */
	gboolean media_present;	   /* ID_CDROM_MEDIA=1 */
	const gchar *media;	   /* udisks' name from ID_CDROM_MEDIA_*, "" if none */
	const gchar *media_status; /* from ID_CDROM_MEDIA_STATE: blank, appendable, full, none */
} CbUdevDrive;

typedef void (*CbUdevFunc)(CbUdevAction action, const CbUdevDrive *drive, gpointer user_data);

typedef struct _CbUdevMonitor CbUdevMonitor;

/* calls func with CB_UDEV_ADD for every drive present, before returning,
 * then for every event; fails when sd-device cannot enumerate or monitor
 * (e.g. no udev in a container), which the daemon survives */
CbUdevMonitor *
cb_udev_monitor_new(CbUdevFunc func, gpointer user_data, GError **error);
void
cb_udev_monitor_free(CbUdevMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbUdevMonitor, cb_udev_monitor_free)

G_END_DECLS
