/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-format.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A format's create, whose key derivation (libcryptsetup's pbkdf2 or
 * argon2id, gpg's s2k) may take a minute and cannot be interrupted, run on
 * a thread of its own that the caller can walk away from: a job cancelled
 * during it ends at once and releases its drive, and the derivation
 * finishes unseen and frees its own copies of the secrets (the passphrase
 * wiped, the new volume key with its format).
 *
 * Abandoned derivations still cost a core and up to pbkdf-memory each,
 * so only CB_DERIVE_MAX_RUNNING run at once, abandoned ones included; a
 * further one waits for its turn, as cancellably.
 */
#define CB_DERIVE_MAX_RUNNING 2

/* desc->create(params); NULL with CB_ERROR_CANCELLED as soon as
 * cancellable fires, or with create's own error. params are copied. */
CbFormat *
cb_derive_format(const CbFormatDesc *desc,
		 const CbFormatParams *params,
		 GCancellable *cancellable,
		 GError **error);

/* derivations still running, abandoned ones included: a service that
 * stops does not wait for them */
guint
cb_derive_running(void);

G_END_DECLS
