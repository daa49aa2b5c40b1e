/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-fd-wait.h"

G_BEGIN_DECLS

/*
 * An image file that appears under its name only when complete. It is
 * written as an unnamed file (O_TMPFILE) and linked in by commit, so a
 * failure, Ctrl-C or even a crash leaves nothing half-written behind, and
 * an existing file replaced with force survives until the new one is done
 * and on disk.
 * "-" is standard output, written as it comes.
 */
typedef struct _CbOutput CbOutput;

/* what open would refuse, without creating anything: an existing file
 * without force, a directory, an unwritable folder */
gboolean
cb_output_check(const gchar *path, gboolean force, GError **error);
CbOutput *
cb_output_open(const gchar *path, gboolean force, guint64 expected_size, GError **error);
gboolean
cb_output_write(CbOutput *self, const guint8 *buf, gsize len, GError **error);
/* the same on any fd (a pipe, a file a client opened): all of buf,
 * through short writes and signals; a full file system is
 * CB_ERROR_NO_SPACE, anything else CB_ERROR_OUTPUT, naming what */
gboolean
cb_output_write_fd(int fd, const gchar *what, const guint8 *buf, gsize len, GError **error);
/* the same on a client's fd, made non-blocking: a wait for room in it ends
 * on wait's cancellable (CB_ERROR_CANCELLED) or its stall limit
 * (CB_ERROR_OUTPUT); NULL waits as a blocking write would */
gboolean
cb_output_write_fd_waiting(
    int fd, const gchar *what, const guint8 *buf, gsize len, const CbFdWait *wait, GError **error);
/* writes buf again at offset 0: a header that records what only the
 * finished payload tells (its checksum); not on standard output */
gboolean
cb_output_rewrite_start(CbOutput *self, const guint8 *buf, gsize len, GError **error);
/* the checksum of what the file holds now, read back */
gchar *
cb_output_checksum(CbOutput *self, GChecksumType type, GError **error);
/* puts the finished file in place */
gboolean
cb_output_commit(CbOutput *self, GError **error);
/* without commit: the partial file disappears */
void
cb_output_free(CbOutput *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbOutput, cb_output_free)

G_END_DECLS
