/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-passphrase.h"

#include "cb-error.h"
#include "cb-fd-wait.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <pwquality.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* reads byte by byte straight into locked memory: no stdio buffer ever
 * holds a copy, and nothing past the first line is consumed. With a
 * wait_mask, each byte is waited for with ppoll() under that mask, so a
 * signal blocked everywhere else can only arrive while we wait, and is
 * never lost between a check and a read. With a wait, fd is non-blocking
 * and each byte that is not there yet is waited for with cb_fd_wait_for(). */
static CbSecret *
cb_passphrase_read_line_masked(
    int fd, const gchar *what, const sigset_t *wait_mask, const CbFdWait *wait, GError **error)
{
	g_autoptr(CbSecret) secret = cb_secret_new(CB_PASSPHRASE_MAX, error);

	if (secret == NULL)
		return NULL;
	for (;;) {
		guint8 c;
		ssize_t n;

		if (wait_mask != NULL) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
				if (errno == EINTR) {
					g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED,
						    _("interrupted"));
					return NULL;
				}
				g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
					    _("cannot wait for the passphrase: %s"),
					    g_strerror(errno));
				return NULL;
			}
		}
		n = read(fd, &c, 1);
		if (n < 0 && errno == EAGAIN && wait != NULL) {
			if (!cb_fd_wait_for(wait, fd, POLLIN, CB_ERROR_PASSPHRASE, what, error))
				return NULL;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED, _("interrupted"));
			return NULL;
		}
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("cannot read the passphrase from %s: %s"), what,
				    g_strerror(errno));
			return NULL;
		}
		if (n == 0 || c == '\n')
			break;
		if (!cb_secret_append(secret, c)) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("the passphrase from %s is longer than %d bytes"), what,
				    CB_PASSPHRASE_MAX);
			return NULL;
		}
	}
	/* a file written on Windows ends its line with CR LF */
	if (cb_secret_size(secret) > 0 &&
	    cb_secret_peek(secret)[cb_secret_size(secret) - 1] == '\r')
		cb_secret_set_size(secret, cb_secret_size(secret) - 1);
	return g_steal_pointer(&secret);
}

static CbSecret *
cb_passphrase_read_line(int fd, const gchar *what, GError **error)
{
	return cb_passphrase_read_line_masked(fd, what, NULL, NULL, error);
}

CbSecret *
cb_passphrase_read_file(const gchar *path, GError **error)
{
	CbSecret *secret;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("cannot open passphrase file %s: %s"), path, g_strerror(errno));
		return NULL;
	}
	secret = cb_passphrase_read_line(fd, path, error);
	close(fd);
	return secret;
}

CbSecret *
cb_passphrase_read_fd(int fd, GError **error)
{
	return cb_passphrase_read_fd_waiting(fd, NULL, error);
}

CbSecret *
cb_passphrase_read_fd_waiting(int fd, const CbFdWait *wait, GError **error)
{
	g_autofree gchar *what = g_strdup_printf("file descriptor %d", fd);
	CbSecret *secret;
	gint saved_flags;

	if (fcntl(fd, F_GETFD) < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("cannot read the passphrase: file descriptor %d is not open"), fd);
		return NULL;
	}
	if (!cb_fd_wait_prepare(wait, fd, &saved_flags, error))
		return NULL;
	secret = cb_passphrase_read_line_masked(fd, what, NULL, wait, error);
	/* the client may have given its terminal or standard input, which
	 * its shell shares */
	cb_fd_wait_restore(fd, saved_flags);
	return secret;
}

static void
cb_passphrase_on_signal(int sig)
{
	/* nothing to do: its only job is to make ppoll() return EINTR */
}

/* one no-echo question on the terminal; Ctrl-C ends it with the echo back */
static CbSecret *
cb_passphrase_ask(int tty, const gchar *prompt, GError **error)
{
	struct termios saved, quiet;
	struct sigaction act = { 0 }, old_int, old_term;
	sigset_t stop_signals, old_mask, wait_mask;
	CbSecret *secret = NULL;

	if (tcgetattr(tty, &saved) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE, _("cannot use the terminal: %s"),
			    g_strerror(errno));
		return NULL;
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t) ECHO;
	quiet.c_lflag |= ECHONL;

	/* SIGINT and SIGTERM stay blocked except inside ppoll(), so one that
	 * comes while the echo is off always ends the wait and the echo is
	 * always restored before the signal's usual effect */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
	wait_mask = old_mask;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	act.sa_handler = cb_passphrase_on_signal;
	sigemptyset(&act.sa_mask);
	sigaction(SIGINT, &act, &old_int);
	sigaction(SIGTERM, &act, &old_term);

	if (write(tty, prompt, strlen(prompt)) < 0 || tcsetattr(tty, TCSAFLUSH, &quiet) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE, _("cannot use the terminal: %s"),
			    g_strerror(errno));
	} else {
		secret =
		    cb_passphrase_read_line_masked(tty, "the terminal", &wait_mask, NULL, error);
		tcsetattr(tty, TCSAFLUSH, &saved);
		if (secret == NULL && write(tty, "\n", 1) < 0)
			g_debug("cannot finish the prompt line");
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return secret;
}

CbSecret *
cb_passphrase_prompt(const gchar *prompt, gboolean confirm, GError **error)
{
	g_autoptr(CbSecret) first = NULL;
	g_autoptr(CbSecret) second = NULL;
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (tty < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("no terminal to ask for a passphrase; use --passphrase-file or "
			      "--passphrase-fd"));
		return NULL;
	}
	first = cb_passphrase_ask(tty, prompt, error);
	if (first != NULL && confirm) {
		second = cb_passphrase_ask(tty, _("Repeat the passphrase: "), error);
		if (second != NULL && !cb_secret_equal(first, second)) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("the two passphrases differ"));
			g_clear_pointer(&first, cb_secret_free);
		} else if (second == NULL) {
			g_clear_pointer(&first, cb_secret_free);
		}
	}
	close(tty);
	return g_steal_pointer(&first);
}

/* libpwquality's dictionary check is cracklib's FascistCheck(), which
 * keeps the open dictionary in static variables: two threads checking at
 * once fail with "error loading dictionary" (issue 13, 24 jobs at once).
 * One lock for all of libpwquality, which settings and config reading
 * share with the check; callers are the daemon's job threads and the
 * dialog's main thread. */
static GMutex cb_passphrase_pwquality_lock;

gint
cb_passphrase_score(const gchar *text, gchar **reason)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cb_passphrase_pwquality_lock);
	pwquality_settings_t *settings = pwquality_default_settings();
	void *aux = NULL;
	int rc;

	if (settings == NULL) {
		if (reason != NULL)
			*reason = g_strdup(_("cannot start libpwquality"));
		return -1;
	}
	/* the system's policy, /etc/security/pwquality.conf, if any */
	if (pwquality_read_config(settings, NULL, &aux) != 0)
		g_debug("no usable pwquality.conf; using libpwquality's defaults");
	rc = pwquality_check(settings, text, NULL, NULL, &aux);
	if (rc == PWQ_ERROR_CRACKLIB_CHECK && aux == NULL) {
		/* no cracklib dictionary installed: judge without it */
		pwquality_set_int_value(settings, PWQ_SETTING_DICT_CHECK, 0);
		rc = pwquality_check(settings, text, NULL, NULL, &aux);
	}
	pwquality_free_settings(settings);
	if (rc < 0 && reason != NULL) {
		char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
		*reason = g_strdup(pwquality_strerror(buf, sizeof(buf), rc, aux));
	}
	return rc < 0 ? -1 : rc;
}

gboolean
cb_passphrase_check(CbSecret *passphrase, gboolean allow_weak, GError **error)
{
	g_autofree gchar *why = NULL;

	if (cb_secret_size(passphrase) == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE, _("the passphrase is empty"));
		return FALSE;
	}
	if (allow_weak)
		return TRUE;
	if (cb_passphrase_score(cb_secret_as_string(passphrase), &why) < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("the passphrase is too weak: %s; choose a stronger one or use "
			      "--allow-weak-passphrase"),
			    why);
		return FALSE;
	}
	return TRUE;
}

CbSecret *
cb_passphrase_decode_hex(const CbSecret *hex, GError **error)
{
	const guint8 *text = cb_secret_peek(hex);
	gsize len = cb_secret_size(hex);
	g_autoptr(CbSecret) bytes = NULL;

	/* as the cdrecord patch: two hex digits a byte, so any byte 0-255 */
	if (len == 0 || len % 2 != 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("a hex passphrase needs an even, non-zero number of hex "
				      "digits"));
		return NULL;
	}
	bytes = cb_secret_new(len / 2, error);
	if (bytes == NULL)
		return NULL;
	for (gsize i = 0; i < len; i += 2) {
		int hi = g_ascii_xdigit_value((gchar) text[i]);
		int lo = g_ascii_xdigit_value((gchar) text[i + 1]);

		if (hi < 0 || lo < 0) {
			/* the position, never the character: it is part of a secret */
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("the hex passphrase has a character that is not a hex digit "
				      "at position %zu"),
				    hi < 0 ? i + 1 : i + 2);
			return NULL;
		}
		cb_secret_append(bytes, (guint8) (hi << 4 | lo));
	}
	return g_steal_pointer(&bytes);
}
