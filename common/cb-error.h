/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* one error domain for the whole project; the daemon maps it onto
 * org.cryptburn.CryptBurn1.Error.* names */
#define CB_ERROR (cb_error_quark())

typedef enum {
	CB_ERROR_FAILED,	 /* anything without a better name */
	CB_ERROR_INVALID_OPTION, /* a bad option value or combination */
	CB_ERROR_SOURCE,	 /* a source is missing or unreadable */
	CB_ERROR_OUTPUT,	 /* the output cannot be created or written */
	CB_ERROR_NO_SPACE,	 /* the output does not fit */
	CB_ERROR_PASSPHRASE,	 /* empty, weak, mismatched or unreadable passphrase */
	CB_ERROR_CANCELLED,	 /* the user or a signal stopped the work */
	CB_ERROR_NOT_SUPPORTED,	 /* a format or an image we do not know */
	CB_ERROR_CRYPTO,	 /* the cipher library refused */
} CbError;

GQuark
cb_error_quark(void);

/* true for errors that mean "stopped on request", from us or from GIO */
gboolean
cb_error_is_cancelled(const GError *error);

G_END_DECLS
