/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-client.h"

G_BEGIN_DECLS

/* How a job is doing, from its properties: for the progress line, the
 * --json progress events and the job list. Main thread only. */

/* "Writing  42%  1.2 GB / 2.9 GB  8.1 MB/s  3:20 left  buffer  97%" */
gchar *
cb_job_status_text(CbClient *client, CbDBusJob *job);
/* one line: {"event": "progress", "job": ..., "state": ..., ...} */
void
cb_job_status_print_json(const gchar *job_path, CbDBusJob *job);
/* what a phase is called on the terminal */
const gchar *
cb_job_status_phase_label(const gchar *phase);

G_END_DECLS
