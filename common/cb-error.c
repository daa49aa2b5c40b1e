/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-error.h"

#include <gio/gio.h>

static const GDBusErrorEntry cb_dbus_error_entries[] = {
	{ CB_ERROR_FAILED, CB_DBUS_ERROR_PREFIX "Failed" },
	{ CB_ERROR_INVALID_OPTION, CB_DBUS_ERROR_PREFIX "InvalidOption" },
	{ CB_ERROR_SOURCE, CB_DBUS_ERROR_PREFIX "Source" },
	{ CB_ERROR_OUTPUT, CB_DBUS_ERROR_PREFIX "Output" },
	{ CB_ERROR_NO_SPACE, CB_DBUS_ERROR_PREFIX "NoSpace" },
	{ CB_ERROR_PASSPHRASE, CB_DBUS_ERROR_PREFIX "Passphrase" },
	{ CB_ERROR_CANCELLED, CB_DBUS_ERROR_PREFIX "Cancelled" },
	{ CB_ERROR_NOT_SUPPORTED, CB_DBUS_ERROR_PREFIX "NotSupported" },
	{ CB_ERROR_CRYPTO, CB_DBUS_ERROR_PREFIX "Crypto" },
	{ CB_ERROR_NOT_AUTHORIZED, CB_DBUS_ERROR_PREFIX "NotAuthorized" },
	{ CB_ERROR_BUSY, CB_DBUS_ERROR_PREFIX "Busy" },
	{ CB_ERROR_NO_MEDIA, CB_DBUS_ERROR_PREFIX "NoMedia" },
	{ CB_ERROR_MEDIA_TOO_SMALL, CB_DBUS_ERROR_PREFIX "MediaTooSmall" },
	{ CB_ERROR_UNSUPPORTED_MEDIA, CB_DBUS_ERROR_PREFIX "UnsupportedMedia" },
	{ CB_ERROR_PASSPHRASE_REQUIRED, CB_DBUS_ERROR_PREFIX "PassphraseRequired" },
	{ CB_ERROR_NO_SUCH_DRIVE, CB_DBUS_ERROR_PREFIX "NoSuchDrive" },
	{ CB_ERROR_CHECKSUM_MISMATCH, CB_DBUS_ERROR_PREFIX "ChecksumMismatch" },
	{ CB_ERROR_NO_CHECKSUM, CB_DBUS_ERROR_PREFIX "NoChecksum" },
};

GQuark
cb_error_quark(void)
{
	static gsize quark = 0;

	/* spelled out: G_DEFINE_QUARK's token pasting does not survive clang-format */
	g_dbus_error_register_error_domain("cryptburn-error-quark", &quark, cb_dbus_error_entries,
					   G_N_ELEMENTS(cb_dbus_error_entries));
	return (GQuark) quark;
}

const gchar *
cb_error_to_dbus_name(const GError *error)
{
	if (cb_error_is_cancelled(error))
		return CB_DBUS_ERROR_PREFIX "Cancelled";
	if (error->domain == CB_ERROR)
		for (guint i = 0; i < G_N_ELEMENTS(cb_dbus_error_entries); i++)
			if (cb_dbus_error_entries[i].error_code == error->code)
				return cb_dbus_error_entries[i].dbus_error_name;
	return CB_DBUS_ERROR_PREFIX "Failed";
}

gboolean
cb_error_is_cancelled(const GError *error)
{
	return g_error_matches(error, CB_ERROR, CB_ERROR_CANCELLED) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}
