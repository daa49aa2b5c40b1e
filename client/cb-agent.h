/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-client.h"

G_BEGIN_DECLS

/*
 * The org.cryptburn.CryptBurn1.PassphraseAgent this client exports on its
 * own connection and names in the "agent" option of the jobs it starts.
 * It answers only the service's unique name, only for those jobs, one
 * terminal prompt per call. Main thread; the prompts run on a worker.
 */
typedef struct _CbAgent CbAgent;

CbAgent *
cb_agent_new(CbClient *client, GError **error);
/* cancels any prompt and waits until the terminal is restored */
void
cb_agent_free(CbAgent *self);

const gchar *
cb_agent_get_path(CbAgent *self);
/* while a job is being started, a request for an unknown job may be for
 * that job: it is held until the start call returned */
void
cb_agent_set_starting(CbAgent *self, gboolean starting);
/* a job this client started, whose requests it answers */
void
cb_agent_add_job(CbAgent *self, const gchar *job_path);
/* whether a prompt is on the terminal (a progress line would garble it) */
gboolean
cb_agent_is_prompting(CbAgent *self);
/* abandons every prompt, e.g. on Ctrl-C */
void
cb_agent_cancel_all(CbAgent *self);
/* abandons every prompt and waits until the terminal is restored */
void
cb_agent_stop(CbAgent *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbAgent, cb_agent_free)

G_END_DECLS
