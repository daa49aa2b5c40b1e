/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-request.h"

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/*
 * The one place where it is decided who may do what. Every method that
 * does something is parsed into a CbRequest first (cb-request.c), which
 * names the polkit actions it needs:
 *
 *   Manager.BurnFiles, BurnImage, WriteImage  org.cryptburn.burn, and
 *                                             org.cryptburn.blank with option blank
 *   Drive.Blank                               org.cryptburn.blank
 *   Drive.Eject                               org.cryptburn.eject
 *   Job.Cancel, Job.GetError                  the job's own uid, or
 *                                             org.cryptburn.cancel-job-other-user
 *
 * Methods without a handler are refused by GDBus itself; properties are
 * read-only.
 *
 * Nothing here blocks the main thread: the caller's uid and polkit's
 * answers are asked asynchronously, each with a timeout, and a uid may
 * have only CB_AUTHORITY_MAX_PENDING_PER_UID checks waiting at once (a
 * polkit that never answers one user cannot starve the others, and holds
 * no thread).
 */

/* polkit's answer when the caller may not be asked for a password, and
 * when it may (a person typing it) */
#define CB_AUTHORITY_TIMEOUT_S 20
#define CB_AUTHORITY_INTERACTIVE_TIMEOUT_S 300
#define CB_AUTHORITY_MAX_PENDING_PER_UID 8
#define CB_AUTHORITY_MAX_PENDING 256

typedef struct _CbAuthority CbAuthority;

CbAuthority *
cb_authority_new(GError **error);
void
cb_authority_free(CbAuthority *self);

/* called on the main thread once every action of the request is allowed;
 * takes the request over. A refused request is answered with its error
 * by cb_authority_check itself and never reaches this. */
typedef void (*CbAuthorityAllowedFunc)(CbRequest *request, gpointer user_data);

/* takes the request over */
void
cb_authority_check(CbAuthority *self,
		   CbRequest *request,
		   CbAuthorityAllowedFunc allowed,
		   gpointer user_data);

/* polkit checks waiting for an answer now (for the tests' log) */
guint
cb_authority_count_pending(CbAuthority *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbAuthority, cb_authority_free)

G_END_DECLS
