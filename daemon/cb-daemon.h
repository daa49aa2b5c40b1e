/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-authority.h"
#include "cb-crypto.h"
#include "cb-drive.h"
#include "cb-job.h"

G_BEGIN_DECLS

/*
 * The daemon's state: the object manager, the drives and the jobs.
 * Main thread.
 */

/* bounded input (DESIGN 5) */
#define CB_DAEMON_MAX_JOBS_PER_UID 8
/* started in any minute, finished or not: a finished job lingers */
#define CB_DAEMON_MAX_JOBS_PER_UID_PER_MINUTE 30
/* running jobs of all users together: libgcrypt's locked pool is sized
 * for this many (cb-crypto.h), and so is the unit's LimitMEMLOCK= */
#define CB_DAEMON_MAX_JOBS CB_CRYPTO_MAX_JOBS
/* a finished job stays visible this long, for late watchers */
#define CB_DAEMON_JOB_LINGER_S 60

typedef struct {
	gchar **test_drives; /* "PATH[:SIZE]" */
	gchar *reader_path;
	guint idle_timeout_s; /* 0: never exit */
	guint agent_timeout_s;
	gsize fifo_bytes;
	/* a test hook: the byte of a test drive's file to flip after each
	 * write, before it is read back; -1: none */
	gint64 test_corrupt_offset;
} CbDaemonConfig;

typedef struct _CbDaemon CbDaemon;

/* called when the daemon has had no job for idle_timeout_s */
typedef void (*CbDaemonIdleFunc)(gpointer user_data);

CbDaemon *
cb_daemon_new(const CbDaemonConfig *config, GError **error);
void
cb_daemon_free(CbDaemon *self);

/* exports every object on bus; call before owning the name */
gboolean
cb_daemon_export(CbDaemon *self,
		 GDBusConnection *bus,
		 CbDaemonIdleFunc idle,
		 gpointer user_data,
		 GError **error);
/* cancels all jobs and waits for their workers */
void
cb_daemon_shutdown(CbDaemon *self);
guint
cb_daemon_count_active_jobs(CbDaemon *self);

/* for the method handlers (cb-manager.c) */
CbAuthority *
cb_daemon_get_authority(CbDaemon *self);
/* NULL when it has gone */
CbJob *
cb_daemon_find_job(CbDaemon *self, const gchar *path);
CbDrive *
cb_daemon_find_drive(CbDaemon *self, const gchar *path, GError **error);
/* checks the per-uid limit, claims the drive, exports and starts the job */
CbJob *
cb_daemon_start_job(CbDaemon *self, CbJobSpec *spec, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbDaemon, cb_daemon_free)

G_END_DECLS
