/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/*
 * Every method call on our objects passes here first (GDBus runs this in
 * a thread of its own, so polkit may block while the user types a
 * password), and only here is decided who may do what:
 *
 *   Manager.BurnFiles, BurnImage, WriteImage  org.cryptburn.burn
 *   Drive.Blank                               org.cryptburn.blank
 *   Drive.Eject                               org.cryptburn.eject
 *   Job.Cancel                                the job's own uid, or
 *                                             org.cryptburn.cancel-job-other-user
 *
 * A method not in this table is denied.
 */
typedef struct _CbAuthority CbAuthority;

CbAuthority *
cb_authority_new(GError **error);
void
cb_authority_free(CbAuthority *self);

/* guards every interface exported on object */
void
cb_authority_guard(CbAuthority *self, GDBusObjectSkeleton *object);

/* the caller's uid, looked up while authorizing the invocation */
uid_t
cb_authority_get_caller_uid(GDBusMethodInvocation *invocation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbAuthority, cb_authority_free)

G_END_DECLS
