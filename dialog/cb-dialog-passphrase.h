/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * The passphrase part of the window: the passphrase twice, a show/hide
 * toggle (the entries' peek icon), and libpwquality's score in a level bar,
 * with its reason when it calls the passphrase weak: cryptburnd refuses
 * such a passphrase unless allow-weak-passphrase is set, which the dialog
 * never sets. Emits "changed" when it becomes acceptable or stops being so.
 */
#define CB_DIALOG_TYPE_PASSPHRASE (cb_dialog_passphrase_get_type())
G_DECLARE_FINAL_TYPE(CbDialogPassphrase, cb_dialog_passphrase, CB_DIALOG, PASSPHRASE, GtkBox)

GtkWidget *
cb_dialog_passphrase_new(void);
/* both entries agree, and the passphrase is not empty nor weak */
gboolean
cb_dialog_passphrase_is_acceptable(CbDialogPassphrase *self);
/* the passphrase in locked memory; NULL unless acceptable */
CbSecret *
cb_dialog_passphrase_dup_secret(CbDialogPassphrase *self, GError **error);
/* a passphrase given with --passphrase-fd: the entries give way to a note */
void
cb_dialog_passphrase_set_preset(CbDialogPassphrase *self, CbSecret *passphrase);
/* empties the entries once the passphrase went to the agent */
void
cb_dialog_passphrase_clear(CbDialogPassphrase *self);

G_END_DECLS
