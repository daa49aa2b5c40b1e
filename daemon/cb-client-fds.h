/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The file descriptors clients send, kept off the main thread.
 *
 * close() of a file on a client's own FUSE mount asks its file system
 * (FLUSH), which may never answer; so does the close GDBus makes when it
 * frees a message that carried fds, on whichever thread drops it last,
 * often the main thread. So a filter takes every fd out of every incoming
 * method call while GDBus still reads it (on its worker thread), before
 * any handler or property read sees the message. The handler of a call
 * that takes fds claims its own (cb_client_fds_claim); what no handler
 * claims within CB_CLIENT_FDS_UNCLAIMED_S is closed, and every close of a
 * client's fd goes to a small pool of closing threads
 * (cb_client_fd_close), so that a close that hangs holds one of them,
 * never the service.
 */

#define CB_CLIENT_FDS_UNCLAIMED_S 10
#define CB_CLIENT_FDS_CLOSERS 8

/* main thread, once, before the name is owned */
void
cb_client_fds_install(GDBusConnection *bus);

/* main thread: the fds of the call, in the message's order, as a list
 * the caller owns (new and empty when it had none). The list must be
 * emptied with cb_client_fds_release, never just unreffed. */
GUnixFDList *
cb_client_fds_claim(GDBusMethodInvocation *invocation);

/* closes every fd of a claimed list on a closing thread, and unrefs it */
void
cb_client_fds_release(GUnixFDList *fds);

/* any thread: closes a client's fd on a closing thread; -1 is ignored */
void
cb_client_fd_close(gint fd);

G_END_DECLS
