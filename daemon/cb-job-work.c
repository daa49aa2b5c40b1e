/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a job does, top to bottom, on its worker thread:
 *
 *   the key file to reuse, if the client's keyfile-fd holds one
 *     -> source (reader helper as the caller, or a client's image fd)
 *     -> capacity check, before a passphrase is even asked
 *     -> passphrase (passphrase-fd, or the client's agent: twice for a new
 *        one, once for a reused key file's)
 *     -> header (key derivation)
 *     -> pipeline thread: encrypt -> pipe -> our drive buffer -> libburn -> drive
 *        (or straight into the client's output fd for WriteImage)
 *     -> seal: the payload's checksum into the header (written again at
 *        the image's start) or the key file; the new key file into keyfile-fd
 *     -> a burn's verify: the drive released and grabbed again, and what
 *        it reads back compared with what went into the pipe
 *
 * The passphrase, key file, header and seal are cb-job-crypt.c's.
 */
#include "cb-job-crypt.h"

#include "cb-burner.h"
#include "cb-error.h"
#include "cb-fd-source.h"
#include "cb-format.h"
#include "cb-inhibit.h"
#include "cb-output.h"
#include "cb-pipeline.h"
#include "cb-reader.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#define CB_MB(bytes) ((bytes) / 1000000.0)
/* reading an image back for its SHA-256 */
#define CB_READ_BACK_CHUNK (1024 * 1024)

/* a write sink on a plain fd: a pipe into libburn, or the client's
 * output; progress counts here only when no drive reports it. A burn to
 * be verified records what goes into the pipe, which is exactly what
 * libburn writes (it only pads the last block). */
typedef struct {
	gint fd;
	CbJob *count_for;
	CbBurnRecord *record;
} CbFdSink;

static gboolean
cb_fd_sink_write(CbFdSink *sink, const guint8 *buf, gsize len, GError **error)
{
	if (!cb_output_write_fd(sink->fd, _("the image"), buf, len, error))
		return FALSE;
	if (sink->count_for != NULL)
		__atomic_add_fetch(&sink->count_for->bytes_done, (guint64) len, __ATOMIC_RELAXED);
	if (sink->record != NULL)
		cb_burn_record_add(sink->record, buf, len);
	return TRUE;
}

static void
cb_job_on_reader_warning(const gchar *message, gpointer data)
{
	CbJob *self = data;
	g_message("%s: %s", self->path, message);
}

static gboolean
cb_job_check_media(CbJob *self, CbBurn *burn, guint64 total, GError **error)
{
	g_autoptr(CbMediaInfo) media = cb_burn_get_media(burn);

	if (!media->present) {
		g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, _("no disc in %s"),
			    cb_drive_get_device(self->spec.drive));
		return FALSE;
	}
	/* cryptsetup reads the header at sector 0: an encrypted image in a
	 * later session of an appendable disc could never be opened */
	if (g_strcmp0(media->status, "blank") != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("the disc in %s cannot take an encrypted image: it is %s (%s); "
			      "use a blank disc, or blank a rewritable one first"),
			    cb_drive_get_device(self->spec.drive), media->status, media->media);
		return FALSE;
	}
	if (total > media->free_bytes) {
		g_set_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL,
			    _("disc too small: image needs %.1f MB, disc holds %.1f MB"),
			    CB_MB((gdouble) total), CB_MB((gdouble) media->free_bytes));
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	CbPipeline *pipeline;
	CbFdSink sink;
	GCancellable *cancellable;
	GError *error;
} CbPipelineRun;

static gpointer
cb_job_pipeline_thread(gpointer data)
{
	CbPipelineRun *run = data;

	if (!cb_pipeline_run(run->pipeline, run->cancellable, &run->error))
		g_cancellable_cancel(run->cancellable);
	/* EOF for the drive buffer either way */
	close(run->sink.fd);
	run->sink.fd = -1;
	return NULL;
}

static void
cb_job_on_burn_progress(const CbBurnStatus *status, gpointer data)
{
	CbJob *self = data;

	cb_job_set_phase(self, status->phase == CB_BURN_PHASE_FIXATING ? CB_JOB_PHASE_FIXATING
								       : CB_JOB_PHASE_WRITING);
	__atomic_store_n(&self->bytes_done, status->bytes_done, __ATOMIC_RELAXED);
	g_atomic_int_set(&self->fifo_permille, (guint) (status->fifo_fill * 1000));
	g_atomic_int_set(&self->fifo_empty_count, status->fifo_empty_count);
	g_atomic_pointer_set(&self->write_mode, (gpointer) status->write_mode);
	g_atomic_int_set(&self->underrun_proof, status->underrun_proof);
}

/* the pipeline writes into a pipe on a thread of its own while libburn
 * reads the other end into its buffer; whichever side fails first makes
 * the other one stop (cancellable, EOF, EPIPE) */
static gboolean
cb_job_write_to_drive(CbJob *self,
		      CbBurn *burn,
		      CbSourceReadFunc read,
		      gpointer source,
		      guint64 size,
		      CbJobCrypt *crypt,
		      CbBurnRecord *record,
		      GError **error)
{
	CbJobOptions *options = self->spec.options;
	CbBurnOptions burn_options = {
		.simulate = options->simulate,
		.speed_kbs = options->speed,
		.fifo_bytes = self->spec.config->fifo_bytes,
	};
	CbPipelineRun run = { .cancellable = self->cancellable };
	g_autoptr(CbPipeline) pipeline = NULL;
	g_autoptr(GError) burn_error = NULL;
	GThread *thread;
	gint fds[2];
	gboolean ok;

	if (!g_unix_open_pipe(fds, FD_CLOEXEC, error))
		return FALSE;
	/* fewer wake-ups: the pipeline writes 1 MiB at a time */
	fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
	run.sink.fd = fds[1];
	run.sink.record = record;
	pipeline = cb_pipeline_new(read, source, size, crypt->format,
				   (CbSinkWriteFunc) cb_fd_sink_write, &run.sink);
	run.pipeline = pipeline;
	cb_pipeline_set_checksum(pipeline, G_CHECKSUM_SHA256);
	cb_job_crypt_watch_payload(crypt, pipeline);
	cb_job_set_bytes(self, 0, cb_pipeline_get_total(pipeline));
	thread = g_thread_new("cb-pipeline", cb_job_pipeline_thread, &run);
	ok = cb_burn_write(burn, fds[0], cb_pipeline_get_total(pipeline), &burn_options,
			   cb_job_on_burn_progress, self, self->cancellable, &burn_error);
	/* a failed burn leaves the pipeline blocked on a full pipe: EPIPE */
	close(fds[0]);
	if (!ok)
		g_cancellable_cancel(self->cancellable);
	g_thread_join(thread);

	if (ok && run.error == NULL) {
		self->checksum = g_strdup(cb_pipeline_get_checksum(pipeline));
		return cb_job_crypt_seal(self, crypt, pipeline, error);
	}
	/* the source's own error says more than "the stream ended early" */
	if (run.error != NULL && !cb_error_is_cancelled(run.error) &&
	    !g_error_matches(run.error, CB_ERROR, CB_ERROR_OUTPUT)) {
		g_propagate_error(error, run.error);
		return FALSE;
	}
	g_clear_error(&run.error);
	if (burn_error == NULL)
		g_set_error_literal(&burn_error, CB_ERROR, CB_ERROR_FAILED,
				    _("the image stream ended early"));
	g_propagate_error(error, g_steal_pointer(&burn_error));
	return FALSE;
}

static CbBurn *
cb_job_open_drive(CbJob *self, GError **error)
{
	return cb_burn_open(cb_drive_get_device(self->spec.drive),
			    cb_drive_get_stdio_capacity(self->spec.drive), error);
}

static void
cb_job_on_verify_progress(const CbBurnStatus *status, gpointer data)
{
	CbJob *self = data;
	__atomic_store_n(&self->bytes_done, status->bytes_done, __ATOMIC_RELAXED);
}

/* cryptburnd --test-corrupt-after-write: a disc that reads back wrong,
 * made from a test drive's file after every real write */
static gboolean
cb_job_test_corrupt(CbJob *self, GError **error)
{
	gint64 offset = self->spec.config->test_corrupt_offset;

	if (offset < 0 || self->spec.options->simulate)
		return TRUE;
	return cb_burner_test_corrupt(cb_drive_get_device(self->spec.drive), (guint64) offset,
				      error);
}

/*
 * Reads the total bytes just written back and compares them with the
 * record and the job's checksum, both of what went into the pipe. The
 * drive is released and grabbed again first: a real drive reads the new
 * table of contents only then. *burn is the drive grabbed again, or NULL.
 */
static gboolean
cb_job_verify(CbJob *self, CbBurn **burn, guint64 total, CbBurnRecord *record, GError **error)
{
	if (record == NULL)
		return cb_job_test_corrupt(self, error);
	cb_job_set_phase(self, CB_JOB_PHASE_VERIFYING);
	cb_job_set_bytes(self, 0, total);
	cb_burn_close(*burn, FALSE);
	*burn = NULL;
	if (!cb_job_test_corrupt(self, error))
		return FALSE;
	*burn = cb_job_open_drive(self, error);
	if (*burn == NULL) {
		g_prefix_error(error, _("cannot read the disc back to verify it: "));
		return FALSE;
	}
	return cb_burn_verify(*burn, total, self->checksum, record, NULL, cb_job_on_verify_progress,
			      self, self->cancellable, error);
}

/* from a known-size plain source to the job's drive, then read back
 * unless the request said verify=false; *burn may be grabbed again */
static gboolean
cb_job_encrypt_and_burn(CbJob *self,
			CbJobCrypt *crypt,
			CbBurn **burn,
			CbSourceReadFunc read,
			gpointer source,
			guint64 size,
			GError **error)
{
	CbJobOptions *options = self->spec.options;
	const CbFormatDesc *desc = cb_format_lookup(options->format, error);
	/* a simulated burn writes nothing to read back */
	g_autoptr(CbBurnRecord) record =
	    options->verify && !options->simulate ? cb_burn_record_new() : NULL;
	g_autofree gchar *why = NULL;
	guint64 total;
	gboolean ok;
	gint inhibit_fd;

	if (desc == NULL)
		return FALSE;
	total = cb_job_crypt_header_size(self, desc) + size;
	cb_job_set_bytes(self, 0, total);
	if (!cb_job_check_media(self, *burn, total, error))
		return FALSE;
	if (!cb_job_crypt_make_format(self, desc, crypt, error))
		return FALSE;
	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	why = g_strdup_printf(_("Writing an encrypted disc in %s"),
			      cb_drive_get_device(self->spec.drive));
	/* held while verifying too: a sleep would break the read-back */
	inhibit_fd = cb_inhibit_take(self->spec.bus, why);
	ok = cb_job_write_to_drive(self, *burn, read, source, size, crypt, record, error) &&
	     cb_job_crypt_write_key_file(self, crypt, error) &&
	     cb_job_verify(self, burn, total, record, error);
	if (inhibit_fd >= 0)
		close(inhibit_fd);
	return ok;
}

static CbReader *
cb_job_start_reader(CbJob *self, guint64 *size, GError **error)
{
	g_autoptr(CbReader) reader = cb_reader_spawn(self->spec.config->reader_path, self->spec.uid,
						     (const gchar *const *) self->spec.sources,
						     self->spec.options->iso_options, error);

	if (reader == NULL)
		return NULL;
	cb_reader_set_warning_func(reader, cb_job_on_reader_warning, self);
	if (!cb_reader_wait_size(reader, size, self->cancellable, error))
		return NULL;
	return g_steal_pointer(&reader);
}

static gboolean
cb_job_burn_files(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	CbBurn *burn = cb_job_open_drive(self, error);
	g_autoptr(CbReader) reader = NULL;
	guint64 size = 0;
	gboolean ok;

	if (burn == NULL)
		return FALSE;
	reader = cb_job_start_reader(self, &size, error);
	ok = reader != NULL &&
	     cb_job_encrypt_and_burn(self, crypt, &burn, (CbSourceReadFunc) cb_reader_read, reader,
				     size, error);
	cb_burn_close(burn, ok && self->spec.options->eject);
	return ok;
}

static gboolean
cb_job_burn_image(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	g_autoptr(CbFdSource) source =
	    cb_fd_source_new(self->spec.stream_fd, self->spec.options->image_size, error);
	CbBurn *burn;
	gboolean ok;

	if (source == NULL)
		return FALSE;
	burn = cb_job_open_drive(self, error);
	if (burn == NULL)
		return FALSE;
	ok = cb_job_encrypt_and_burn(self, crypt, &burn, (CbSourceReadFunc) cb_fd_source_read,
				     source, cb_fd_source_get_size(source), error);
	cb_burn_close(burn, ok && self->spec.options->eject);
	return ok;
}

/* the client opened the output; a regular file's file system must hold it */
static gboolean
cb_job_check_output(gint fd, guint64 total, GError **error)
{
	struct stat st;
	struct statvfs vfs;
	gint flags = fcntl(fd, F_GETFL);

	if (flags < 0 || ((flags & O_ACCMODE) != O_WRONLY && (flags & O_ACCMODE) != O_RDWR)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("the output file descriptor is not open for writing"));
		return FALSE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fstatvfs(fd, &vfs) != 0)
		return TRUE;
	if ((guint64) vfs.f_bavail * vfs.f_frsize < total) {
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SPACE,
			    _("not enough space: the image needs %.1f MB, the output's file "
			      "system has %.1f MB free"),
			    CB_MB((gdouble) total), CB_MB((gdouble) vfs.f_bavail * vfs.f_frsize));
		return FALSE;
	}
	return TRUE;
}

/* the SHA-256 of the image as it is now in the output, whose header was
 * written again; NULL without error when the client opened it write-only */
static gchar *
cb_job_read_back_checksum(CbJob *self, gint fd, off_t start, GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *buf = NULL;
	gint flags = fcntl(fd, F_GETFL);
	off_t offset = start;

	if (flags < 0 || (flags & O_ACCMODE) != O_RDWR)
		return NULL;
	buf = g_malloc(CB_READ_BACK_CHUNK);
	for (;;) {
		ssize_t n = pread(fd, buf, CB_READ_BACK_CHUNK, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("cannot read the image back: %s"), g_strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		if (g_cancellable_set_error_if_cancelled(self->cancellable, error))
			return NULL;
		g_checksum_update(checksum, buf, (gsize) n);
		offset += n;
	}
	return g_strdup(g_checksum_get_string(checksum));
}

/* the job's Checksum covers every byte written: the pipeline's, unless
 * the header was written again since */
static gboolean
cb_job_output_checksum(CbJob *self, CbJobCrypt *crypt, CbPipeline *pipeline, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (!cb_format_checksum_in_header(crypt->format)) {
		self->checksum = g_strdup(cb_pipeline_get_checksum(pipeline));
		return TRUE;
	}
	self->checksum = cb_job_read_back_checksum(self, self->spec.stream_fd, crypt->output_start,
						   &error_local);
	if (error_local != NULL) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_job_write_image(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	const CbFormatDesc *desc = cb_format_lookup(self->spec.options->format, error);
	g_autoptr(CbReader) reader = NULL;
	g_autoptr(CbPipeline) pipeline = NULL;
	CbFdSink sink = { .fd = self->spec.stream_fd, .count_for = self };
	guint64 size = 0;
	guint64 total;

	if (desc == NULL)
		return FALSE;
	/* "from its current position": the header goes back there */
	crypt->output_start = lseek(sink.fd, 0, SEEK_CUR);
	reader = cb_job_start_reader(self, &size, error);
	if (reader == NULL)
		return FALSE;
	total = cb_job_crypt_header_size(self, desc) + size;
	cb_job_set_bytes(self, 0, total);
	if (!cb_job_check_output(sink.fd, total, error))
		return FALSE;
	if (!cb_job_crypt_make_format(self, desc, crypt, error))
		return FALSE;
	pipeline = cb_pipeline_new((CbSourceReadFunc) cb_reader_read, reader, size, crypt->format,
				   (CbSinkWriteFunc) cb_fd_sink_write, &sink);
	cb_pipeline_set_checksum(pipeline, G_CHECKSUM_SHA256);
	cb_job_crypt_watch_payload(crypt, pipeline);
	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	if (!cb_pipeline_run(pipeline, self->cancellable, error) ||
	    !cb_job_crypt_seal(self, crypt, pipeline, error) ||
	    !cb_job_crypt_write_key_file(self, crypt, error))
		return FALSE;
	if (fsync(sink.fd) != 0 && errno != EINVAL && errno != EROFS) {
		g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT, _("cannot write the image: %s"),
			    g_strerror(errno));
		return FALSE;
	}
	return cb_job_output_checksum(self, crypt, pipeline, error);
}

static void
cb_job_on_blank_progress(const CbBurnStatus *status, gpointer data)
{
	CbJob *self = data;
	__atomic_store_n(&self->bytes_done, status->bytes_done, __ATOMIC_RELAXED);
}

static gboolean
cb_job_blank(CbJob *self, GError **error)
{
	CbBurn *burn = cb_job_open_drive(self, error);
	g_autoptr(CbMediaInfo) media = NULL;
	gboolean ok;

	if (burn == NULL)
		return FALSE;
	media = cb_burn_get_media(burn);
	cb_job_set_bytes(self, 0, media->capacity);
	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	ok = cb_burn_blank(burn, self->spec.options->fast ? CB_BLANK_FAST : CB_BLANK_FULL,
			   cb_job_on_blank_progress, self, self->cancellable, error);
	cb_burn_close(burn, ok && self->spec.options->eject);
	return ok;
}

gboolean
cb_job_work(CbJob *self, GError **error)
{
	g_auto(CbJobCrypt) crypt = { .output_start = 0 };

	if (self->spec.operation == CB_OPERATION_BLANK)
		return cb_job_blank(self, error);
	/* before a drive is taken, a reader started or a passphrase asked */
	if (!cb_job_crypt_init(self, &crypt, error))
		return FALSE;
	switch (self->spec.operation) {
	case CB_OPERATION_BURN_FILES:
		return cb_job_burn_files(self, &crypt, error);
	case CB_OPERATION_BURN_IMAGE:
		return cb_job_burn_image(self, &crypt, error);
	case CB_OPERATION_WRITE_IMAGE:
		return cb_job_write_image(self, &crypt, error);
	case CB_OPERATION_BLANK:
		break;
	}
	g_assert_not_reached();
}
