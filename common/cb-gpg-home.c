/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs on the caller's thread (see cb-gpg-home.h); gpgme must have been
 * initialised (cb-gpg-key.c does) before cb_gpg_home_open(). */
#include "cb-gpg-home.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include <gpgme.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CB_GPG_HOME_PREFIX "cb-gpg-"
/* the longest socket name gpg-agent makes in its home */
#define CB_GPG_HOME_SOCKET "/S.gpg-agent.browser"
/* how long the agent may take to go after SIGTERM */
#define CB_GPG_HOME_AGENT_EXIT_MS 5000
/* a cleaner of stale homes may remove a new one before its owner locks
 * it: the owner then makes another, this many times */
#define CB_GPG_HOME_ATTEMPTS 3

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, closedir)

/* not ~/.gnupg: a service's HOME may be unset or read-only, and the
 * user's agent must not see our passphrase. systemd gives a service
 * $RUNTIME_DIRECTORY (a list if there are several), elsewhere the
 * temporary directory will do */
static gchar *
cb_gpg_home_base(void)
{
	const gchar *runtime = g_getenv("RUNTIME_DIRECTORY");

	if (runtime != NULL && *runtime != '\0')
		return g_strndup(runtime, strcspn(runtime, ":"));
	return g_strdup(g_get_tmp_dir());
}

/* the GnuPG that gpgme runs, not just any on PATH: its gpgconf, and the
 * gpg-agent beside it (GnuPG installs both in its bindir and finds the
 * agent there itself) */
static gchar *
cb_gpg_home_gpgconf_path(void)
{
	gpgme_engine_info_t info = NULL;

	if (gpgme_get_engine_info(&info) != 0)
		info = NULL;
	for (; info != NULL; info = info->next) {
		if (info->protocol == GPGME_PROTOCOL_GPGCONF && info->file_name != NULL)
			return g_strdup(info->file_name);
	}
	return g_find_program_in_path("gpgconf");
}

static gboolean
cb_gpg_home_gpgconf(const gchar *home, const gchar *arg1, const gchar *arg2, gchar **out)
{
	g_autofree gchar *gpgconf = cb_gpg_home_gpgconf_path();
	const gchar *argv[] = { gpgconf, "--homedir", home, arg1, arg2, NULL };
	g_autoptr(GError) error = NULL;
	gint status = 0;

	if (gpgconf == NULL) {
		g_debug("no gpgconf");
		return FALSE;
	}
	if (!g_spawn_sync(NULL, (gchar **) argv, NULL,
			  G_SPAWN_STDERR_TO_DEV_NULL |
			      (out == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : 0),
			  NULL, NULL, out, NULL, &status, &error)) {
		g_debug("cannot run %s %s: %s", gpgconf, arg1, error->message);
		return FALSE;
	}
	return g_spawn_check_wait_status(status, NULL);
}

static int
cb_gpg_home_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	/* a socket the exiting agent unlinks itself may be gone already */
	if (remove(path) != 0 && errno != ENOENT) {
		g_warning("cannot remove %s: %s", path, g_strerror(errno));
		return -1;
	}
	return 0;
}

static void
cb_gpg_home_remove_tree(const gchar *path)
{
	(void) nftw(path, cb_gpg_home_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* --- the agent --- */

typedef struct {
	pid_t parent;
} CbGpgAgentSetup;

/* in the child between fork and exec: async-signal-safe calls only */
static void
cb_gpg_home_agent_setup(gpointer data)
{
	const CbGpgAgentSetup *setup = data;
	sigset_t none;

	/* the agent stops on SIGTERM, which the forking thread may block */
	sigemptyset(&none);
	/* dies with the thread that started it, which clears the home before
	 * it ends; a parent gone before this line left us to another one */
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != setup->parent)
		_exit(1);
}

/* where gpg will look for the agent: the home itself, or
 * /run/user/UID/gnupg/d.<hash> when that exists (a desktop user's) */
static gchar *
cb_gpg_home_agent_socket(CbGpgHome *self, GError **error)
{
	g_autofree gchar *socket = NULL;
	g_autofree gchar *dir = NULL;

	if (!cb_gpg_home_gpgconf(self->path, "--list-dirs", "agent-socket", &socket) ||
	    *g_strchomp(socket) == '\0') {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("GnuPG is not usable (is gnupg installed?)"));
		return NULL;
	}
	dir = g_path_get_dirname(socket);
	if (g_strcmp0(dir, self->path) != 0) {
		if (!cb_gpg_home_gpgconf(self->path, "--create-socketdir", NULL, NULL)) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot create gpg-agent's socket directory %s"), dir);
			return NULL;
		}
		self->sockdir = g_steal_pointer(&dir);
	}
	return g_steal_pointer(&socket);
}

/* a listening socket where gpg will look; the agent gets it as fd 3 */
static gint
cb_gpg_home_listen(const gchar *path, GError **error)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	gint fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		g_autofree gchar *dir = g_path_get_dirname(path);
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("the directory %s is too long a path for gpg-agent's sockets; set "
			      "TMPDIR to a shorter one"),
			    dir);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot make gpg-agent's socket %s: %s"), path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * gpg-agent --supervised stays in the foreground and serves the sockets it
 * is given by the systemd convention (LISTEN_FDS, LISTEN_FDNAMES), so it
 * is our child, not a daemon that detached itself, and has a death
 * signal. The socket is listening before the agent runs: gpg's connect()
 * succeeds at once and waits in the backlog. No LISTEN_PID: the child's
 * pid cannot be put into its environment between fork and exec; the
 * agent logs that (to /dev/null) and goes on.
 */
static gboolean
cb_gpg_home_start_agent(CbGpgHome *self, GError **error)
{
	g_autofree gchar *gpgconf = cb_gpg_home_gpgconf_path();
	g_autofree gchar *bindir = NULL;
	g_autofree gchar *agent = NULL;
	g_autofree gchar *socket = NULL;
	g_autoptr(GError) local = NULL;
	const gchar *argv[] = {
		NULL, "--homedir", NULL, "--supervised", "--disable-scdaemon", NULL
	};
	const gchar *envp[] = { "LISTEN_FDS=1", "LISTEN_FDNAMES=std", NULL };
	CbGpgAgentSetup setup = { .parent = getpid() };
	gint target = 3;
	gint fd;
	gboolean ok;

	/* fails when there is no gpgconf, so there is one below */
	socket = cb_gpg_home_agent_socket(self, error);
	if (socket == NULL || gpgconf == NULL)
		return FALSE;
	bindir = g_path_get_dirname(gpgconf);
	agent = g_build_filename(bindir, "gpg-agent", NULL);
	argv[0] = agent;
	argv[2] = self->path;

	fd = cb_gpg_home_listen(socket, error);
	if (fd < 0)
		return FALSE;
	ok = g_spawn_async_with_pipes_and_fds(
	    NULL, argv, envp,
	    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL |
		G_SPAWN_STDERR_TO_DEV_NULL,
	    cb_gpg_home_agent_setup, &setup, -1, -1, -1, &fd, &target, 1, &self->agent, NULL, NULL,
	    NULL, &local);
	close(fd);
	if (!ok) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("cannot start %s (is gnupg installed?): %s"), agent, local->message);
		return FALSE;
	}
	return TRUE;
}

/* SIGTERM: the agent exits once gpg, its last client, has gone */
static void
cb_gpg_home_stop_agent(CbGpgHome *self)
{
	gint waited = 0;

	if (self->agent == 0)
		return;
	kill(self->agent, SIGTERM);
	while (waitpid(self->agent, NULL, WNOHANG) == 0) {
		if (waited >= CB_GPG_HOME_AGENT_EXIT_MS) {
			g_warning("gpg-agent in %s did not stop; killing it", self->path);
			kill(self->agent, SIGKILL);
			(void) waitpid(self->agent, NULL, 0);
			break;
		}
		g_usleep(10 * 1000);
		waited += 10;
	}
	self->agent = 0;
}

/* --- the home --- */

/* a shared flock() says "in use" to cb_gpg_home_remove_stale(), which
 * takes it exclusively; FALSE if such a cleaner removed the directory
 * between mkdtemp() and here */
static gboolean
cb_gpg_home_lock(CbGpgHome *self)
{
	struct stat locked, named;

	self->lock = open(self->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (self->lock < 0 || flock(self->lock, LOCK_SH) != 0 || fstat(self->lock, &locked) != 0)
		return FALSE;
	return lstat(self->path, &named) == 0 && named.st_dev == locked.st_dev &&
	       named.st_ino == locked.st_ino;
}

static gboolean
cb_gpg_home_make(CbGpgHome *self, GError **error)
{
	g_autofree gchar *base = cb_gpg_home_base();

	for (gint attempt = 0; attempt < CB_GPG_HOME_ATTEMPTS; attempt++) {
		g_autofree gchar *tmpl = g_build_filename(base, CB_GPG_HOME_PREFIX "XXXXXX", NULL);

		/* gpg-agent's sockets go here when /run/user/UID is missing, as
		 * it is for root in a service, and a socket's name has to fit
		 * sockaddr_un */
		if (strlen(tmpl) + strlen(CB_GPG_HOME_SOCKET) >=
		    sizeof(((struct sockaddr_un *) NULL)->sun_path)) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_FAILED,
			    _("the directory %s is too long a path for gpg-agent's sockets; "
			      "set TMPDIR to a shorter one"),
			    base);
			return FALSE;
		}
		if (g_mkdtemp_full(tmpl, 0700) == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot create a private GnuPG home in %s: %s"), base,
				    g_strerror(errno));
			return FALSE;
		}
		self->path = g_steal_pointer(&tmpl);
		if (cb_gpg_home_lock(self))
			return TRUE;
		/* rmdir, not the whole tree: whatever is there now is not ours */
		if (self->lock >= 0)
			close(self->lock);
		self->lock = -1;
		(void) rmdir(self->path);
		g_clear_pointer(&self->path, g_free);
	}
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
		    _("cannot create a private GnuPG home in %s: %s"), base,
		    g_strerror(errno != 0 ? errno : EAGAIN));
	return FALSE;
}

gboolean
cb_gpg_home_open(CbGpgHome *self, const gchar *conf, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *conf_path = NULL;

	if (!cb_gpg_home_make(self, error))
		return FALSE;
	conf_path = g_build_filename(self->path, "gpg.conf", NULL);
	if (!g_file_set_contents_full(conf_path, conf, -1, G_FILE_SET_CONTENTS_NONE, 0600,
				      &local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot write the private GnuPG configuration: %s"), local->message);
		return FALSE;
	}
	return cb_gpg_home_start_agent(self, error);
}

void
cb_gpg_home_clear(CbGpgHome *self)
{
	cb_gpg_home_stop_agent(self);
	if (self->path != NULL) {
		if (self->sockdir != NULL)
			cb_gpg_home_gpgconf(self->path, "--remove-socketdir", NULL, NULL);
		cb_gpg_home_remove_tree(self->path);
	}
	/* the lock goes last: until the home is gone it is in use */
	if (self->lock >= 0)
		close(self->lock);
	self->lock = -1;
	g_clear_pointer(&self->path, g_free);
	g_clear_pointer(&self->sockdir, g_free);
}

void
cb_gpg_home_remove_stale(void)
{
	g_autofree gchar *base = cb_gpg_home_base();
	g_autoptr(DIR) dir = opendir(base);
	struct dirent *entry;

	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		g_autofree gchar *path = NULL;
		struct stat st;
		gint fd;

		if (!g_str_has_prefix(entry->d_name, CB_GPG_HOME_PREFIX) ||
		    fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		fd = openat(dirfd(dir), entry->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* held shared by a live process: in use */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			path = g_build_filename(base, entry->d_name, NULL);
			g_message("removing %s, left by a process that was killed", path);
			cb_gpg_home_remove_tree(path);
		}
		close(fd);
	}
}
