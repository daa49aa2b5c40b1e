/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"
#include "cb-udev.h"

G_BEGIN_DECLS

/*
 * One drive as a Drive object: a udev optical drive ("/dev/sr0") or a
 * test drive ("stdio:PATH", from the daemon's command line or config
 * only). Media properties come from udev and from a libburn query on a
 * GTask thread when the disc changes and after each job. A drive runs one
 * job at a time. Reference counted: a job keeps its drive alive even when
 * udev removes it mid-burn. Main thread, except where noted.
 */
typedef struct _CbDrive CbDrive;

/* id: the last element of the object path ("sr0", "test0") */
CbDrive *
cb_drive_new(const gchar *id, const gchar *device, guint64 stdio_capacity);
CbDrive *
cb_drive_ref(CbDrive *self);
void
cb_drive_unref(CbDrive *self);

const gchar *
cb_drive_get_path(CbDrive *self);
/* any thread: fixed at creation */
const gchar *
cb_drive_get_device(CbDrive *self);
guint64
cb_drive_get_stdio_capacity(CbDrive *self);
GDBusObjectSkeleton *
cb_drive_get_object(CbDrive *self);

/* marks the drive busy with job_path; CB_ERROR_BUSY if it already is */
gboolean
cb_drive_claim(CbDrive *self, const gchar *job_path, GError **error);
/* frees it and reads the media again */
void
cb_drive_release(CbDrive *self);

void
cb_drive_update_from_udev(CbDrive *self, const CbUdevDrive *udev);
/* reads the media with libburn in a thread, unless a job holds the drive */
void
cb_drive_refresh(CbDrive *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbDrive, cb_drive_unref)

G_END_DECLS
