/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"
#include "cb-burner.h"
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
/* Drive.Eject, authorized: claims the drive, opens its tray on a thread
 * and answers the call, whose reference it takes */
void
cb_drive_eject(CbDrive *self, GDBusMethodInvocation *invocation);

void
cb_drive_update_from_udev(CbDrive *self, const CbUdevDrive *udev);
/* the disc changed (udev, or the backend's own events): wakes a job
 * waiting for one and reads the media again */
void
cb_drive_media_changed(CbDrive *self);

/* any thread: counts media changes */
guint
cb_drive_get_media_generation(CbDrive *self);
/* any thread: waits until the count differs from since (TRUE), or until
 * the monotonic time until or a cancel (FALSE) */
gboolean
cb_drive_wait_media_change(CbDrive *self, guint since, gint64 until, GCancellable *cancellable);
/* any thread: what a job found in the drive, into the properties (on the
 * main thread, soon) */
void
cb_drive_report_media(CbDrive *self, const CbMediaInfo *info);
/* reads the media with libburn in a thread, unless a job holds the drive */
void
cb_drive_refresh(CbDrive *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbDrive, cb_drive_unref)

G_END_DECLS
