/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-fd-wait.h"
#include "cb-secret.h"

G_BEGIN_DECLS

/* longest passphrase we accept; cryptsetup's own limit is 512 for keyboard input */
#define CB_PASSPHRASE_MAX 1024

/* the first line of a file, without its newline */
CbSecret *
cb_passphrase_read_file(const gchar *path, GError **error);
/* the first line read from fd, which is not closed */
CbSecret *
cb_passphrase_read_fd(int fd, GError **error);
/* the same from a client's fd: waits for it end on wait's cancellable
 * (CB_ERROR_CANCELLED) or its stall limit (CB_ERROR_PASSPHRASE) */
CbSecret *
cb_passphrase_read_fd_waiting(int fd, const CbFdWait *wait, GError **error);
/* asks on the controlling terminal without echo; twice if confirm */
CbSecret *
cb_passphrase_prompt(const gchar *prompt, gboolean confirm, GError **error);

/* libpwquality's judgement under the system's pwquality.conf (without
 * the dictionary check when no cracklib dictionary is installed): a score
 * 0-100, or -1 with *reason (when not NULL) saying why it is weak */
gint
cb_passphrase_score(const gchar *text, gchar **reason);
/* refuses an empty passphrase, and a weak one (cb_passphrase_score) unless
 * allow_weak */
gboolean
cb_passphrase_check(CbSecret *passphrase, gboolean allow_weak, GError **error);

/* a passphrase typed as hex digits ("41ff…") turned into its bytes, so
 * that any byte can be part of it, as the cdrecord patch allowed */
CbSecret *
cb_passphrase_decode_hex(const CbSecret *hex, GError **error);

G_END_DECLS
