/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-crypt-args.h"
#include "cb-metadata.h"
#include "cb-pipeline.h"

G_BEGIN_DECLS

/*
 * What "cryptburn image" and "cryptburn encrypt-image" share: the format,
 * passphrase, key file, checksum and output options, and the run that
 * makes the key, encrypts the plain payload into the output, records the
 * checksum and writes the key file, with progress and Ctrl-C.
 */
typedef struct {
	CbCryptArgs crypt;
	gchar *output;
	gboolean force;
	gboolean json;
	gboolean quiet;
} CbEncryptArgs;

#define CB_ENCRYPT_ARGS_INIT                                                                       \
	{                                                                                          \
		.crypt = CB_CRYPT_ARGS_INIT                                                        \
	}

void
cb_encrypt_args_clear(CbEncryptArgs *args);
/* the command's own options followed by the shared ones, one table */
GOptionEntry *
cb_encrypt_args_entries(CbEncryptArgs *args, const GOptionEntry *own);

/* the plain payload; opened on the worker once the key is made, so that
 * an ISO is not built for a passphrase that turns out wrong */
typedef struct {
	gboolean (*open)(
	    gpointer data, CbSourceReadFunc *read, gpointer *source, guint64 *size, GError **error);
	void (*close)(gpointer data);
	gpointer data;
} CbEncryptSource;

/* checks everything that can be refused before a passphrase is asked:
 * the format, the metadata it must hold, the checksum, the key file and
 * the output; returns the format */
const CbFormatDesc *
cb_encrypt_prepare(const CbEncryptArgs *args, CbMetadata *metadata, GError **error);

gboolean
cb_encrypt_run(const CbEncryptArgs *args,
	       const CbFormatDesc *desc,
	       CbMetadata *metadata,
	       const CbEncryptSource *source,
	       GError **error);

/* the format descriptions for --help */
gchar *
cb_encrypt_formats_help(void);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbEncryptArgs, cb_encrypt_args_clear)

G_END_DECLS
