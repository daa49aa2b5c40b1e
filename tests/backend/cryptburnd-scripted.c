/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburnd-scripted: the tests' daemon, cryptburnd itself on the
 * scripted drive backend. Each --test-drive DIR is a scripted drive whose
 * disc a test puts in, takes out and queues (cb-scripted-tray.h). Built
 * by tests/backend/meson.build only, never installed.
 */
#include "cb-main.h"
#include "cb-scripted-backend.h"

int
main(int argc, char **argv)
{
	return cb_main_run(argc, argv, &cb_scripted_backend);
}
