/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a one-line progress display on a terminal: percent, MB/s, time left.
 * Silent when stderr is not a terminal. Main thread only. */
typedef struct _CbProgress CbProgress;

CbProgress *
cb_progress_new(const gchar *label, gboolean enabled);
void
cb_progress_update(CbProgress *self, guint64 done, guint64 total);
/* redraws the line with a text made by the caller, e.g. a job's state */
void
cb_progress_show(CbProgress *self, const gchar *text);
/* clears the line */
void
cb_progress_finish(CbProgress *self);
void
cb_progress_free(CbProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbProgress, cb_progress_free)

G_END_DECLS
