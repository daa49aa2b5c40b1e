/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a job does, top to bottom, on its worker thread:
 *
 *   the key file to reuse, if the client's keyfile-fd holds one
 *     -> source (reader helper as the caller, or a client's image fd)
 *     -> a disc that takes it, before a passphrase is even asked (burns:
 *        cb-job-media.c waits for one, blanks a used one if allowed)
 *     -> passphrase (passphrase-fd, or the client's agent: twice for a new
 *        one, once for a reused key file's)
 *     -> header (key derivation)
 *     -> pipeline thread: encrypt -> pipe -> our drive buffer -> drive
 *        (or straight into the client's output fd for WriteImage)
 *     -> seal: the payload's checksum into the header (written again at
 *        the image's start) or the key file; the new key file into keyfile-fd
 *     -> a burn's verify: the drive released and grabbed again, what it
 *        reads back compared with what went into the pipe, decrypted and
 *        its MD5 tags checked; then the next copy
 *
 * Burns are cb-job-burn.c's; the passphrase, key file, header and seal
 * cb-job-crypt.c's. Here: WriteImage, Blank, and which is which.
 */
#include "cb-job-burn.h"
#include "cb-job-media.h"
#include "cb-job-sink.h"

#include "cb-error.h"
#include "cb-format.h"
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

static void
cb_job_on_reader_warning(const gchar *message, gpointer data)
{
	CbJob *self = data;
	g_message("%s: %s", self->path, message);
}

CbReader *
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
cb_job_write_image_into(CbJob *self, CbJobCrypt *crypt, const CbFdWait *wait, GError **error)
{
	const CbFormatDesc *desc = cb_format_lookup(self->spec.options->format, error);
	g_autoptr(CbReader) reader = NULL;
	g_autoptr(CbPipeline) pipeline = NULL;
	CbJobSink sink = {
		.fd = self->spec.stream_fd, .wait = wait, .count_for = self, .spool_fd = -1
	};
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
				   (CbSinkWriteFunc) cb_job_sink_write, &sink);
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

/* the client's output is non-blocking while we write it, and as it was
 * after: the client shares its flags, e.g. its standard output */
static gboolean
cb_job_write_image(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	CbFdWait wait = { .cancellable = self->cancellable, .stall_s = CB_FD_WAIT_STALL_S };
	gint saved_flags;
	gboolean ok;

	if (!cb_fd_wait_prepare(&wait, self->spec.stream_fd, &saved_flags, error))
		return FALSE;
	ok = cb_job_write_image_into(self, crypt, &wait, error);
	cb_fd_wait_restore(self->spec.stream_fd, saved_flags);
	return ok;
}

static gboolean
cb_job_blank(CbJob *self, GError **error)
{
	CbBurn *burn = cb_job_open_drive(self, error);
	gboolean ok;

	if (burn == NULL)
		return FALSE;
	ok = cb_job_media_blank(self, burn, self->spec.options->blank_mode, error);
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
	case CB_OPERATION_BURN_IMAGE:
		return cb_job_burn(self, &crypt, error);
	case CB_OPERATION_WRITE_IMAGE:
		return cb_job_write_image(self, &crypt, error);
	case CB_OPERATION_BLANK:
		break;
	}
	g_assert_not_reached();
}
