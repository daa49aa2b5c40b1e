/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-daemon.h"
#include "cb-drive-backend.h"

G_BEGIN_DECLS

/* the whole daemon: options, config, the bus name, the main loop, until
 * SIGTERM or idle exit; returns the exit status. backend serves every
 * drive (see cb-drive-backend.h). */
int
cb_main_run(int argc, char **argv, const CbDriveBackend *backend);

/* the [Daemon] group of a cryptburnd.conf over what config holds; path
 * only names the file in errors. cb_main_run() calls it once the file is
 * found to be root's; tests/fuzz/ calls it with any text. */
gboolean
cb_main_config_from_key_file(GKeyFile *file,
			     const gchar *path,
			     CbDaemonConfig *config,
			     GError **error);

G_END_DECLS
