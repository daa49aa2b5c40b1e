/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

#include <adwaita.h>

G_BEGIN_DECLS

/* what the command line asked for, beyond the files */
typedef struct {
	guint pbkdf_force_iterations; /* 0: the daemon's default */
	guint pbkdf_memory;	      /* KiB; 0: the daemon's default */
	CbSecret *passphrase;	      /* from --passphrase-fd, or NULL */
} CbDialogOptions;

/*
 * The burn dialog: the drives and their media as cryptburnd shows them,
 * the format and disc options and the passphrase; then the job's progress
 * and its result. A window closed during a burn only hides: the
 * application is held and reports through notifications until the job
 * ends. Main thread.
 */
#define CB_DIALOG_TYPE_WINDOW (cb_dialog_window_get_type())
G_DECLARE_FINAL_TYPE(CbDialogWindow, cb_dialog_window, CB_DIALOG, WINDOW, AdwApplicationWindow)

/* takes options->passphrase */
CbDialogWindow *
cb_dialog_window_new(GtkApplication *app, CbDialogOptions *options);
/* the files to burn; ignored while a burn runs */
void
cb_dialog_window_set_files(CbDialogWindow *self, GFile **files, gint n_files);
gboolean
cb_dialog_window_is_burning(CbDialogWindow *self);

/* what the application's actions do */
void
cb_dialog_window_burn(CbDialogWindow *self);
gboolean
cb_dialog_window_select_drive(CbDialogWindow *self, const gchar *spec);
gboolean
cb_dialog_window_set_format(CbDialogWindow *self, const gchar *format);
void
cb_dialog_window_cancel(CbDialogWindow *self);
void
cb_dialog_window_eject(CbDialogWindow *self);

G_END_DECLS
