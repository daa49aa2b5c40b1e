/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The encryption options every command that makes an encrypted image
 * takes, whether it writes a file (image, encrypt-image) or a disc through
 * the service (burn, burn-image): format, passphrase, key stretching,
 * loop-aes key file, metadata. One table, one set of checks.
 */
typedef struct {
	gchar *format;
	gchar *serial;
	gchar *keyfile;
	gchar *checksum;
	gboolean noinfo;
	gchar *passphrase_file;
	gint passphrase_fd;
	gboolean passphrase_hex;
	gboolean allow_weak;
	gint iter_time;
	gint pbkdf_memory;
	gint pbkdf_iterations;
} CbCryptArgs;

#define CB_CRYPT_ARGS_INIT                                                                         \
	{                                                                                          \
		.passphrase_fd = -1                                                                \
	}

void
cb_crypt_args_clear(CbCryptArgs *args);

/* appends the options to entries (a zero-terminated GArray of
 * GOptionEntry); to_disc: the help speaks of a disc, not an image */
void
cb_crypt_args_add_entries(CbCryptArgs *args, GArray *entries, gboolean to_disc);

/* what is wrong whatever the format: both passphrase sources, negative
 * costs, a serial's length, an unknown checksum, --noinfo with what it
 * forbids, an empty --keyfile */
gboolean
cb_crypt_args_validate(const CbCryptArgs *args, GError **error);

G_END_DECLS
