/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-exit.h"

#include "cb-error.h"
#include "cb-term-escape.h"

#include <glib/gi18n.h>

CbExit
cb_exit_report(const GError *error)
{
	/* messages quote what images and the service said */
	g_autofree gchar *message = NULL;

	if (cb_error_is_cancelled(error)) {
		g_printerr(_("cryptburn: interrupted; nothing was left behind\n"));
		return CB_EXIT_INTERRUPTED;
	}
	message = cb_term_escape(error->message, CB_TERM_ESCAPE_KEEP_NEWLINES);
	g_printerr("cryptburn: %s\n", message);
	if (error->domain == G_OPTION_ERROR)
		return CB_EXIT_USAGE;
	if (error->domain != CB_ERROR)
		return CB_EXIT_FAILURE;
	switch ((CbError) error->code) {
	case CB_ERROR_INVALID_OPTION:
		return CB_EXIT_USAGE;
	case CB_ERROR_SOURCE:
		return CB_EXIT_SOURCE;
	case CB_ERROR_OUTPUT:
		return CB_EXIT_OUTPUT;
	case CB_ERROR_NO_SPACE:
		return CB_EXIT_NO_SPACE;
	case CB_ERROR_PASSPHRASE:
	case CB_ERROR_PASSPHRASE_REQUIRED:
		return CB_EXIT_PASSPHRASE;
	case CB_ERROR_MEDIA_TOO_SMALL:
		return CB_EXIT_NO_SPACE;
	case CB_ERROR_NOT_AUTHORIZED:
		return CB_EXIT_NOT_AUTHORIZED;
	case CB_ERROR_BUSY:
		return CB_EXIT_BUSY;
	case CB_ERROR_NO_MEDIA:
	case CB_ERROR_UNSUPPORTED_MEDIA:
	case CB_ERROR_NO_SUCH_DRIVE:
		return CB_EXIT_MEDIA;
	case CB_ERROR_NOT_SUPPORTED:
		return CB_EXIT_NOT_IMAGE;
	case CB_ERROR_CANCELLED:
		return CB_EXIT_INTERRUPTED;
	case CB_ERROR_CHECKSUM_MISMATCH:
		return CB_EXIT_MISMATCH;
	case CB_ERROR_NO_CHECKSUM:
		return CB_EXIT_NO_CHECKSUM;
	case CB_ERROR_FAILED:
	case CB_ERROR_CRYPTO:
		break;
	}
	return CB_EXIT_FAILURE;
}

const gchar *
cb_exit_help(void)
{
	return _("Exit status:\n"
		 "  0    success\n"
		 "  1    failure not listed below\n"
		 "  2    bad command line or option value\n"
		 "  3    a source is missing or unreadable\n"
		 "  4    the output exists (without --force) or cannot be written\n"
		 "  5    not enough space for the output, or the disc is too small\n"
		 "  6    passphrase empty, too weak, mistyped or unreadable\n"
		 "  7    not an image cryptburn recognises\n"
		 "  8    not authorized (polkit)\n"
		 "  9    the drive is busy, or you run too many jobs\n"
		 "  10   no such drive, no disc, or the disc cannot be written\n"
		 "  11   verify: the checksum does not match (the image is damaged)\n"
		 "  12   verify: the image records no checksum\n"
		 "  130  interrupted (Ctrl-C); the partial output was removed\n");
}
