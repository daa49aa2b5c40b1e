/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-daemon.h"

G_BEGIN_DECLS

/* the Manager object: its method calls become jobs. Main thread. */
GDBusObjectSkeleton *
cb_manager_new(CbDaemon *daemon);

/* Drive.Blank, which also becomes a job */
void
cb_manager_handle_blank(CbDaemon *daemon, CbDrive *drive);

G_END_DECLS
