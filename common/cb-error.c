/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"

#include <gio/gio.h>

G_DEFINE_QUARK(cryptburn-error-quark, cb_error)

gboolean
cb_error_is_cancelled(const GError *error)
{
	return g_error_matches(error, CB_ERROR, CB_ERROR_CANCELLED) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}
