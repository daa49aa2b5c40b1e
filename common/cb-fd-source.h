/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-fd-wait.h"

G_BEGIN_DECLS

/*
 * A plain (unencrypted) image read from a file descriptor, e.g. the ISO
 * stream another burning program hands over a pipe. The size must be
 * known before the first byte is written: fstat() for a regular file or
 * block device, the caller's word, or the volume space size in the ISO
 * 9660 primary volume descriptor at byte 32768 (read ahead and kept).
 * A last partial sector is padded with zeros to 2048 bytes.
 */
typedef struct _CbFdSource CbFdSource;

/* size 0: find it out as above; fails with CB_ERROR_SOURCE when it cannot.
 * fd stays the caller's. */
CbFdSource *
cb_fd_source_new(int fd, guint64 size, GError **error);
/* the same for a client's fd: every wait for it ends on wait's
 * cancellable (CB_ERROR_CANCELLED) or after its stall limit
 * (CB_ERROR_SOURCE); wait is copied, its cancellable borrowed */
CbFdSource *
cb_fd_source_new_waiting(int fd, guint64 size, const CbFdWait *wait, GError **error);
void
cb_fd_source_free(CbFdSource *self);
/* the padded size the pipeline will see, a multiple of 2048 */
guint64
cb_fd_source_get_size(CbFdSource *self);
/* a CbSourceReadFunc; a stream that ends early or runs past its size is
 * a CB_ERROR_SOURCE error naming both sizes */
gssize
cb_fd_source_read(CbFdSource *self, guint8 *buf, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbFdSource, cb_fd_source_free)

G_END_DECLS
