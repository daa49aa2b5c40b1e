/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * For parsers that take a path: the fuzz input as an anonymous in-memory
 * file, so that a run writes nothing to disk and leaves nothing behind.
 */
typedef struct {
	int fd;
	gchar *path; /* /proc/self/fd/N */
} CbFuzzFile;

/* the file holds data, then zeros up to min_size (a hole, which costs
 * nothing); FALSE only when the kernel refuses a memfd */
gboolean
cb_fuzz_file_open(CbFuzzFile *file, const guint8 *data, gsize size, gsize min_size);
void
cb_fuzz_file_clear(CbFuzzFile *file);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbFuzzFile, cb_fuzz_file_clear)

G_END_DECLS
