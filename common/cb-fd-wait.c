/* SPDX-License-Identifier: GPL-3.0-or-later */
/* any thread: the job's worker and pipeline threads in the service, the
 * main thread of cryptburn image */
#include "cb-fd-wait.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

gboolean
cb_fd_wait_prepare(const CbFdWait *wait, gint fd, gint *saved_flags, GError **error)
{
	gint flags;

	if (saved_flags != NULL)
		*saved_flags = -1;
	if (wait == NULL)
		return TRUE;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 ||
	    ((flags & O_NONBLOCK) == 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot use file descriptor %d without blocking: %s"), fd,
			    g_strerror(errno));
		return FALSE;
	}
	if (saved_flags != NULL)
		*saved_flags = flags;
	return TRUE;
}

void
cb_fd_wait_restore(gint fd, gint saved_flags)
{
	/* a client that closed its copy meanwhile makes this fail: nobody to
	 * restore the flags for */
	if (saved_flags >= 0 && (saved_flags & O_NONBLOCK) == 0 &&
	    fcntl(fd, F_SETFL, saved_flags) != 0)
		g_debug("cannot make file descriptor %d blocking again: %s", fd, g_strerror(errno));
}

/* the cancellable's eventfd, or -1 when there is none to poll */
static gint
cb_fd_wait_cancel_fd(const CbFdWait *wait, GPollFD *pollfd)
{
	if (wait == NULL || wait->cancellable == NULL ||
	    !g_cancellable_make_pollfd(wait->cancellable, pollfd))
		return -1;
	return pollfd->fd;
}

static gboolean
cb_fd_wait_poll(const CbFdWait *wait,
		struct pollfd *fds,
		gint64 deadline,
		gint stall_code,
		const gchar *what,
		GError **error)
{
	for (;;) {
		gint timeout = -1;
		gint n;

		if (wait != NULL && g_cancellable_is_cancelled(wait->cancellable)) {
			g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("cancelled while waiting for %s"), what);
			return FALSE;
		}
		if (deadline > 0) {
			gint64 left = deadline - g_get_monotonic_time();
			timeout = left > 0 ? (gint) ((left + 999) / 1000) : 0;
		}
		n = poll(fds, fds[1].fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot wait for %s: %s"),
				    what, g_strerror(errno));
			return FALSE;
		}
		if (fds[0].revents != 0 &&
		    !(wait != NULL && g_cancellable_is_cancelled(wait->cancellable)))
			return TRUE;
		if (n == 0 && deadline > 0 && g_get_monotonic_time() >= deadline) {
			g_set_error(error, CB_ERROR, stall_code,
				    _("gave up on %s: nothing came or went through it for %u "
				      "seconds"),
				    what, wait->stall_s);
			return FALSE;
		}
	}
}

gboolean
cb_fd_wait_for(const CbFdWait *wait,
	       gint fd,
	       gshort events,
	       gint stall_code,
	       const gchar *what,
	       GError **error)
{
	GPollFD cancel_pollfd = { .fd = -1 };
	struct pollfd fds[2] = {
		{ .fd = fd, .events = events },
		{ .fd = cb_fd_wait_cancel_fd(wait, &cancel_pollfd), .events = POLLIN },
	};
	gint64 deadline = 0;
	gboolean ok;

	if (wait != NULL && wait->stall_s > 0)
		deadline = g_get_monotonic_time() + (gint64) wait->stall_s * G_USEC_PER_SEC;
	ok = cb_fd_wait_poll(wait, fds, deadline, stall_code, what, error);
	if (fds[1].fd >= 0)
		g_cancellable_release_fd(wait->cancellable);
	return ok;
}
