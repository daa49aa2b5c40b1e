/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-drive-backend.h"

G_BEGIN_DECLS

/*
 * The tests' drive backend (see cb-drive-backend.h): every drive is a
 * scripted drive, a directory whose files say which disc is in the tray
 * and receive what is written to it (cb-scripted-tray.h). A test plays
 * media events by changing those files while the daemon runs: a disc put
 * in or taken out, discs queued for the next copy. Only the tests' daemon,
 * cryptburnd-scripted, is built with it.
 */
extern const CbDriveBackend cb_scripted_backend;

G_END_DECLS
