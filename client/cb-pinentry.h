/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-secret.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Asks for a passphrase through a pinentry program (GnuPG's prompts:
 * pinentry-gnome3, -qt, -curses), speaking the Assuan protocol over its
 * stdin and stdout, for a cryptburn started without a terminal. The
 * program is $CRYPTBURN_PINENTRY when set, else the first usable one in
 * PATH. The passphrase only ever lands in locked memory.
 */
typedef struct {
	const gchar *description; /* what the passphrase is for, above the field */
	const gchar *prompt;	  /* the field's label, e.g. "Passphrase:" */
	gboolean confirm;	  /* a new passphrase: typed twice and compared */
} CbPinentryRequest;

/* whether to ask through pinentry rather than on the terminal: when
 * there is no controlling terminal, or CRYPTBURN_PINENTRY names a program */
gboolean
cb_pinentry_wanted(void);

/* runs the program and asks; a cancelled prompt fails with CB_ERROR_CANCELLED,
 * no usable program with CB_ERROR_PASSPHRASE_REQUIRED. It blocks, so the
 * agent calls it on a worker thread; cancellable ends the program. */
CbSecret *
cb_pinentry_ask(const CbPinentryRequest *request, GCancellable *cancellable, GError **error);

G_END_DECLS
