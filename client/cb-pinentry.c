/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs on the caller's thread: the main thread for `cryptburn image`, the
 * passphrase agent's worker for jobs of the service. */
#include "cb-pinentry.h"

#include "cb-error.h"
#include "cb-passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Assuan lines are at most 1000 bytes; a longer passphrase comes in
 * several D lines, so one line never holds more than this */
#define CB_PINENTRY_LINE_MAX 1000
/* the description is cut there, so that escaped (at most 4 bytes a
 * character) it still fits one Assuan line */
#define CB_PINENTRY_DESC_MAX 200
/* libgpg-error's GPG_ERR_CANCELED and GPG_ERR_FULLY_CANCELED: the low 16
 * bits of pinentry's "ERR 83886179 Operation cancelled" */
#define CB_GPG_ERR_CANCELED 99
#define CB_GPG_ERR_FULLY_CANCELED 198

typedef struct {
	gchar *program;
	GPid pid;
	gboolean running;
	int in;	 /* its standard input: our commands */
	int out; /* its standard output: its answers, non-blocking */
	GCancellable *cancellable;
	CbSecret *line;	   /* the last line read: may hold the escaped passphrase */
	gchar *error_text; /* the text of its last ERR line */
} CbPinentry;

/* Debian's "pinentry" alternatives link first: the desktop's own choice */
static const gchar *const cb_pinentry_programs[] = {
	"pinentry",	  "pinentry-gnome3", "pinentry-qt",
	"pinentry-gtk-2", "pinentry-curses", "pinentry-tty",
};

static gboolean
cb_pinentry_has_terminal(void)
{
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (tty < 0)
		return FALSE;
	close(tty);
	return TRUE;
}

gboolean
cb_pinentry_wanted(void)
{
	const gchar *chosen = g_getenv("CRYPTBURN_PINENTRY");

	return (chosen != NULL && *chosen != '\0') || !cb_pinentry_has_terminal();
}

/* pinentry-curses and pinentry-tty draw on a terminal; the others open a
 * window. "pinentry" is a link to one of them, so the link is followed. */
static gboolean
cb_pinentry_needs_terminal(const gchar *path)
{
	char resolved[PATH_MAX];
	g_autofree gchar *name =
	    g_path_get_basename(realpath(path, resolved) != NULL ? resolved : path);

	return g_str_equal(name, "pinentry-curses") || g_str_equal(name, "pinentry-tty");
}

static gboolean
cb_pinentry_has_display(void)
{
	const gchar *x11 = g_getenv("DISPLAY");
	const gchar *wayland = g_getenv("WAYLAND_DISPLAY");

	return (x11 != NULL && *x11 != '\0') || (wayland != NULL && *wayland != '\0');
}

static gchar *
cb_pinentry_find(gboolean tty, GError **error)
{
	const gchar *chosen = g_getenv("CRYPTBURN_PINENTRY");
	gboolean display = cb_pinentry_has_display();
	g_autofree gchar *unusable = NULL;

	if (chosen != NULL && *chosen != '\0') {
		if (g_file_test(chosen, G_FILE_TEST_IS_DIR) ||
		    !g_file_test(chosen, G_FILE_TEST_IS_EXECUTABLE)) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
			    _("CRYPTBURN_PINENTRY names %s, which is not a program that can "
			      "be run; set it to a pinentry program or unset it"),
			    chosen);
			return NULL;
		}
		return g_strdup(chosen);
	}
	for (guint i = 0; i < G_N_ELEMENTS(cb_pinentry_programs); i++) {
		g_autofree gchar *path = g_find_program_in_path(cb_pinentry_programs[i]);

		if (path == NULL)
			continue;
		if (cb_pinentry_needs_terminal(path) ? tty : display)
			return g_steal_pointer(&path);
		if (unusable == NULL)
			unusable = g_strdup(cb_pinentry_programs[i]);
	}
	if (unusable != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
			    _("no terminal and no graphical display to ask for the passphrase "
			      "(%s needs one): run it in a desktop session, or give "
			      "--passphrase-file or --passphrase-fd"),
			    unusable);
		return NULL;
	}
	g_set_error_literal(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
			    _("no terminal and no pinentry program to ask for the passphrase: "
			      "install pinentry-gnome3 (or pinentry-qt), or give "
			      "--passphrase-file or --passphrase-fd"));
	return NULL;
}

/* the name pinentry-curses opens to draw on: the terminal we run on */
static gchar *
cb_pinentry_tty_name(void)
{
	char name[PATH_MAX];

	for (int fd = 0; fd <= 2; fd++) {
		if (isatty(fd) && ttyname_r(fd, name, sizeof(name)) == 0)
			return g_strdup(name);
	}
	return g_strdup("/dev/tty");
}

/* Assuan escapes %, CR and LF as %25, %0D and %0A. Other control
 * characters are left out: pinentry would unescape them, and on a
 * terminal they could move the cursor or retitle the window. */
static void
cb_pinentry_escape(GString *out, const gchar *text)
{
	g_autofree gchar *valid = g_utf8_make_valid(text, -1);
	/* g_utf8_substring() reads past the end of a shorter string */
	g_autofree gchar *cut = g_utf8_strlen(valid, -1) > CB_PINENTRY_DESC_MAX
				    ? g_utf8_substring(valid, 0, CB_PINENTRY_DESC_MAX)
				    : g_strdup(valid);

	for (const gchar *p = cut; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '%' || c == '\r' || c == '\n')
			g_string_append_printf(out, "%%%02X", c);
		else if (!g_unichar_iscntrl(c))
			g_string_append_unichar(out, c);
	}
}

/* the data of a D line, unescaped straight into locked memory */
static gboolean
cb_pinentry_unescape(const gchar *data, CbSecret *into)
{
	for (const gchar *p = data; *p != '\0'; p++) {
		guint8 byte = (guint8) *p;

		if (*p == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
			byte =
			    (guint8) (g_ascii_xdigit_value(p[1]) << 4 | g_ascii_xdigit_value(p[2]));
			p += 2;
		}
		if (!cb_secret_append(into, byte))
			return FALSE;
	}
	return TRUE;
}

static gboolean
cb_pinentry_start(CbPinentry *self, GError **error)
{
	const gchar *argv[] = { self->program, NULL };
	g_autoptr(GError) error_local = NULL;

	/* nothing but the program's name in argv and the environment we got:
	 * the passphrase only ever travels on its standard output */
	if (!g_spawn_async_with_pipes(NULL, (gchar **) argv, NULL,
				      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES, NULL, NULL,
				      &self->pid, &self->in, &self->out, NULL, &error_local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("cannot run %s to ask for the passphrase: %s"), self->program,
			    error_local->message);
		return FALSE;
	}
	self->running = TRUE;
	/* non-blocking, so that a cancellation never waits for its answer */
	if (fcntl(self->out, F_SETFL, O_NONBLOCK) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE, _("cannot talk to %s: %s"),
			    self->program, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* collects the program, which ended by itself: says how */
static gboolean
cb_pinentry_set_ended(CbPinentry *self, GError **error)
{
	int status = 0;

	while (waitpid(self->pid, &status, 0) < 0 && errno == EINTR)
		;
	self->running = FALSE;
	if (WIFSIGNALED(status)) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("the passphrase prompt %s ended without an answer: killed by "
			      "signal %d (%s)"),
			    self->program, WTERMSIG(status), g_strsignal(WTERMSIG(status)));
	} else {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("the passphrase prompt %s ended without an answer (exit status %d)"),
			    self->program, WEXITSTATUS(status));
	}
	return FALSE;
}

static void
cb_pinentry_clear(CbPinentry *self)
{
	/* its standard input closed, a pinentry ends; one that was not
	 * told BYE may be waiting for a person, so it is told to go */
	if (self->in >= 0)
		close(self->in);
	if (self->out >= 0)
		close(self->out);
	if (self->running) {
		kill(self->pid, SIGTERM);
		while (waitpid(self->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	g_free(self->program);
	g_clear_pointer(&self->line, cb_secret_free);
	g_free(self->error_text);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbPinentry, cb_pinentry_clear)

/* waits until the answer goes on, or the cancellable is cancelled */
static gboolean
cb_pinentry_wait(CbPinentry *self, GError **error)
{
	GPollFD fds[2] = { { .fd = self->out, .events = G_IO_IN } };
	guint n = g_cancellable_make_pollfd(self->cancellable, &fds[1]) ? 2 : 1;
	gboolean ready = FALSE;

	while (!ready) {
		int rc = g_poll(fds, n, -1);

		if (g_cancellable_set_error_if_cancelled(self->cancellable, error))
			break;
		if (rc < 0 && errno != EINTR) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("cannot wait for the passphrase: %s"), g_strerror(errno));
			break;
		}
		ready = rc > 0 && fds[0].revents != 0;
	}
	if (n == 2)
		g_cancellable_release_fd(self->cancellable);
	return ready;
}

/* byte by byte into locked memory: no stdio buffer ever holds a copy */
static gboolean
cb_pinentry_read_line(CbPinentry *self, GError **error)
{
	cb_secret_set_size(self->line, 0);
	for (;;) {
		guint8 byte;
		ssize_t n = read(self->out, &byte, 1);

		if (n == 0)
			return cb_pinentry_set_ended(self, error);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!cb_pinentry_wait(self, error))
				return FALSE;
			continue;
		}
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("cannot read the answer of %s: %s"), self->program,
				    g_strerror(errno));
			return FALSE;
		}
		if (byte == '\n')
			return TRUE;
		if (!cb_secret_append(self->line, byte)) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("%s answered with a line longer than the Assuan protocol "
				      "allows"),
				    self->program);
			return FALSE;
		}
	}
}

static gboolean
cb_pinentry_send(CbPinentry *self, const gchar *line, GError **error)
{
	g_autofree gchar *text = g_strconcat(line, "\n", NULL);
	gsize len = strlen(text);
	gsize done = 0;

	while (done < len) {
		ssize_t n = write(self->in, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		/* SIGPIPE is ignored: EPIPE means it is gone, and how it ended
		 * says more than the broken pipe */
		if (n < 0 && errno == EPIPE)
			return cb_pinentry_set_ended(self, error);
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("cannot talk to %s: %s"), self->program, g_strerror(errno));
			return FALSE;
		}
		done += (gsize) n;
	}
	return TRUE;
}

/* reads up to the OK or ERR that ends an answer: D lines go unescaped
 * into data, "S PIN_REPEATED" sets *repeated. *gpg_error is 0 for OK. */
static gboolean
cb_pinentry_read_answer(
    CbPinentry *self, CbSecret *data, gboolean *repeated, guint *gpg_error, GError **error)
{
	for (;;) {
		const gchar *line;

		if (!cb_pinentry_read_line(self, error))
			return FALSE;
		line = cb_secret_as_string(self->line);
		if (g_str_equal(line, "OK") || g_str_has_prefix(line, "OK ")) {
			*gpg_error = 0;
			return TRUE;
		}
		if (g_str_has_prefix(line, "ERR ")) {
			gchar *end = NULL;

			*gpg_error = (guint) g_ascii_strtoull(line + 4, &end, 10);
			g_free(self->error_text);
			self->error_text = g_strdup(g_strstrip(end));
			return TRUE;
		}
		if (g_str_has_prefix(line, "D ") && data != NULL) {
			if (!cb_pinentry_unescape(line + 2, data)) {
				g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
					    _("the passphrase is longer than %d bytes"),
					    CB_PASSPHRASE_MAX);
				return FALSE;
			}
		} else if (g_str_equal(line, "S PIN_REPEATED") ||
			   g_str_has_prefix(line, "S PIN_REPEATED ")) {
			if (repeated != NULL)
				*repeated = TRUE;
		} else if (g_str_has_prefix(line, "INQUIRE ")) {
			/* e.g. the quality of what is typed, which we do not rate */
			if (!cb_pinentry_send(self, "END", error))
				return FALSE;
		}
		/* anything else is a comment (#) or a status line we do not use */
	}
}

/* a command whose ERR is an error of its own; returns its gpg error */
static gboolean
cb_pinentry_command(CbPinentry *self, const gchar *line, guint *gpg_error, GError **error)
{
	return cb_pinentry_send(self, line, error) &&
	       cb_pinentry_read_answer(self, NULL, NULL, gpg_error, error);
}

/* a command that must succeed */
static gboolean
cb_pinentry_set(CbPinentry *self, const gchar *command, const gchar *text, GError **error)
{
	g_autoptr(GString) line = g_string_new(command);
	guint gpg_error = 0;

	if (text != NULL) {
		g_string_append_c(line, ' ');
		cb_pinentry_escape(line, text);
	}
	if (!cb_pinentry_command(self, line->str, &gpg_error, error))
		return FALSE;
	if (gpg_error != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE, _("%s refused %s: %s"),
			    self->program, command, self->error_text);
		return FALSE;
	}
	return TRUE;
}

/* whether an optional command (one older pinentries lack) was taken */
static gboolean
cb_pinentry_try(
    CbPinentry *self, const gchar *command, const gchar *text, gboolean *taken, GError **error)
{
	g_autoptr(GString) line = g_string_new(command);
	guint gpg_error = 0;

	g_string_append_c(line, ' ');
	cb_pinentry_escape(line, text);
	if (!cb_pinentry_command(self, line->str, &gpg_error, error))
		return FALSE;
	*taken = gpg_error == 0;
	return TRUE;
}

static CbSecret *
cb_pinentry_getpin(CbPinentry *self, gboolean *repeated, GError **error)
{
	g_autoptr(CbSecret) pin = cb_secret_new(CB_PASSPHRASE_MAX, error);
	guint gpg_error = 0;

	if (pin == NULL || !cb_pinentry_send(self, "GETPIN", error) ||
	    !cb_pinentry_read_answer(self, pin, repeated, &gpg_error, error))
		return NULL;
	/* the last line read was the OK; the D lines before it are wiped */
	cb_secret_set_size(self->line, 0);
	if ((gpg_error & 0xffff) == CB_GPG_ERR_CANCELED ||
	    (gpg_error & 0xffff) == CB_GPG_ERR_FULLY_CANCELED) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("the passphrase prompt was cancelled"));
		return NULL;
	}
	if (gpg_error != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("%s could not ask for the passphrase: %s"), self->program,
			    self->error_text);
		return NULL;
	}
	return g_steal_pointer(&pin);
}

static gboolean
cb_pinentry_greet(CbPinentry *self, gboolean tty, GError **error)
{
	const gchar *term = g_getenv("TERM");
	guint gpg_error = 0;

	if (!cb_pinentry_read_answer(self, NULL, NULL, &gpg_error, error))
		return FALSE;
	if (gpg_error != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("%s does not speak the pinentry protocol: %s"), self->program,
			    self->error_text);
		return FALSE;
	}
	/* only a pinentry on a terminal needs to know which one */
	if (tty) {
		g_autofree gchar *name = cb_pinentry_tty_name();
		g_autofree gchar *option = g_strconcat("OPTION ttyname=", name, NULL);

		if (!cb_pinentry_command(self, option, &gpg_error, error))
			return FALSE;
		if (term != NULL && *term != '\0') {
			g_autofree gchar *type = g_strconcat("OPTION ttytype=", term, NULL);
			if (!cb_pinentry_command(self, type, &gpg_error, error))
				return FALSE;
		}
	}
	return cb_pinentry_set(self, "SETTITLE", "cryptburn", error);
}

/* the second GETPIN we ask ourselves when the program cannot repeat */
static gboolean
cb_pinentry_confirm(CbPinentry *self,
		    const CbPinentryRequest *request,
		    CbSecret *first,
		    GError **error)
{
	g_autofree gchar *desc =
	    g_strdup_printf("%s\n\n%s", request->description, _("Type it again to confirm it."));
	g_autoptr(CbSecret) second = NULL;

	if (!cb_pinentry_set(self, "SETDESC", desc, error) ||
	    !cb_pinentry_set(self, "SETPROMPT", _("Repeat:"), error))
		return FALSE;
	second = cb_pinentry_getpin(self, NULL, error);
	if (second == NULL)
		return FALSE;
	if (!cb_secret_equal(first, second)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("the two passphrases differ"));
		return FALSE;
	}
	return TRUE;
}

CbSecret *
cb_pinentry_ask(const CbPinentryRequest *request, GCancellable *cancellable, GError **error)
{
	g_auto(CbPinentry) self = { .in = -1, .out = -1, .cancellable = cancellable };
	gboolean tty = cb_pinentry_has_terminal();
	gboolean can_repeat = FALSE;
	gboolean taken = FALSE;
	gboolean repeated = FALSE;
	g_autoptr(GError) bye_error = NULL;
	g_autoptr(CbSecret) pin = NULL;
	guint gpg_error = 0;

	self.program = cb_pinentry_find(tty, error);
	if (self.program == NULL)
		return NULL;
	self.line = cb_secret_new(CB_PINENTRY_LINE_MAX, error);
	if (self.line == NULL || !cb_pinentry_start(&self, error) ||
	    !cb_pinentry_greet(&self, tty, error) ||
	    !cb_pinentry_set(&self, "SETDESC", request->description, error) ||
	    !cb_pinentry_set(&self, "SETPROMPT", request->prompt, error))
		return NULL;
	/* pinentry's own confirmation field; older ones answer ERR */
	if (request->confirm) {
		if (!cb_pinentry_try(&self, "SETREPEAT", _("Repeat:"), &can_repeat, error))
			return NULL;
		if (can_repeat && !cb_pinentry_try(&self, "SETREPEATERROR",
						   _("The passphrases differ."), &taken, error))
			return NULL;
	}
	pin = cb_pinentry_getpin(&self, &repeated, error);
	if (pin == NULL)
		return NULL;
	/* without "S PIN_REPEATED" the program did not compare two entries */
	if (request->confirm && !repeated && !cb_pinentry_confirm(&self, request, pin, error))
		return NULL;
	/* told BYE, it ends by itself; one gone already does not matter now */
	if (cb_pinentry_command(&self, "BYE", &gpg_error, &bye_error)) {
		close(self.in);
		self.in = -1;
		while (waitpid(self.pid, NULL, 0) < 0 && errno == EINTR)
			;
		self.running = FALSE;
	} else {
		g_debug("%s", bye_error->message);
	}
	return g_steal_pointer(&pin);
}
