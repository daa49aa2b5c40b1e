/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's side of cryptburn-reader (protocol in cb-reader.h).
 *
 * Threads: cb_reader_spawn() runs on any thread. The daemon is
 * multithreaded, so everything the child needs (user, groups) is looked up
 * before the fork, and the child setup only makes async-signal-safe system
 * calls on that prepared data. cb_reader_wait_size(), cb_reader_read() and
 * cb_reader_free() run on the job's worker thread, which reads the image
 * from stdout. One I/O thread per reader writes the request to stdin and
 * drains stderr, so that neither pipe can fill up and stall the reader
 * while the worker waits on stdout; it hands warnings over under a lock
 * and the worker passes them to the warning func, so that callback always
 * runs on the worker thread.
 *
 * Trust: the reader runs as the caller, who may ptrace it and make it say
 * anything. Its output is bounded (line length, number of warnings), made
 * valid UTF-8 without control characters, its error codes are limited to
 * those a reader can have, and it may not send more or fewer bytes than it
 * announced. Waits for it honour the job's cancellable, and freeing the
 * reader kills it, so a reader that hangs cannot hold a job.
 */
#include "cb-reader.h"

#include "cb-error.h"
#include "cb-reader-request.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* the kernel's default pipe (64 KiB) costs a context switch every 16
 * pages at disc speeds; 1 MiB is what an unprivileged user may set too */
#define CB_READER_PIPE_SIZE (1024 * 1024)
/* a reader's lines are short; anything longer is cut */
#define CB_READER_MAX_LINE 4096
/* more warnings than anyone reads; the rest are counted, not kept */
#define CB_READER_MAX_WARNINGS 1000
/* after the reader died, what is left in its stderr pipe is bounded by
 * the pipe size; more can only come from a process it left behind */
#define CB_READER_MAX_DRAIN (256 * 1024)
#define CB_READER_STDERR_CHUNK 4096
#define CB_READER_SECTOR 2048

/* what the child needs to become the caller, prepared before the fork */
typedef struct {
	gboolean change; /* FALSE when the daemon already is that user */
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	gsize n_groups;
	pid_t daemon; /* getpid() before the fork */
} CbReaderCreds;

struct _CbReader {
	GPid pid; /* 0 once reaped */
	int pidfd;
	int stdin_fd; /* the I/O thread's, once it runs */
	int stdout_fd;
	int stderr_fd;
	int stop_fds[2]; /* tells the I/O thread to finish */
	GThread *io_thread;
	GBytes *request;

	/* filled by the I/O thread */
	GMutex lock;
	GPtrArray *warnings; /* not yet passed on */
	guint n_warnings;
	gchar *error_line; /* the last "error: " line */
	gchar *other_line; /* the last line outside the protocol */

	CbReaderWarningFunc warning_func;
	gpointer warning_data;
	GCancellable *cancellable;
	GPollFD cancel_fd;
	gboolean have_cancel_fd;

	gboolean have_size;
	guint64 size;
	guint64 done;
	gboolean finished; /* reaped, I/O thread joined, result below */
	int status;
	GError *result;
};

static void
cb_reader_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* --- becoming the caller --- */

static gboolean
cb_reader_lookup_user(uid_t uid, CbReaderCreds *creds, GError **error)
{
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	gsize buf_len = max > 0 ? (gsize) max : 16384;
	long groups_max = sysconf(_SC_NGROUPS_MAX);
	g_autofree gchar *buf = NULL;
	struct passwd pw;
	struct passwd *found = NULL;
	int n = 32;
	int rc;

	for (;;) {
		buf = g_realloc(buf, buf_len);
		rc = getpwuid_r(uid, &pw, buf, buf_len, &found);
		if (rc != ERANGE || buf_len >= 1024 * 1024)
			break;
		buf_len *= 2;
	}
	if (found == NULL) {
		if (rc != 0)
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot look up user %u: %s"), (guint) uid, g_strerror(rc));
		else
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("there is no user %u to read the files as"), (guint) uid);
		return FALSE;
	}

	/* glibc tells how many there are when the array is too small */
	for (;;) {
		int want = n;
		creds->groups = g_renew(gid_t, creds->groups, n);
		if (getgrouplist(pw.pw_name, pw.pw_gid, creds->groups, &want) >= 0) {
			n = want;
			break;
		}
		n = want > n ? want : n * 2;
		if (groups_max > 0 && n > groups_max + 1) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("user %s is in more groups than the system allows"),
				    pw.pw_name);
			return FALSE;
		}
	}
	creds->uid = uid;
	creds->gid = pw.pw_gid;
	creds->n_groups = (gsize) n;
	/* a daemon that is not root cannot change its user, nor need to when
	 * it already is the caller (tests, a per-user instance) */
	creds->change = !(geteuid() != 0 && getuid() == uid && geteuid() == uid &&
			  getgid() == pw.pw_gid && getegid() == pw.pw_gid);
	return TRUE;
}

static void G_GNUC_NORETURN
cb_reader_child_fail(void)
{
	/* the protocol's error line; CB_ERROR_FAILED is 0. No gettext: it
	 * may allocate, which is not safe between fork and exec */
	static const char msg[] = "error: 0 cannot switch to the caller's user and groups\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void) n;
	_exit(1);
}

/* runs in the child between fork and exec: async-signal-safe calls only */
static void
cb_reader_child_setup(gpointer data)
{
	const CbReaderCreds *creds = data;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	sigset_t none;

	/* the same reader whichever daemon thread started it */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		cb_reader_child_fail();
	if (creds->change) {
		/* groups and gid first: once the uid is the caller's, changing
		 * them is no longer allowed */
		if (setgroups(creds->n_groups, creds->groups) != 0 ||
		    setresgid(creds->gid, creds->gid, creds->gid) != 0 ||
		    setresuid(creds->uid, creds->uid, creds->uid) != 0)
			cb_reader_child_fail();
		/* believe the kernel, not the return values */
		if (getresuid(&ruid, &euid, &suid) != 0 || ruid != creds->uid ||
		    euid != creds->uid || suid != creds->uid ||
		    getresgid(&rgid, &egid, &sgid) != 0 || rgid != creds->gid ||
		    egid != creds->gid || sgid != creds->gid ||
		    getgroups(0, NULL) != (int) creds->n_groups)
			cb_reader_child_fail();
		if (creds->uid != 0 && setresuid(0, 0, 0) == 0)
			cb_reader_child_fail();
	}
	/* a daemon killed with SIGKILL (or crashed) takes its readers along:
	 * nobody would read their output or wait for them. Set after the
	 * switch, as changing the euid clears it; a daemon that died before
	 * this line left us to another parent, hence the getppid() check. The
	 * signal follows the thread that forked, the job's worker, which
	 * frees its reader before it ends (cb-job-work.c). The kernel sends
	 * it with the daemon's rights: as root, CAP_KILL lets it reach a
	 * reader of another uid. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != creds->daemon)
		cb_reader_child_fail();
}

/* --- the I/O thread: request in, stderr out --- */

/* what a line says, made fit for logs and D-Bus: valid UTF-8, no
 * control characters (a file name may hold escape sequences) */
static gchar *
cb_reader_clean_text(const gchar *raw, gsize len)
{
	gchar *text = g_utf8_make_valid(raw, (gssize) len);

	for (gchar *p = text; *p != '\0'; p++) {
		if ((guchar) *p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return text;
}

static void
cb_reader_take_line(CbReader *self, const gchar *raw, gsize len)
{
	g_autofree gchar *text = cb_reader_clean_text(raw, len);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);

	if (g_str_has_prefix(text, "warning: ")) {
		self->n_warnings++;
		if (self->n_warnings < CB_READER_MAX_WARNINGS)
			g_ptr_array_add(self->warnings, g_strdup(text + strlen("warning: ")));
		else if (self->n_warnings == CB_READER_MAX_WARNINGS)
			g_ptr_array_add(self->warnings,
					g_strdup(_("more warnings follow, but are left out")));
	} else if (g_str_has_prefix(text, "error: ")) {
		g_free(self->error_line);
		self->error_line = g_steal_pointer(&text);
	} else if (text[0] != '\0') {
		g_free(self->other_line);
		self->other_line = g_steal_pointer(&text);
	}
}

/* splits stderr into lines, each cut to CB_READER_MAX_LINE */
static void
cb_reader_feed(CbReader *self, GString *partial, const gchar *buf, gsize len)
{
	while (len > 0) {
		const gchar *nl = memchr(buf, '\n', len);
		gsize part = nl != NULL ? (gsize) (nl - buf) : len;

		g_string_append_len(partial, buf, MIN(part, CB_READER_MAX_LINE - partial->len));
		if (nl == NULL)
			return;
		cb_reader_take_line(self, partial->str, partial->len);
		g_string_truncate(partial, 0);
		buf += part + 1;
		len -= part + 1;
	}
}

typedef enum {
	CB_READER_DRAIN_MORE,
	CB_READER_DRAIN_EMPTY, /* nothing to read just now */
	CB_READER_DRAIN_END,
} CbReaderDrain;

/* one non-blocking read of stderr, split into lines */
static CbReaderDrain
cb_reader_drain_stderr(CbReader *self, GString *partial)
{
	gchar buf[CB_READER_STDERR_CHUNK];
	gssize n = read(self->stderr_fd, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return CB_READER_DRAIN_MORE;
	if (n < 0 && errno == EAGAIN)
		return CB_READER_DRAIN_EMPTY;
	if (n <= 0)
		return CB_READER_DRAIN_END;
	cb_reader_feed(self, partial, buf, (gsize) n);
	return CB_READER_DRAIN_MORE;
}

/* a non-blocking write of the rest of the request; closes stdin when it
 * is all out or the reader stopped reading */
static void
cb_reader_write_request(CbReader *self, gsize *written)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(self->request, &len);
	gssize n = write(self->stdin_fd, data + *written, len - *written);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0)
		*written += (gsize) n;
	if (n < 0 || *written == len)
		cb_reader_close(&self->stdin_fd);
}

static gpointer
cb_reader_io_thread(gpointer data)
{
	CbReader *self = data;
	g_autoptr(GString) partial = g_string_new(NULL);
	gsize written = 0;
	sigset_t pipe_set;

	/* a reader that exits before reading its request must not raise
	 * SIGPIPE in the daemon: blocked here, it stays pending on this
	 * thread and goes away with it, and write() says EPIPE */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = self->stop_fds[0], .events = POLLIN },
			{ .fd = self->stderr_fd, .events = POLLIN },
			{ .fd = self->stdin_fd, .events = POLLOUT },
		};

		if (poll(fds, G_N_ELEMENTS(fds), -1) < 0) {
			if (errno == EINTR)
				continue;
			g_warning("cannot watch cryptburn-reader: %s", g_strerror(errno));
			break;
		}
		if (fds[2].revents != 0)
			cb_reader_write_request(self, &written);
		if (fds[1].revents != 0 &&
		    cb_reader_drain_stderr(self, partial) == CB_READER_DRAIN_END)
			break;
		if (fds[0].revents != 0) {
			/* the reader is gone: take what it left in the pipe, but
			 * not what a process it left behind may keep writing */
			for (guint i = 0; i < CB_READER_MAX_DRAIN / CB_READER_STDERR_CHUNK; i++) {
				if (cb_reader_drain_stderr(self, partial) != CB_READER_DRAIN_MORE)
					break;
			}
			break;
		}
	}
	if (partial->len > 0)
		cb_reader_take_line(self, partial->str, partial->len);
	cb_reader_close(&self->stdin_fd);
	return NULL;
}

/* --- starting --- */

CbReader *
cb_reader_spawn(const gchar *reader_path,
		uid_t uid,
		const gchar *const *sources,
		GVariant *iso_options,
		GError **error)
{
	const gchar *const argv[] = { reader_path, NULL };
	const gchar *const envp[] = { NULL };
	g_autoptr(CbReader) self = g_new0(CbReader, 1);
	g_autoptr(GError) error_local = NULL;
	g_autofree gid_t *groups = NULL;
	CbReaderCreds creds = { 0 };
	gboolean ok;

	self->pidfd = self->stdin_fd = self->stdout_fd = self->stderr_fd = -1;
	self->stop_fds[0] = self->stop_fds[1] = -1;
	g_mutex_init(&self->lock);
	self->warnings = g_ptr_array_new_with_free_func(g_free);

	self->request = cb_reader_build_request(sources, iso_options, error);
	if (self->request == NULL)
		return NULL;
	ok = cb_reader_lookup_user(uid, &creds, error);
	creds.daemon = getpid();
	groups = creds.groups;
	if (!ok)
		return NULL;
	if (!g_unix_open_pipe(self->stop_fds, FD_CLOEXEC, error))
		return NULL;

	if (!g_spawn_async_with_pipes_and_fds(
		"/", argv, envp, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES,
		cb_reader_child_setup, &creds, -1, -1, -1, NULL, NULL, 0, &self->pid,
		&self->stdin_fd, &self->stdout_fd, &self->stderr_fd, &error_local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot start %s: %s"), reader_path,
			    error_local->message);
		return NULL;
	}
	/* the child stays a zombie until we reap it, so its pid cannot be
	 * reused before this; without pidfds, waits cannot be cancelled */
	self->pidfd = pidfd_open(self->pid, 0);
	if (fcntl(self->stdout_fd, F_SETPIPE_SZ, CB_READER_PIPE_SIZE) < 0)
		g_debug("cannot enlarge the reader's pipe: %s", g_strerror(errno));
	if (!g_unix_set_fd_nonblocking(self->stdin_fd, TRUE, error) ||
	    !g_unix_set_fd_nonblocking(self->stdout_fd, TRUE, error) ||
	    !g_unix_set_fd_nonblocking(self->stderr_fd, TRUE, error))
		return NULL;
	self->io_thread = g_thread_try_new("cb-reader-io", cb_reader_io_thread, self, error);
	if (self->io_thread == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

void
cb_reader_set_warning_func(CbReader *self, CbReaderWarningFunc func, gpointer user_data)
{
	self->warning_func = func;
	self->warning_data = user_data;
}

/* --- the worker's side --- */

static void
cb_reader_pass_warnings(CbReader *self)
{
	g_autoptr(GPtrArray) pending = NULL;

	g_mutex_lock(&self->lock);
	if (self->warnings->len > 0) {
		pending = g_steal_pointer(&self->warnings);
		self->warnings = g_ptr_array_new_with_free_func(g_free);
	}
	g_mutex_unlock(&self->lock);
	for (guint i = 0; pending != NULL && i < pending->len; i++) {
		if (self->warning_func != NULL)
			self->warning_func(g_ptr_array_index(pending, i), self->warning_data);
	}
}

/* waits until fd can be read, or the job is cancelled */
static gboolean
cb_reader_poll(CbReader *self, int fd, GError **error)
{
	struct pollfd fds[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = self->have_cancel_fd ? self->cancel_fd.fd : -1, .events = POLLIN },
	};

	for (;;) {
		if (g_cancellable_set_error_if_cancelled(self->cancellable, error))
			return FALSE;
		if (poll(fds, G_N_ELEMENTS(fds), -1) < 0 && errno != EINTR) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot wait for cryptburn-reader: %s"), g_strerror(errno));
			return FALSE;
		}
		if (fds[0].revents != 0)
			return TRUE;
	}
}

/* reads len bytes of stdout, fewer only at its end */
static gboolean
cb_reader_read_stdout(CbReader *self, guint8 *buf, gsize len, gsize *got, GError **error)
{
	*got = 0;
	while (*got < len) {
		gssize n;

		if (g_cancellable_set_error_if_cancelled(self->cancellable, error))
			return FALSE;
		n = read(self->stdout_fd, buf + *got, len - *got);
		if (n == 0)
			break;
		if (n > 0) {
			*got += (gsize) n;
			continue;
		}
		if (errno == EAGAIN) {
			if (!cb_reader_poll(self, self->stdout_fd, error))
				return FALSE;
		} else if (errno != EINTR) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot read from cryptburn-reader: %s"), g_strerror(errno));
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
cb_reader_reap(CbReader *self, GError **error)
{
	if (self->pidfd >= 0 && !cb_reader_poll(self, self->pidfd, error))
		return FALSE;
	while (waitpid(self->pid, &self->status, 0) < 0) {
		if (errno != EINTR) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot wait for cryptburn-reader: %s"), g_strerror(errno));
			return FALSE;
		}
	}
	self->pid = 0;
	return TRUE;
}

static void
cb_reader_stop_io(CbReader *self)
{
	if (self->io_thread == NULL)
		return;
	if (write(self->stop_fds[1], "", 1) < 0)
		g_warning("cannot stop the reader's I/O thread: %s", g_strerror(errno));
	g_thread_join(g_steal_pointer(&self->io_thread));
}

/* "error: CODE TEXT" into a GError; codes of the service itself (polkit,
 * drives) are no reader's to claim */
static GError *
cb_reader_parse_error(const gchar *line)
{
	const gchar *text = line + strlen("error: ");
	gchar *end = NULL;
	guint64 code = g_ascii_strtoull(text, &end, 10);

	if (end == text || *end != ' ' || code > CB_ERROR_CRYPTO)
		return g_error_new(CB_ERROR, CB_ERROR_FAILED, _("cryptburn-reader failed: %s"),
				   text);
	return g_error_new_literal(CB_ERROR, (gint) code, end + 1);
}

/* how the reader ended, as the job's error; NULL for success */
static GError *
cb_reader_judge(CbReader *self)
{
	g_autofree gchar *said = NULL;

	if (WIFEXITED(self->status) && WEXITSTATUS(self->status) == 0)
		return NULL;
	if (self->error_line != NULL)
		return cb_reader_parse_error(self->error_line);
	said = self->other_line != NULL ? g_strdup_printf(" (%s)", self->other_line) : g_strdup("");
	if (WIFSIGNALED(self->status))
		return g_error_new(
		    CB_ERROR, CB_ERROR_FAILED, _("cryptburn-reader was killed by signal %d, %s%s"),
		    WTERMSIG(self->status), g_strsignal(WTERMSIG(self->status)), said);
	return g_error_new(CB_ERROR, CB_ERROR_FAILED,
			   _("cryptburn-reader failed with exit status %d without saying why%s"),
			   WEXITSTATUS(self->status), said);
}

/* reaps the reader once its stdout ended, and returns how it ended */
static gboolean
cb_reader_finish(CbReader *self, GError **error)
{
	if (!self->finished) {
		if (!cb_reader_reap(self, error))
			return FALSE;
		cb_reader_stop_io(self);
		self->result = cb_reader_judge(self);
		self->finished = TRUE;
	}
	cb_reader_pass_warnings(self);
	if (self->result != NULL) {
		g_propagate_error(error, g_error_copy(self->result));
		return FALSE;
	}
	return TRUE;
}

/* the stream ended short: the reader's own error says why, if it has one */
static gboolean
cb_reader_ended_early(CbReader *self, const gchar *what, GError **error)
{
	if (!cb_reader_finish(self, error))
		return FALSE;
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "%s", what);
	return FALSE;
}

gboolean
cb_reader_wait_size(CbReader *self, guint64 *size, GCancellable *cancellable, GError **error)
{
	guint64 size_le;
	gsize got;

	/* kept for the reads that follow, which have no cancellable of
	 * their own but must not outlast a cancelled job */
	if (cancellable != NULL && self->cancellable == NULL) {
		self->cancellable = g_object_ref(cancellable);
		self->have_cancel_fd = g_cancellable_make_pollfd(cancellable, &self->cancel_fd);
	}
	if (!self->have_size) {
		if (!cb_reader_read_stdout(self, (guint8 *) &size_le, sizeof(size_le), &got, error))
			return FALSE;
		if (got < sizeof(size_le))
			return cb_reader_ended_early(
			    self, _("cryptburn-reader ended without announcing the image size"),
			    error);
		self->size = GUINT64_FROM_LE(size_le);
		if (self->size == 0 || self->size % CB_READER_SECTOR != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cryptburn-reader announced an impossible image size of "
				      "%llu bytes"),
				    (unsigned long long) self->size);
			return FALSE;
		}
		self->have_size = TRUE;
	}
	cb_reader_pass_warnings(self);
	*size = self->size;
	return TRUE;
}

/* everything announced has come: the reader must end here, and well */
static gboolean
cb_reader_check_end(CbReader *self, GError **error)
{
	guint8 probe;
	gsize got = 0;

	if (!self->finished && !cb_reader_read_stdout(self, &probe, 1, &got, error))
		return FALSE;
	if (got > 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cryptburn-reader sent more than the %llu bytes it announced"),
			    (unsigned long long) self->size);
		return FALSE;
	}
	return cb_reader_finish(self, error);
}

gssize
cb_reader_read(CbReader *self, guint8 *buf, gsize len, GError **error)
{
	guint64 size;
	gsize want;
	gsize got = 0;

	if (!cb_reader_wait_size(self, &size, NULL, error))
		return -1;
	want = (gsize) MIN((guint64) len, self->size - self->done);
	if (want > 0) {
		if (!cb_reader_read_stdout(self, buf, want, &got, error))
			return -1;
		self->done += got;
		if (got < want) {
			g_autofree gchar *what = g_strdup_printf(
			    _("cryptburn-reader stopped after %llu of %llu bytes"),
			    (unsigned long long) self->done, (unsigned long long) self->size);
			cb_reader_ended_early(self, what, error);
			return -1;
		}
	}
	if (self->done == self->size && !cb_reader_check_end(self, error))
		return -1;
	cb_reader_pass_warnings(self);
	return (gssize) want;
}

void
cb_reader_free(CbReader *self)
{
	if (self == NULL)
		return;
	if (self->pid > 0) {
		/* not reaped yet, so the pid is still this reader's */
		kill(self->pid, SIGKILL);
		while (waitpid(self->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	cb_reader_stop_io(self);
	cb_reader_close(&self->pidfd);
	cb_reader_close(&self->stdin_fd);
	cb_reader_close(&self->stdout_fd);
	cb_reader_close(&self->stderr_fd);
	cb_reader_close(&self->stop_fds[0]);
	cb_reader_close(&self->stop_fds[1]);
	if (self->have_cancel_fd)
		g_cancellable_release_fd(self->cancellable);
	g_clear_object(&self->cancellable);
	g_clear_pointer(&self->request, g_bytes_unref);
	g_clear_pointer(&self->warnings, g_ptr_array_unref);
	g_free(self->error_line);
	g_free(self->other_line);
	g_clear_error(&self->result);
	g_mutex_clear(&self->lock);
	g_free(self);
}
