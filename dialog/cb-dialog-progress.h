/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * The progress page of the burn dialog: what the job is doing in words
 * ("Writing", "Waiting for a disc"), a bar with the percent, the speed,
 * the time left and which copy, and the service's message while it waits
 * for a disc. Main thread.
 */
#define CB_DIALOG_TYPE_PROGRESS (cb_dialog_progress_get_type())
G_DECLARE_FINAL_TYPE(CbDialogProgress, cb_dialog_progress, CB_DIALOG, PROGRESS, GtkBox)

GtkWidget *
cb_dialog_progress_new(void);
/* "Starting", at 0 %: a burn was asked for, no job exists yet */
void
cb_dialog_progress_reset(CbDialogProgress *self);
/* shows the job's state; returns its percent done */
guint
cb_dialog_progress_update(CbDialogProgress *self, CbDBusJob *job);

/* the words for a job's State and Phase */
const gchar *
cb_dialog_progress_phase_text(const gchar *state, const gchar *phase);

G_END_DECLS
