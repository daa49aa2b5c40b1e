/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * The drive list of the burn dialog and the line under it that tells what
 * is in the selected drive, both live from cryptburnd's objects: drives
 * come and go with the object manager's objects (a restarted service
 * removes them all and adds them again), and the media line follows the
 * drives' property changes. "changed" is emitted whenever the selection or
 * what can be said about the selected drive changes. Main thread.
 */
#define CB_DIALOG_TYPE_DRIVE_CHOOSER (cb_dialog_drive_chooser_get_type())
G_DECLARE_FINAL_TYPE(
    CbDialogDriveChooser, cb_dialog_drive_chooser, CB_DIALOG, DRIVE_CHOOSER, GtkBox)

GtkWidget *
cb_dialog_drive_chooser_new(void);
/* the service's objects, or NULL when it cannot be reached */
void
cb_dialog_drive_chooser_set_manager(CbDialogDriveChooser *self, GDBusObjectManager *manager);
/* the selected drive's object path, or NULL */
const gchar *
cb_dialog_drive_chooser_get_selected(CbDialogDriveChooser *self);
/* a drive named by object path, its last element ("test0") or its device
 * ("/dev/sr0"); FALSE when there is no such drive */
gboolean
cb_dialog_drive_chooser_select(CbDialogDriveChooser *self, const gchar *spec);
/* the drive at an object path, or NULL */
CbDBusDrive *
cb_dialog_drive_chooser_get_drive(CbDialogDriveChooser *self, const gchar *path);
/* a drive is selected and no job holds it */
gboolean
cb_dialog_drive_chooser_is_ready(CbDialogDriveChooser *self);

G_END_DECLS
