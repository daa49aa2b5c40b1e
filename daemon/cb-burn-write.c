/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * cb_burn_write(): one track in one session from a pipe, checked before
 * the disc is touched.
 *
 * Threads: everything here runs on a job's worker thread, progress
 * callbacks included, except cb_write_job_cancelled(), which runs on the
 * thread that cancels. libburn's control calls take burner_lock (see
 * cb-burner.c); the wait loop polls the drive without it. The pipe is read
 * into the write buffer by a thread of cb-burn-source.c, which the drive's
 * writer thread drains.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - A stdio drive whose write fails or is cancelled reports idle at once
 *   (burn_stdio_write_sync() re-grabs the file), but its writer thread
 *   then sleeps 500 ms (the failure path of burn_disc_write_sync()) before
 *   it unlinks itself from libburn's worker list. Until then
 *   burn_disc_write() on that drive refuses with "A drive operation is
 *   still going on", even after the drive was released and grabbed again.
 */

#include "cb-burner-private.h"

#include "cb-burn-source.h"
#include "cb-error.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the write buffer (CbBurnOptions.fifo_bytes): a drive that waits for a
 * slow moment of the pipeline loses speed (DESIGN 7); the buffer is
 * allocated whole, hence the cap */
#define CB_BURN_FIFO_DEFAULT (32 * 1024 * 1024)
#define CB_BURN_FIFO_MIN (1024 * 1024)
#define CB_BURN_FIFO_MAX (1024 * 1024 * 1024)
/* how long, and how often, to ask libburn again when it refuses to start
 * because the last operation on the drive is still going on */
#define CB_BURN_START_PATIENCE_USEC (5 * G_USEC_PER_SEC)
#define CB_BURN_START_RETRY_USEC (50 * 1000)

/* --- one write job's libburn objects, freed on every path --- */

typedef struct {
	struct burn_source *pipe_src;
	CbPipeSource *pipe; /* pipe_src->data, alive while we hold pipe_src */
	struct burn_track *track;
	struct burn_session *session;
	struct burn_disc *disc;
	struct burn_write_opts *opts;
	CbBurnStrategy strategy;
	GCancellable *cancellable;
	gulong cancel_id;
} CbWriteJob;

/* the drive is idle or was never started. A writer that outlives the idle
 * drive (see the top of this file) only drops its own reference to opts */
static void
cb_write_job_free(CbWriteJob *job)
{
	if (job->cancel_id != 0)
		g_cancellable_disconnect(job->cancellable, job->cancel_id);
	/* joins the filler thread here rather than wherever libburn drops
	 * its last reference to the source */
	if (job->pipe != NULL)
		cb_pipe_source_stop(job->pipe);
	if (job->opts != NULL)
		burn_write_opts_free(job->opts);
	if (job->track != NULL)
		burn_track_free(job->track);
	if (job->session != NULL)
		burn_session_free(job->session);
	if (job->disc != NULL)
		burn_disc_free(job->disc);
	if (job->pipe_src != NULL)
		burn_source_free(job->pipe_src);
	g_clear_object(&job->cancellable);
	g_free(job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbWriteJob, cb_write_job_free)

/* runs on the thread that cancels */
static void
cb_write_job_cancelled(GCancellable *cancellable, gpointer user_data)
{
	cb_pipe_source_abort(user_data);
}

/* "812 MB"; sizes a person compares, rounded so that "needs" > "holds"
 * never reads as equal when it is not */
static gchar *
burner_format_mb(guint64 bytes, gboolean round_up)
{
	guint64 unit = bytes < 10000000 ? 1000 : 1000000;
	g_autofree gchar *n = g_strdup_printf("%" G_GUINT64_FORMAT,
					      bytes / unit + (round_up && bytes % unit ? 1 : 0));

	/* TRANSLATORS: a size in decimal kilobytes or megabytes */
	return g_strdup_printf(unit == 1000 ? _("%s kB") : _("%s MB"), n);
}

/* a disc we may write from its first sector; lock held */
static gboolean
cb_burn_check_disc(CbBurn *self, GError **error)
{
	switch (cb_burn_disc_status(self)) {
	case BURN_DISC_BLANK:
		break;
	case BURN_DISC_EMPTY:
	case BURN_DISC_UNREADY:
	case BURN_DISC_UNGRABBED:
		g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, _("no disc in %s"), self->device);
		return FALSE;
	case BURN_DISC_APPENDABLE:
		/* cryptsetup and loop-AES read the device from sector 0, so an
		 * encrypted image appended as a later session is unreadable */
		g_set_error(
		    error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
		    _("the disc in %s already holds a session; an encrypted image must "
		      "start at the beginning of a disc: use a blank disc or blank this one"),
		    self->device);
		return FALSE;
	case BURN_DISC_FULL:
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    burn_disc_erasable(self->drive)
				? _("the disc in %s is full: blank it first")
				: _("the disc in %s is full or cannot be written"),
			    self->device);
		return FALSE;
	case BURN_DISC_UNSUITABLE:
	default:
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("the disc in %s cannot be written by this drive"), self->device);
		return FALSE;
	}
	return TRUE;
}

/* libburn does not refuse an oversized image on a stdio drive and would
 * fill the file system instead: check here, for every drive; lock held */
static gboolean
cb_burn_check_space(CbBurn *self, guint64 size, struct burn_write_opts *opts, GError **error)
{
	guint64 need = (size + CB_BURN_SECTOR - 1) / CB_BURN_SECTOR * CB_BURN_SECTOR;
	guint64 avail = cb_burn_free_bytes(self, opts);

	if (need > avail) {
		g_autofree gchar *need_str = burner_format_mb(need, TRUE);
		g_autofree gchar *avail_str = burner_format_mb(avail, FALSE);
		g_set_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL,
			    _("disc too small: image needs %s, disc holds %s"), need_str,
			    avail_str);
		return FALSE;
	}
	return TRUE;
}

static gsize
burner_fifo_bytes(const CbBurnOptions *options)
{
	gsize bytes = options->fifo_bytes != 0 ? options->fifo_bytes : CB_BURN_FIFO_DEFAULT;

	return CLAMP(bytes, CB_BURN_FIFO_MIN, CB_BURN_FIFO_MAX);
}

/* builds disc → session → track ← buffered pipe, and the write options */
static CbWriteJob *
cb_write_job_new(CbBurn *self,
		 int fd,
		 guint64 size,
		 const CbBurnOptions *options,
		 GCancellable *cancellable,
		 GError **error)
{
	g_autoptr(CbWriteJob) job = g_new0(CbWriteJob, 1);

	job->pipe_src = cb_pipe_source_new(fd, size, burner_fifo_bytes(options), &job->pipe, error);
	if (job->pipe_src == NULL)
		return NULL;
	if (cancellable != NULL) {
		job->cancellable = g_object_ref(cancellable);
		job->cancel_id = g_cancellable_connect(
		    cancellable, G_CALLBACK(cb_write_job_cancelled), job->pipe, NULL);
	}
	job->disc = burn_disc_create();
	job->session = burn_session_create();
	job->track = burn_track_create();
	if (job->disc == NULL || job->session == NULL || job->track == NULL) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot describe the disc to libburn"));
		return NULL;
	}
	/* data track, no offset, no tail padding, pad the last sector */
	burn_track_define_data(job->track, 0, 0, 1, BURN_MODE1);
	if (burn_track_set_source(job->track, job->pipe_src) != BURN_SOURCE_OK ||
	    burn_track_set_size(job->track, (off_t) size) <= 0 ||
	    burn_session_add_track(job->session, job->track, BURN_POS_END) == 0 ||
	    burn_disc_add_session(job->disc, job->session, BURN_POS_END) == 0) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot describe the disc to libburn"));
		return NULL;
	}

	job->opts = burn_write_opts_new(self->drive);
	if (job->opts == NULL) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot set up writing"));
		return NULL;
	}
	/* one session, and the disc is closed after it; the rest is the
	 * strategy's (cb-burn-strategy.c), once the disc is known */
	burn_write_opts_set_multi(job->opts, 0);
	burn_write_opts_set_fillup(job->opts, 0);
	job->strategy.write_mode = "";
	return g_steal_pointer(&job);
}

/* the buffer and the strategy, for a progress report */
static void
cb_write_job_status(CbWriteJob *job, CbBurnStatus *st, CbPipeSourceStatus *in)
{
	cb_pipe_source_get_status(job->pipe, in);
	st->fifo_fill = in->fill;
	st->fifo_empty_count = in->empty_count;
	st->write_mode = job->strategy.write_mode;
	st->underrun_proof = job->strategy.underrun_proof;
}

/*
 * A drive that starts on an empty buffer waits for the pipeline at once,
 * and a real one may run dry in its first seconds: the drive starts only
 * once the buffer is full (CbBurnOptions.fifo_bytes, 32 MiB by default,
 * DESIGN 7), or holds the whole image. The buffer's fill is reported
 * meanwhile. Cancelling aborts the source, which ends the wait too.
 */
static gboolean
cb_write_job_prefill(CbWriteJob *job,
		     CbBurnProgressFunc progress,
		     gpointer user_data,
		     GError **error)
{
	gboolean full = FALSE;

	while (!full) {
		CbBurnStatus st = { .phase = CB_BURN_PHASE_WRITING };
		CbPipeSourceStatus in;

		full = cb_pipe_source_wait_prefill(job->pipe, CB_BURN_POLL_USEC);
		cb_write_job_status(job, &st, &in);
		if (progress != NULL)
			progress(&st, user_data);
	}
	if (g_cancellable_is_cancelled(job->cancellable)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("burning cancelled before writing"));
		return FALSE;
	}
	return TRUE;
}

/* the input's verdict, once its reading has stopped */
static gboolean
cb_write_job_check_input(CbWriteJob *job, guint64 size, GError **error)
{
	CbPipeSourceStatus st;

	cb_pipe_source_get_status(job->pipe, &st);
	if (st.read_errno != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the image stream: %s"),
			    g_strerror(st.read_errno));
		return FALSE;
	}
	if (st.ended_short) {
		g_autofree gchar *done = g_strdup_printf("%" G_GUINT64_FORMAT, st.done);
		g_autofree gchar *total = g_strdup_printf("%" G_GUINT64_FORMAT, size);
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("the image stream ended after %s of %s bytes"), done, total);
		return FALSE;
	}
	return TRUE;
}

/*
 * Starts the writer, asking again while libburn says the drive's last
 * operation is still going on (see the top of this file). Returns libburn's
 * errors when it did not start, or NULL.
 *
 * burn_disc_write() clears the cancel flag only once it really starts a
 * writer; its early returns leave the flag as it was. Raised first, the
 * flag makes every such return a failure of burn_drive_wrote_well(),
 * instead of a "success" that wrote nothing. A started writer leaves the
 * drive busy (BURN_DRIVE_SPAWNING) before burn_disc_write() returns; an
 * idle drive right after it means libburn refused, unless the writer was
 * done already: one that failed at once (the ENOSPC of /dev/full) leaves
 * its reason here, with *os_errno.
 */
static gchar *
cb_write_job_start(CbBurn *self, CbWriteJob *job, int *os_errno)
{
	gint64 deadline = g_get_monotonic_time() + CB_BURN_START_PATIENCE_USEC;

	for (guint tries = 0;; tries++) {
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
		g_autofree gchar *errors = NULL;
		gboolean still_going = FALSE;

		burner_log_messages();
		burn_drive_cancel(self->drive);
		burn_disc_write(job->opts, job->disc);
		if (burn_drive_get_status(self->drive, NULL) != BURN_DRIVE_IDLE)
			return NULL;
		errors = burner_take_messages(&still_going, os_errno);
		if (!still_going || g_get_monotonic_time() >= deadline ||
		    g_cancellable_is_cancelled(job->cancellable))
			return g_steal_pointer(&errors);
		g_clear_pointer(&locker, g_mutex_locker_free);
		if (tries == 0)
			g_debug("%s: libburn's last operation is still going on; waiting",
				self->device);
		g_usleep(CB_BURN_START_RETRY_USEC);
	}
}

static CbBurnPhase
burner_phase(enum burn_drive_status status, guint64 done, guint64 size)
{
	if (status == BURN_DRIVE_WRITING_LEADOUT || status == BURN_DRIVE_CLOSING_TRACK ||
	    status == BURN_DRIVE_CLOSING_SESSION || done >= size)
		return CB_BURN_PHASE_FIXATING;
	return CB_BURN_PHASE_WRITING;
}

/* polls the drive until it is idle; returns whether we had to stop it */
static gboolean
cb_write_job_wait(
    CbBurn *self, CbWriteJob *job, guint64 size, CbBurnProgressFunc progress, gpointer user_data)
{
	struct burn_progress p = { 0 };
	gboolean stopped = FALSE;

	while (TRUE) {
		enum burn_drive_status status = burn_drive_get_status(self->drive, &p);
		CbBurnStatus st = { 0 };
		CbPipeSourceStatus in;

		if (status == BURN_DRIVE_IDLE)
			break;
		cb_write_job_status(job, &st, &in);
		/* cancel again on every round: the writer clears the flag when
		 * it starts, so a cancel during BURN_DRIVE_SPAWNING is lost */
		if (g_cancellable_is_cancelled(job->cancellable) || in.ended_short ||
		    in.read_errno != 0) {
			g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
			burn_drive_cancel(self->drive);
			stopped = TRUE;
		}
		if (progress != NULL && status != BURN_DRIVE_SPAWNING) {
			st.bytes_done = MIN((guint64) MAX(p.sector, 0) * CB_BURN_SECTOR, size);
			st.phase = burner_phase(status, st.bytes_done, size);
			progress(&st, user_data);
		}
		g_usleep(CB_BURN_POLL_USEC);
	}
	return stopped;
}

/* libburn opens a stdio file without O_TRUNC: a shorter image would keep
 * the tail of the last one, and the file would no longer be "the disc" */
static gboolean
cb_burn_trim_stdio(CbBurn *self, guint64 size, GError **error)
{
	const gchar *path = self->device + strlen("stdio:");
	guint64 written = (size + CB_BURN_SECTOR - 1) / CB_BURN_SECTOR * CB_BURN_SECTOR;
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return TRUE;
	/* a last check that the bytes are there: libburn said it wrote well */
	if ((guint64) st.st_size < size) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("%s holds %llu bytes after writing %llu"), path,
			    (unsigned long long) st.st_size, (unsigned long long) size);
		return FALSE;
	}
	if ((guint64) st.st_size == written)
		return TRUE;
	if (truncate(path, (off_t) written) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot cut %s to the image size: %s"), path, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_libburn_write(CbBurn *self,
		 int fd,
		 guint64 size,
		 const CbBurnOptions *options,
		 CbBurnProgressFunc progress,
		 gpointer user_data,
		 GCancellable *cancellable,
		 GError **error)
{
	CbBurnOptions defaults = { 0 };
	g_autoptr(CbWriteJob) job = NULL;
	g_autofree gchar *start_errors = NULL;
	int start_errno = 0;
	CbBurnStatus last = { .phase = CB_BURN_PHASE_FIXATING, .bytes_done = size };
	CbPipeSourceStatus in;
	gboolean stopped;
	gboolean wrote_well;
	gboolean cancelled;
	gboolean input_ok;

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(fd >= 0, FALSE);

	if (options == NULL)
		options = &defaults;
	if (size == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("nothing to burn: the image is empty"));
		return FALSE;
	}
	if (size > (guint64) G_MAXINT64) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("the image is too large"));
		return FALSE;
	}
	if (g_cancellable_is_cancelled(cancellable)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED, _("burning cancelled"));
		return FALSE;
	}

	job = cb_write_job_new(self, fd, size, options, cancellable, error);
	if (job == NULL)
		return FALSE;

	/* check the disc before anything reads the pipe or writes the disc */
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
		burner_log_messages();
		if (!cb_burn_check_disc(self, error) ||
		    !cb_burn_check_space(self, size, NULL, error) ||
		    !cb_burn_strategy_choose(self, job->opts, job->disc, options, &job->strategy,
					     error))
			return FALSE;
		/* with the write type known: on CD, TAO costs run-out blocks */
		if (!cb_burn_check_space(self, size, job->opts, error))
			return FALSE;
	}

	/* an input that dies now fails the job before the disc is touched */
	if (!cb_pipe_source_start(job->pipe, error) ||
	    !cb_write_job_prefill(job, progress, user_data, error) ||
	    !cb_write_job_check_input(job, size, error)) {
		g_clear_pointer(&job, cb_write_job_free);
		burner_discard_messages();
		return FALSE;
	}

	start_errors = cb_write_job_start(self, job, &start_errno);
	g_debug("writing %" G_GUINT64_FORMAT " bytes to %s", size, self->device);
	stopped = cb_write_job_wait(self, job, size, progress, user_data);

	/* a cancel also aborts the source, and libburn pads an aborted
	 * source with zeros: only a complete, well written image counts */
	wrote_well = burn_drive_wrote_well(self->drive);
	cb_write_job_status(job, &last, &in);
	cancelled =
	    g_cancellable_is_cancelled(cancellable) && (stopped || in.done < size || !wrote_well);
	input_ok = cancelled || cb_write_job_check_input(job, size, error);
	g_clear_pointer(&job, cb_write_job_free);

	/* libburn's complaints about the input we stopped are no news */
	if (cancelled) {
		burner_discard_messages();
		g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED, _("burning to %s cancelled"),
			    self->device);
		return FALSE;
	}
	if (!input_ok) {
		burner_discard_messages();
		g_prefix_error(error, _("burning to %s stopped: "), self->device);
		return FALSE;
	}
	if (!wrote_well) {
		g_autofree gchar *what = g_strdup_printf(_("burning to %s failed"), self->device);
		if (start_errors != NULL)
			burner_set_error_reason(error, CB_ERROR_FAILED, what, start_errors,
						start_errno);
		else
			burner_set_error(error, CB_ERROR_FAILED, what);
		return FALSE;
	}
	burner_log_messages();
	if (self->is_stdio && !options->simulate && !cb_burn_trim_stdio(self, size, error))
		return FALSE;
	if (progress != NULL) {
		last.fifo_fill = 0;
		progress(&last, user_data);
	}
	return TRUE;
}
