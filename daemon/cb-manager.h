/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-daemon.h"

G_BEGIN_DECLS

/*
 * The method calls of every object: the Manager's become jobs, and so
 * does Drive.Blank; Drive.Eject and the Job methods act at once. Each call is
 * parsed into a CbRequest and authorized from it (cb-authority.c) before
 * anything happens. Main thread.
 */
GDBusObjectSkeleton *
cb_manager_new(CbDaemon *daemon);

/* Drive.Blank and Drive.Eject of a drive */
void
cb_manager_handle_drive(CbDaemon *daemon, CbDrive *drive);

/* Job.Cancel and Job.GetError of a job */
void
cb_manager_handle_job(CbDaemon *daemon, CbJob *job);

G_END_DECLS
