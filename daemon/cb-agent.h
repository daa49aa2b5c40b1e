/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Asking a client's PassphraseAgent, the way NetworkManager asks a secret
 * agent: only the connection that submitted the job, with a finite
 * timeout, and a Cancel(job) when we give up so its prompt closes.
 * Runs on a job's worker thread (the call blocks).
 */
CbSecret *
cb_agent_request_passphrase(GDBusConnection *bus,
			    const gchar *peer,
			    const gchar *agent_path,
			    const gchar *job_path,
			    const gchar *message,
			    GVariant *hints,
			    guint timeout_ms,
			    GCancellable *cancellable,
			    GError **error);

G_END_DECLS
