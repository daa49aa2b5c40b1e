/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* exit statuses, listed in --help and cryptburn(1); scripts rely on them */
typedef enum {
	CB_EXIT_OK = 0,
	CB_EXIT_FAILURE = 1,	    /* anything not listed below */
	CB_EXIT_USAGE = 2,	    /* bad command line or option value */
	CB_EXIT_SOURCE = 3,	    /* a source is missing or unreadable */
	CB_EXIT_OUTPUT = 4,	    /* the output exists or cannot be written */
	CB_EXIT_NO_SPACE = 5,	    /* the output does not fit */
	CB_EXIT_PASSPHRASE = 6,	    /* empty, weak, mismatched or unreadable passphrase */
	CB_EXIT_NOT_IMAGE = 7,	    /* not an image cryptburn recognises */
	CB_EXIT_NOT_AUTHORIZED = 8, /* polkit said no */
	CB_EXIT_BUSY = 9,	    /* drive busy, or too many jobs */
	CB_EXIT_MEDIA = 10,	    /* no such drive, no disc, disc not writable */
	CB_EXIT_MISMATCH = 11,	    /* verify: the checksum does not match */
	CB_EXIT_NO_CHECKSUM = 12,   /* verify: no checksum was recorded */
	CB_EXIT_INTERRUPTED = 130,  /* Ctrl-C or a termination signal */
} CbExit;

/* the status for a failure, printed as "cryptburn: message" on stderr */
CbExit
cb_exit_report(const GError *error);

/* the table for --help */
const gchar *
cb_exit_help(void);

G_END_DECLS
