/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* opens the plain image a command encrypts (burn-image, encrypt-image):
 * a file or device by name, or "-" for standard input, which must then
 * be neither a terminal nor where the passphrase comes from
 * (passphrase_fd, -1 for none). Returns an fd of our own (close-on-exec),
 * or -1 with error. */
int
cb_image_input_open(const gchar *name, int passphrase_fd, GError **error);

G_END_DECLS
