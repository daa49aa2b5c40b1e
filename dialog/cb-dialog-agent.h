/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"
#include "cb-secret.h"

G_BEGIN_DECLS

/*
 * The dialog's org.cryptburn.CryptBurn1.PassphraseAgent, exported on its
 * own system bus connection and named in the "agent" option of the one job
 * the dialog runs at a time. It answers only the service's unique name,
 * with a copy of the passphrase typed in the window (the service asks
 * twice for a new one, the second time with the "confirm" hint, and
 * compares the answers itself). Main thread.
 */
#define CB_DIALOG_TYPE_AGENT (cb_dialog_agent_get_type())
G_DECLARE_FINAL_TYPE(CbDialogAgent, cb_dialog_agent, CB_DIALOG, AGENT, GObject)

CbDialogAgent *
cb_dialog_agent_new(GDBusConnection *connection, const gchar *service_owner, GError **error);
const gchar *
cb_dialog_agent_get_path(CbDialogAgent *self);
/* the service's unique name now (NULL while it is gone): a restarted
 * service has a new one */
void
cb_dialog_agent_set_service_owner(CbDialogAgent *self, const gchar *service_owner);
/* takes the passphrase; NULL wipes it, and refuses later requests */
void
cb_dialog_agent_set_passphrase(CbDialogAgent *self, CbSecret *passphrase);
/* the job being started (NULL while BurnFiles has not returned yet:
 * requests for any job are then taken to be for it) */
void
cb_dialog_agent_set_job(CbDialogAgent *self, const gchar *job_path);

G_END_DECLS
