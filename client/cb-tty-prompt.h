/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* asks one question on the controlling terminal without echo, and stops
 * waiting with G_IO_ERROR_CANCELLED when cancellable is cancelled; without
 * a terminal it fails with CB_ERROR_PASSPHRASE_REQUIRED. It blocks, so it
 * runs on a worker thread; it touches nothing but the terminal. */
CbSecret *
cb_tty_prompt(const gchar *prompt, GCancellable *cancellable, GError **error);

G_END_DECLS
