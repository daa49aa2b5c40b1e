/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/*
 * cryptburn-reader, the helper that reads a caller's files: the daemon
 * starts it with the caller's uid, gid and supplementary groups, so a file
 * the caller cannot read cannot be burned although the daemon is root.
 *
 * Protocol (all on pipes, nothing in argv or the environment):
 *   stdin   a guint32 little-endian length, then a serialized GVariant of
 *           type (asa{sv}): absolute source paths and the ISO options
 *           "volume-id", "application-id", "publisher", "preparer",
 *           "system-id" (s), "grafts" (as), "no-md5" (b)
 *   stdout  a guint64 little-endian image size, then exactly that many
 *           bytes of ISO image
 *   stderr  lines "warning: TEXT" while working; on failure a last line
 *           "error: CODE TEXT" with CODE a CbError number; exit status 1
 *
 * The functions below run on a job's worker thread, except
 * cb_reader_spawn which may run anywhere.
 */

typedef struct _CbReader CbReader;

typedef void (*CbReaderWarningFunc)(const gchar *message, gpointer user_data);

/* starts reader_path as uid, with that user's primary group and groups,
 * an empty environment and "/" as working directory */
CbReader *
cb_reader_spawn(const gchar *reader_path,
		uid_t uid,
		const gchar *const *sources,
		GVariant *iso_options,
		GError **error);
void
cb_reader_set_warning_func(CbReader *self, CbReaderWarningFunc func, gpointer user_data);
/* blocks until the reader announced the image size, or failed */
gboolean
cb_reader_wait_size(CbReader *self, guint64 *size, GCancellable *cancellable, GError **error);
/* a CbSourceReadFunc: fills buf, 0 at the end, -1 with the reader's own
 * error (CB_ERROR_SOURCE for an unreadable file) when it failed */
gssize
cb_reader_read(CbReader *self, guint8 *buf, gsize len, GError **error);
/* kills the reader if it still runs, and reaps it */
void
cb_reader_free(CbReader *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbReader, cb_reader_free)

G_END_DECLS
