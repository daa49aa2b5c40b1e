/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs on a worker thread (the passphrase agent's GTask). */
#include "cb-tty-prompt.h"

#include "cb-error.h"
#include "cb-passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* waits until the terminal holds a whole line: in canonical mode the tty
 * reports input only once Enter (or Ctrl-D) was typed, so the line can
 * then be read without blocking, and a cancellation never waits for a key */
static gboolean
cb_tty_prompt_wait(int tty, GCancellable *cancellable, GError **error)
{
	GPollFD fds[2] = { { .fd = tty, .events = G_IO_IN } };
	guint n = g_cancellable_make_pollfd(cancellable, &fds[1]) ? 2 : 1;

	for (;;) {
		int rc = g_poll(fds, n, -1);

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			break;
		if (rc < 0 && errno != EINTR) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("cannot wait for the passphrase: %s"), g_strerror(errno));
			break;
		}
		if (rc > 0 && fds[0].revents != 0) {
			if (n == 2)
				g_cancellable_release_fd(cancellable);
			return TRUE;
		}
	}
	if (n == 2)
		g_cancellable_release_fd(cancellable);
	return FALSE;
}

CbSecret *
cb_tty_prompt(const gchar *prompt, GCancellable *cancellable, GError **error)
{
	struct termios saved, quiet;
	g_autoptr(CbSecret) secret = NULL;
	int tty;

	/* non-blocking: a line ended with Ctrl-D and no newline must not
	 * leave the reader waiting where a cancellation cannot reach it */
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (tty < 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
				    _("no terminal to ask for the passphrase; use "
				      "--passphrase-file or --passphrase-fd"));
		return NULL;
	}
	if (tcgetattr(tty, &saved) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
			    _("cannot use the terminal: %s"), g_strerror(errno));
		close(tty);
		return NULL;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t) ECHO;
	quiet.c_lflag |= ECHONL;

	/* "\r\33[K": the question replaces a progress line, if one is shown */
	if (write(tty, "\r\33[K", 4) < 0 || write(tty, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(tty, TCSAFLUSH, &quiet) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE, _("cannot use the terminal: %s"),
			    g_strerror(errno));
	} else {
		/* cb_passphrase_read_fd reads byte by byte into locked memory */
		if (cb_tty_prompt_wait(tty, cancellable, error))
			secret = cb_passphrase_read_fd(tty, error);
		tcsetattr(tty, TCSAFLUSH, &saved);
		/* the typed newline was echoed (ECHONL); an abandoned line was not */
		if (secret == NULL && write(tty, "\n", 1) < 0)
			g_debug("cannot finish the prompt line");
	}
	close(tty);
	return g_steal_pointer(&secret);
}
