/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cb_scripted_write(): a scripted drive takes an image as a drive takes
 * a track. It refuses what a drive refuses before writing anything, then
 * copies exactly size bytes from the pipe into disc.img (nowhere when
 * simulating), reporting progress as libburn's writer does, stopping on a
 * cancel or where tray.ini's write-fail-at says the disc is bad, and
 * leaves the disc full.
 *
 * Threads: a job's worker thread, progress callbacks included.
 */
#include "cb-scripted-private.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CB_WRITE_CHUNK (256 * 1024)
#define CB_MB(bytes) ((bytes) / 1000000.0)

typedef struct {
	CbBurn *burn;
	CbScriptedDisc *disc;
	int in;
	int out; /* disc.img once the first bytes came; -1 when simulating */
	guint64 size;
	guint64 done;
	gboolean simulate;
	gint64 started;
	gint64 reported;
	CbBurnProgressFunc progress;
	gpointer user_data;
} CbScriptedWriter;

/* what a drive refuses before it writes anything */
static gboolean
cb_write_check(
    CbBurn *self, CbScriptedDisc *disc, guint64 size, const CbBurnOptions *options, GError **error)
{
	g_autoptr(CbScriptedDrive) drive = cb_scripted_drive_load(self->dir);
	const gchar *name = cb_scripted_disc_name(disc);
	guint64 free_bytes = cb_scripted_disc_free_bytes(disc);
	guint kind = cb_scripted_disc_kind(disc);

	if (kind != 0 && (drive->kinds & kind) == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    "the drive %s cannot write a %s", self->device, name);
		return FALSE;
	}
	if (g_strcmp0(disc->status, "unsuitable") == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    "the %s in %s cannot be written", name, self->device);
		return FALSE;
	}
	if (disc->unformatted) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    "the %s in %s is unformatted: format it before writing", name,
			    self->device);
		return FALSE;
	}
	/* an overwritable disc is written in place whatever it holds */
	if (!disc->overwritable && g_strcmp0(disc->status, "blank") != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    "the %s in %s is %s; a write-once disc is written once, when blank",
			    name, self->device, disc->status);
		return FALSE;
	}
	if (options->simulate && !disc->simulate) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    "the %s in %s cannot simulate a write", name, self->device);
		return FALSE;
	}
	if (size > free_bytes) {
		g_set_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL,
			    "disc too small: image needs %.1f MB, disc holds %.1f MB",
			    CB_MB((gdouble) size), CB_MB((gdouble) free_bytes));
		return FALSE;
	}
	return TRUE;
}

/* how full the pipe is: the scripted drive has no buffer of its own */
static gdouble
cb_write_fifo_fill(int fd)
{
	int queued = 0;
	int capacity = fcntl(fd, F_GETPIPE_SZ);

	if (capacity <= 0 || ioctl(fd, FIONREAD, &queued) != 0)
		return 0.0;
	return CLAMP((gdouble) queued / capacity, 0.0, 1.0);
}

static void
cb_write_report(CbScriptedWriter *w, CbBurnPhase phase)
{
	CbBurnStatus st = {
		.phase = phase,
		.bytes_done = w->done,
		.fifo_fill = cb_write_fifo_fill(w->in),
		.write_mode = w->disc->write_mode,
		.underrun_proof = TRUE,
	};

	w->reported = g_get_monotonic_time();
	if (w->progress != NULL)
		w->progress(&st, w->user_data);
}

/* the bytes write-rate allows by now, or size when it says nothing */
static guint64
cb_write_allowed(CbScriptedWriter *w)
{
	gdouble seconds = (gdouble) (g_get_monotonic_time() - w->started) / G_USEC_PER_SEC;

	if (w->disc->write_rate == 0)
		return w->size;
	return MIN(w->size, (guint64) (seconds * (gdouble) w->disc->write_rate));
}

static gboolean
cb_write_out(CbScriptedWriter *w, const guint8 *buf, gsize len, GError **error)
{
	g_autofree gchar *image = NULL;

	if (w->simulate)
		return TRUE;
	if (w->out < 0) {
		image = cb_scripted_tray_image(w->burn->dir);
		w->out = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->out < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "cannot write %s: %s", image,
				    g_strerror(errno));
			return FALSE;
		}
	}
	while (len > 0) {
		ssize_t n = write(w->out, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    "cannot write the disc in %s: %s", w->burn->device,
				    g_strerror(errno));
			return FALSE;
		}
		buf += n;
		len -= (gsize) n;
	}
	return TRUE;
}

/* one step: wait for the pipe a tick at most, then take what it has and
 * write-fail-at and write-rate allow */
static gboolean
cb_write_step(CbScriptedWriter *w, guint8 *buf, GCancellable *cancellable, GError **error)
{
	struct pollfd pfd = { .fd = w->in, .events = POLLIN };
	guint64 allowed = cb_write_allowed(w);
	gsize want;
	ssize_t n;

	if (g_cancellable_is_cancelled(cancellable)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED, "writing to %s cancelled",
			    w->burn->device);
		return FALSE;
	}
	if (w->disc->write_fail_at >= 0 && w->done >= (guint64) w->disc->write_fail_at) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "write error at block %" G_GUINT64_FORMAT " of the %s in %s",
			    w->done / CB_SCRIPTED_SECTOR, cb_scripted_disc_name(w->disc),
			    w->burn->device);
		return FALSE;
	}
	if (allowed <= w->done) {
		g_usleep(CB_SCRIPTED_TICK_USEC / 5);
		return TRUE;
	}
	if (poll(&pfd, 1, CB_SCRIPTED_TICK_USEC / 1000) <= 0)
		return TRUE;
	want = (gsize) MIN((guint64) CB_WRITE_CHUNK, allowed - w->done);
	if (w->disc->write_fail_at >= 0)
		want = (gsize) MIN((guint64) want, (guint64) w->disc->write_fail_at - w->done);
	n = read(w->in, buf, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return TRUE;
	if (n < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "cannot read the image: %s",
			    g_strerror(errno));
		return FALSE;
	}
	/* the job closes its end when it is cancelled: that is no short image */
	if (n == 0 && g_cancellable_is_cancelled(cancellable)) {
		g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED, "writing to %s cancelled",
			    w->burn->device);
		return FALSE;
	}
	if (n == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "the image ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
			    " bytes",
			    w->done, w->size);
		return FALSE;
	}
	if (!cb_write_out(w, buf, (gsize) n, error))
		return FALSE;
	w->done += (guint64) n;
	return TRUE;
}

static gboolean
cb_write_copy(CbScriptedWriter *w, GCancellable *cancellable, GError **error)
{
	g_autofree guint8 *buf = g_malloc(CB_WRITE_CHUNK);

	w->started = g_get_monotonic_time();
	cb_write_report(w, CB_BURN_PHASE_WRITING);
	while (w->done < w->size) {
		if (!cb_write_step(w, buf, cancellable, error))
			return FALSE;
		if (g_get_monotonic_time() - w->reported >= CB_SCRIPTED_TICK_USEC)
			cb_write_report(w, CB_BURN_PHASE_WRITING);
	}
	cb_write_report(w, CB_BURN_PHASE_WRITING);
	if (w->out >= 0 && fsync(w->out) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "cannot write the disc in %s: %s",
			    w->burn->device, g_strerror(errno));
		return FALSE;
	}
	cb_write_report(w, CB_BURN_PHASE_FIXATING);
	return TRUE;
}

/* what a write leaves: the disc holds data, all of it or the start of it;
 * a write-once disc that failed half-way is a coaster */
static gboolean
cb_write_finish(CbScriptedWriter *w, gboolean ok, GError **error)
{
	if (w->simulate || (!ok && w->done == 0))
		return TRUE;
	w->disc->used = w->done;
	g_free(w->disc->status);
	w->disc->status = g_strdup(ok || w->disc->overwritable ? "full" : "unsuitable");
	return cb_scripted_disc_save(w->disc, error);
}

gboolean
cb_scripted_write(CbBurn *self,
		  int fd,
		  guint64 size,
		  const CbBurnOptions *options,
		  CbBurnProgressFunc progress,
		  gpointer user_data,
		  GCancellable *cancellable,
		  GError **error)
{
	g_autoptr(CbScriptedDisc) disc = cb_scripted_burn_disc(self, error);
	g_autoptr(GError) finish_error = NULL;
	CbScriptedWriter w = {
		.burn = self,
		.in = fd,
		.out = -1,
		.size = size,
		.simulate = options->simulate,
		.progress = progress,
		.user_data = user_data,
	};
	gboolean ok;

	if (disc == NULL || !cb_write_check(self, disc, size, options, error))
		return FALSE;
	w.disc = disc;
	cb_scripted_tray_log(self->dir, "write %s%" G_GUINT64_FORMAT,
			     options->simulate ? "simulate " : "", size);
	ok = cb_write_copy(&w, cancellable, error);
	if (w.out >= 0)
		close(w.out);
	if (cb_write_finish(&w, ok, &finish_error))
		return ok;
	if (ok) {
		g_propagate_error(error, g_steal_pointer(&finish_error));
		return FALSE;
	}
	g_warning("%s", finish_error->message);
	return FALSE;
}
