/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-image-input.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <unistd.h>

int
cb_image_input_open(const gchar *name, int passphrase_fd, GError **error)
{
	int fd;

	if (g_strcmp0(name, "-") == 0) {
		if (passphrase_fd == STDIN_FILENO) {
			g_set_error_literal(
			    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("standard input carries the image, so the passphrase cannot come "
			      "from it; use --passphrase-file or another --passphrase-fd"));
			return -1;
		}
		if (isatty(STDIN_FILENO)) {
			g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
					    _("standard input is a terminal; pipe an image into "
					      "it or name an image file"));
			return -1;
		}
		/* our own descriptor: the caller closes it like any other */
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("cannot read standard input: %s"), g_strerror(errno));
		return fd;
	}
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot open %s: %s"), name,
			    g_strerror(errno));
	return fd;
}
