/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * How a file descriptor that another program holds the other end of (a
 * pipe a client handed over D-Bus) is waited for: never in a blocking
 * read() or write(), which nothing can interrupt, but in poll() on the fd
 * and the job's cancellable, with a limit on how long nothing may move.
 * A client that keeps its end open and idle thus holds neither the job
 * nor the drive, and a Cancel or SIGTERM ends the wait at once.
 *
 * A NULL CbFdWait (the in-process cryptburn image, whose own user is at
 * the other end) waits as a blocking read would: for ever.
 */

/* seconds a client's pipe may go without a byte moving before the job
 * gives up on it; documented in dbus/org.cryptburn.CryptBurn1.xml */
#define CB_FD_WAIT_STALL_S 120

typedef struct {
	GCancellable *cancellable; /* borrowed: must outlive every wait; NULL never cancels */
	guint stall_s;		   /* 0: no limit */
} CbFdWait;

/* makes fd non-blocking (O_NONBLOCK, which regular files ignore), so that
 * only cb_fd_wait_for() ever waits on it; nothing when wait is NULL.
 * *saved_flags (if not NULL) gets the flags to put back, or -1 */
gboolean
cb_fd_wait_prepare(const CbFdWait *wait, gint fd, gint *saved_flags, GError **error);

/* the file status flags cb_fd_wait_prepare() found, back on fd (the
 * client shares them: its copy of the fd became non-blocking too) */
void
cb_fd_wait_restore(gint fd, gint saved_flags);

/* waits until fd is ready for events (POLLIN, POLLOUT), has hung up or
 * failed (the next read or write tells which). FALSE with
 * CB_ERROR_CANCELLED when the cancellable fires, or with stall_code when
 * nothing happened for stall_s seconds; what names the fd for a person,
 * e.g. _("the image stream") */
gboolean
cb_fd_wait_for(const CbFdWait *wait,
	       gint fd,
	       gshort events,
	       gint stall_code,
	       const gchar *what,
	       GError **error);

G_END_DECLS
