/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sys/stat.h>
#include <sys/types.h>

G_BEGIN_DECLS

/*
 * fstat() of a file descriptor a client handed over, off the main thread.
 * The fd may be a file on the client's own FUSE mount whose getattr never
 * answers: fstat() would then never return, and no signal ends it. So it
 * runs on a detached thread of its own, the request gives up on it after
 * CB_FD_PROBE_TIMEOUT_S, and a uid may have only CB_FD_PROBE_MAX_PER_UID
 * probes on their way (one that hangs counts until its thread returns, if
 * it ever does), which bounds the threads a client can pin.
 *
 * Main thread; done is called on it, once.
 */

#define CB_FD_PROBE_TIMEOUT_S 10
#define CB_FD_PROBE_MAX_PER_UID 2

/* st is NULL when error is set */
typedef void (*CbFdProbeFunc)(const struct stat *st, const GError *error, gpointer user_data);

/* what the fd is for, in the messages: e.g. "the image" */
gboolean
cb_fd_probe(
    gint fd, uid_t uid, const gchar *what, CbFdProbeFunc done, gpointer user_data, GError **error);

/* probes whose thread has not come back (for the tests' log) */
guint
cb_fd_probe_count_running(void);

G_END_DECLS
