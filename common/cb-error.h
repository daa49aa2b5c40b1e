/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* one error domain for the whole project, registered with GDBus so that
 * it crosses the bus as org.cryptburn.CryptBurn1.Error.* names and comes
 * back as the same code */
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
	/* from here on, errors of the service */
	CB_ERROR_NOT_AUTHORIZED,      /* polkit said no */
	CB_ERROR_BUSY,		      /* the drive runs another job, or too many jobs */
	CB_ERROR_NO_MEDIA,	      /* no disc in the drive */
	CB_ERROR_MEDIA_TOO_SMALL,     /* the image does not fit on the disc */
	CB_ERROR_UNSUPPORTED_MEDIA,   /* the disc cannot be written */
	CB_ERROR_PASSPHRASE_REQUIRED, /* no passphrase source, or the agent gave up */
	CB_ERROR_NO_SUCH_DRIVE,	      /* the drive object does not exist */
	CB_ERROR_CHECKSUM_MISMATCH,   /* verify: the payload differs from its record */
	CB_ERROR_NO_CHECKSUM,	      /* verify: the image records no checksum */
} CbError;

/* the D-Bus name prefix of CB_ERROR codes, e.g. PREFIX "MediaTooSmall" */
#define CB_DBUS_ERROR_PREFIX "org.cryptburn.CryptBurn1.Error."

GQuark
cb_error_quark(void);

/* true for errors that mean "stopped on request", from us or from GIO */
gboolean
cb_error_is_cancelled(const GError *error);

/* the org.cryptburn.CryptBurn1.Error.* name for a job's Completed signal */
const gchar *
cb_error_to_dbus_name(const GError *error);

G_END_DECLS
