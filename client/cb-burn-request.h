/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-crypt-args.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * What "cryptburn burn" and "cryptburn burn-image" have in common: the
 * drive, passphrase, format and writing options, and starting the job on
 * the service and following it to its end.
 */
typedef struct {
	CbCryptArgs crypt;
	gchar *drive;
	gboolean eject;
	gint speed;
	gboolean simulate;
	gboolean no_verify;
	gboolean blank;
	gint copies;
	gboolean spool;
	gint media_timeout; /* -1: the service's default */
	gboolean json;
	gboolean quiet;
} CbBurnArgs;

#define CB_BURN_ARGS_INIT                                                                          \
	{                                                                                          \
		.crypt = CB_CRYPT_ARGS_INIT, .media_timeout = -1                                   \
	}

void
cb_burn_args_clear(CbBurnArgs *args);
/* appends the options both commands take, writing into args, to entries
 * (a zero-terminated GArray of GOptionEntry) */
void
cb_burn_args_add_entries(CbBurnArgs *args, GArray *entries);

typedef struct {
	const gchar *method;	     /* "BurnFiles" or "BurnImage" */
	const gchar *const *sources; /* BurnFiles: absolute paths */
	int image_fd;		     /* BurnImage: the plain image, still ours */
	GVariantDict *options;	     /* the command's own options, added to */
} CbBurnCall;

/* connects, picks the drive, starts the job with a passphrase fd or this
 * process's agent, follows it; returns the exit status */
int
cb_burn_request_run(const CbBurnArgs *args, CbBurnCall *call);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbBurnArgs, cb_burn_args_clear)

G_END_DECLS
