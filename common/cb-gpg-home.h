/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A private GnuPG home for one gpgme operation (cb-gpg-key.c): a gpg.conf
 * of ours and a gpg-agent of ours, since gpg 2.1 and later cannot take a
 * passphrase without an agent. It lies in $RUNTIME_DIRECTORY (the
 * service's /run/cryptburnd) or else the temporary directory, as
 * cb-gpg-XXXXXX.
 *
 * Nothing of it may outlive the process, even one killed with SIGKILL:
 * the agent is our own child in the foreground (--supervised, listening
 * on a socket we made), which the kernel kills when its parent thread
 * ends, and gpg.conf says no-autostart, so gpg never starts a detached
 * one. The directory itself stays behind a killed process;
 * cb_gpg_home_remove_stale() clears such homes.
 *
 * Runs on the caller's thread, usually a job's worker. A home must be
 * cleared on the thread that opened it: the agent's death signal follows
 * that thread.
 */
typedef struct {
	gchar *path;
	GPid agent;	/* 0: none */
	gint lock;	/* the home, flock()ed shared while in use; -1: none */
	gchar *sockdir; /* where the agent's socket is, when not in path */
} CbGpgHome;

#define CB_GPG_HOME_INIT                                                                           \
	{                                                                                          \
		NULL, 0, -1, NULL                                                                  \
	}

/* makes the home with conf as its gpg.conf and starts its agent */
gboolean
cb_gpg_home_open(CbGpgHome *self, const gchar *conf, GError **error);
/* stops the agent and removes the home; nothing if it was never opened */
void
cb_gpg_home_clear(CbGpgHome *self);

/* removes the homes of ours (same owner) that no live process uses: left
 * by one killed before it could clear them. For the daemon's start. */
void
cb_gpg_home_remove_stale(void);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbGpgHome, cb_gpg_home_clear)

G_END_DECLS
