/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-crypt-args.h"

#include "cb-error.h"
#include "cb-metadata.h"

#include <glib/gi18n.h>
#include <string.h>

/* as the daemon's limit, cb-options.h */
#define CB_CRYPT_ARGS_MAX_SERIAL 128

void
cb_crypt_args_clear(CbCryptArgs *args)
{
	g_free(args->format);
	g_free(args->serial);
	g_free(args->keyfile);
	g_free(args->checksum);
	g_free(args->passphrase_file);
}

void
cb_crypt_args_add_entries(CbCryptArgs *args, GArray *entries, gboolean to_disc)
{
	/* the array copies the table; the pointers into args stay */
	const GOptionEntry shared[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &args->format,
		  N_("Encryption format (default luks2)"), N_("FORMAT") },
		{ "serial", 0, 0, G_OPTION_ARG_STRING, &args->serial,
		  N_("Serial recorded in the header, readable without the passphrase"), N_("S") },
		{ "keyfile", 0, 0, G_OPTION_ARG_FILENAME, &args->keyfile,
		  to_disc ? N_("loop-aes: keep the encrypted keys in FILE, not on the disc; an "
			       "existing FILE is reused")
			  : N_("loop-aes: keep the encrypted keys in FILE, not in the image; an "
			       "existing FILE is reused"),
		  N_("FILE") },
		{ "checksum", 0, 0, G_OPTION_ARG_STRING, &args->checksum,
		  to_disc ? N_("Record a checksum of the encrypted data for verify, in the disc's "
			       "header or the --keyfile: md5, sha256 or none")
			  : N_("Record a checksum of the encrypted data for verify: md5, sha256 or "
			       "none"),
		  N_("TYPE") },
		{ "noinfo", 0, 0, G_OPTION_ARG_NONE, &args->noinfo,
		  N_("Record no date, version or serial readable without the passphrase"), NULL },
		{ "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &args->passphrase_file,
		  N_("Read the passphrase from the first line of FILE"), N_("FILE") },
		{ "passphrase-fd", 0, 0, G_OPTION_ARG_INT, &args->passphrase_fd,
		  N_("Read the passphrase from the first line of file descriptor N"), N_("N") },
		{ "passphrase-hex", 0, 0, G_OPTION_ARG_NONE, &args->passphrase_hex,
		  N_("The passphrase is given as hex digits, two a byte (any byte 0-255)"), NULL },
		{ "allow-weak-passphrase", 0, 0, G_OPTION_ARG_NONE, &args->allow_weak,
		  N_("Accept a passphrase that fails the strength check"), NULL },
		{ "iter-time", 0, 0, G_OPTION_ARG_INT, &args->iter_time,
		  N_("Milliseconds of key stretching when unlocking (default 2000)"), N_("MS") },
		{ "pbkdf-memory", 0, 0, G_OPTION_ARG_INT, &args->pbkdf_memory,
		  N_("Most memory argon2id may use, in KiB (default up to 1 GiB)"), N_("KIB") },
		{ "pbkdf-force-iterations", 0, 0, G_OPTION_ARG_INT, &args->pbkdf_iterations,
		  N_("Fixed key-stretching iterations instead of timing them"), N_("N") },
	};
	g_array_append_vals(entries, shared, G_N_ELEMENTS(shared));
}

gboolean
cb_crypt_args_validate(const CbCryptArgs *args, GError **error)
{
	if (args->passphrase_file != NULL && args->passphrase_fd >= 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("use either --passphrase-file or --passphrase-fd, not both"));
		return FALSE;
	}
	if (args->iter_time < 0 || args->pbkdf_memory < 0 || args->pbkdf_iterations < 0) {
		g_set_error_literal(
		    error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    _("--iter-time, --pbkdf-memory and --pbkdf-force-iterations take "
		      "positive numbers"));
		return FALSE;
	}
	if (args->serial != NULL &&
	    (args->serial[0] == '\0' || strlen(args->serial) > CB_CRYPT_ARGS_MAX_SERIAL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("--serial must be 1 to %d characters"), CB_CRYPT_ARGS_MAX_SERIAL);
		return FALSE;
	}
	if (args->keyfile != NULL && args->keyfile[0] == '\0') {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("--keyfile must name a file"));
		return FALSE;
	}
	if (!cb_metadata_checksum_type_valid(args->checksum, error))
		return FALSE;
	if (args->noinfo && (args->serial != NULL ||
			     (args->checksum != NULL && g_strcmp0(args->checksum, "none") != 0))) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("--noinfo records nothing readable without the passphrase, so "
		      "it cannot go with --serial or --checksum"));
		return FALSE;
	}
	return TRUE;
}
