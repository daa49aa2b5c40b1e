/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-drive-backend.h"

G_BEGIN_DECLS

/* the whole daemon: options, config, the bus name, the main loop, until
 * SIGTERM or idle exit; returns the exit status. backend serves every
 * drive (see cb-drive-backend.h). */
int
cb_main_run(int argc, char **argv, const CbDriveBackend *backend);

G_END_DECLS
