/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb_fd_probe and the answers: main thread; cb_fd_probe_thread: a detached
 * thread per probe */
#include "cb-fd-probe.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	/* set before the thread starts, then read-only */
	gint fd; /* a duplicate: the thread closes it */
	uid_t uid;
	gchar *what;
	/* written by the thread before it hands the probe back */
	struct stat st;
	gint saved_errno;
	/* main thread */
	CbFdProbeFunc done;
	gpointer user_data;
	guint timeout_id;
	gboolean answered;
} CbFdProbe;

/* uid -> probes whose thread is out; main thread */
static GHashTable *cb_fd_probe_running;

static guint
cb_fd_probe_running_of(uid_t uid)
{
	if (cb_fd_probe_running == NULL)
		return 0;
	return GPOINTER_TO_UINT(g_hash_table_lookup(cb_fd_probe_running, GUINT_TO_POINTER(uid)));
}

static void
cb_fd_probe_count(uid_t uid, gint delta)
{
	guint n = cb_fd_probe_running_of(uid) + (guint) delta;

	if (cb_fd_probe_running == NULL)
		cb_fd_probe_running = g_hash_table_new(NULL, NULL);
	if (n == 0)
		g_hash_table_remove(cb_fd_probe_running, GUINT_TO_POINTER(uid));
	else
		g_hash_table_insert(cb_fd_probe_running, GUINT_TO_POINTER(uid),
				    GUINT_TO_POINTER(n));
}

guint
cb_fd_probe_count_running(void)
{
	GHashTableIter iter;
	gpointer n;
	guint total = 0;

	if (cb_fd_probe_running == NULL)
		return 0;
	g_hash_table_iter_init(&iter, cb_fd_probe_running);
	while (g_hash_table_iter_next(&iter, NULL, &n))
		total += GPOINTER_TO_UINT(n);
	return total;
}

static void
cb_fd_probe_free(CbFdProbe *probe)
{
	g_free(probe->what);
	g_free(probe);
}

/* the thread came back: answer, unless the timeout did already */
static gboolean
cb_fd_probe_on_returned(gpointer data)
{
	CbFdProbe *probe = data;

	cb_fd_probe_count(probe->uid, -1);
	if (!probe->answered) {
		probe->answered = TRUE;
		g_clear_handle_id(&probe->timeout_id, g_source_remove);
		if (probe->saved_errno == 0) {
			probe->done(&probe->st, NULL, probe->user_data);
		} else {
			g_autoptr(GError) error = g_error_new(
			    CB_ERROR, CB_ERROR_INVALID_OPTION, _("cannot examine %s: %s"),
			    probe->what, g_strerror(probe->saved_errno));
			probe->done(NULL, error, probe->user_data);
		}
	}
	cb_fd_probe_free(probe);
	return G_SOURCE_REMOVE;
}

static gboolean
cb_fd_probe_on_timeout(gpointer data)
{
	CbFdProbe *probe = data;
	g_autoptr(GError) error = NULL;

	/* the probe itself stays the thread's until it returns */
	probe->timeout_id = 0;
	probe->answered = TRUE;
	error = g_error_new(CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s did not answer within %u s (is it on a file system that "
			      "hangs?)"),
			    probe->what, CB_FD_PROBE_TIMEOUT_S);
	probe->done(NULL, error, probe->user_data);
	return G_SOURCE_REMOVE;
}

static gpointer
cb_fd_probe_thread(gpointer data)
{
	CbFdProbe *probe = data;

	probe->saved_errno = fstat(probe->fd, &probe->st) == 0 ? 0 : errno;
	close(probe->fd);
	/* always queued, never run here (see cb_job_thread) */
	g_idle_add(cb_fd_probe_on_returned, probe);
	return NULL;
}

gboolean
cb_fd_probe(
    gint fd, uid_t uid, const gchar *what, CbFdProbeFunc done, gpointer user_data, GError **error)
{
	CbFdProbe *probe;
	g_autoptr(GThread) thread = NULL;
	gint copy;

	if (cb_fd_probe_running_of(uid) >= CB_FD_PROBE_MAX_PER_UID) {
		g_set_error(error, CB_ERROR, CB_ERROR_BUSY,
			    _("earlier requests of yours still wait for their files to "
			      "answer; try again when they have"));
		return FALSE;
	}
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot examine %s: %s"), what,
			    g_strerror(errno));
		return FALSE;
	}
	probe = g_new0(CbFdProbe, 1);
	probe->fd = copy;
	probe->uid = uid;
	probe->what = g_strdup(what);
	probe->done = done;
	probe->user_data = user_data;
	cb_fd_probe_count(uid, +1);
	probe->timeout_id =
	    g_timeout_add_seconds(CB_FD_PROBE_TIMEOUT_S, cb_fd_probe_on_timeout, probe);
	thread = g_thread_new("cb-fd-probe", cb_fd_probe_thread, probe);
	return TRUE;
}
