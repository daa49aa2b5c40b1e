/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* initialises libgcrypt once, with a locked pool for key schedules;
 * safe to call from any thread, any number of times */
gboolean
cb_crypto_init(GError **error);

G_END_DECLS
