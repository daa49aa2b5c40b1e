/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"

#include <gio/gio.h>

GQuark
cb_error_quark(void)
{
	/* spelled out: G_DEFINE_QUARK's token pasting does not survive clang-format */
	return g_quark_from_static_string("cryptburn-error-quark");
}

gboolean
cb_error_is_cancelled(const GError *error)
{
	return g_error_matches(error, CB_ERROR, CB_ERROR_CANCELLED) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}
