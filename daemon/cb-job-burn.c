/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A burn job (BurnFiles, BurnImage) on its worker thread, disc after disc:
 *
 *   plain source (the reader helper as the caller, or the client's image
 *   fd) -> its size -> a disc that takes it (cb-job-media.c: waiting,
 *   blanking) -> passphrase and header, once -> pipeline thread: encrypt
 *   -> pipe -> drive buffer -> drive -> the key file -> read back and
 *   compare, then decrypt and check the ISO's MD5 tags -> eject, and the
 *   same again for the next copy.
 *
 * Every copy is the same encrypted image: the header and keys are made
 * once, and the plain image is built again from the sources (with the
 * same creation time) or read again from the start of a regular file; its
 * SHA-256 must equal the first copy's. With the spool option the first
 * copy's encrypted stream is also kept in an unnamed temporary file, from
 * which the other copies are written as they are.
 *
 * A checksum recorded in the disc's own header (LUKS2 token, loop-aes
 * armor) is of the encrypted payload, known only at its end, while the
 * header is the disc's first blocks: the image is encrypted once before
 * the disc is written, only to be hashed, and then again, the same, for
 * the disc.
 */
#include "cb-job-burn.h"

#include "cb-error.h"
#include "cb-fd-source.h"
#include "cb-inhibit.h"
#include "cb-job-media.h"
#include "cb-job-sink.h"
#include "cb-reader.h"
#include "cb-readback-check.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* --- the plain image, again for every copy --- */

typedef struct {
	CbReader *reader;      /* BurnFiles */
	CbFdSource *fd_source; /* BurnImage */
	off_t image_start;     /* BurnImage: where the image starts in its fd */
	guint64 size;
} CbJobPlain;

static void
cb_job_plain_clear(CbJobPlain *plain)
{
	g_clear_pointer(&plain->reader, cb_reader_free);
	g_clear_pointer(&plain->fd_source, cb_fd_source_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbJobPlain, cb_job_plain_clear)

static gboolean
cb_job_plain_start_reader(CbJob *self, CbJobPlain *plain, guint64 *size, GError **error)
{
	plain->reader = cb_job_start_reader(self, size, error);
	return plain->reader != NULL;
}

static gboolean
cb_job_plain_open_image(
    CbJob *self, CbJobPlain *plain, gboolean again, guint64 *size, GError **error)
{
	gint fd = self->spec.stream_fd;
	CbFdWait wait = { .cancellable = self->cancellable, .stall_s = CB_FD_WAIT_STALL_S };

	if (!again)
		plain->image_start = lseek(fd, 0, SEEK_CUR);
	else if (lseek(fd, plain->image_start, SEEK_SET) < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the image again: %s"),
			    g_strerror(errno));
		return FALSE;
	}
	plain->fd_source =
	    cb_fd_source_new_waiting(fd, self->spec.options->image_size, &wait, error);
	if (plain->fd_source == NULL)
		return FALSE;
	*size = cb_fd_source_get_size(plain->fd_source);
	return TRUE;
}

/* the plain image, the first time or again (a later copy, or the disc
 * after the checksum pass), when it must be as large as the first time */
static gboolean
cb_job_plain_open(CbJob *self, CbJobPlain *plain, gboolean again, GError **error)
{
	guint64 size = 0;
	gboolean ok;

	cb_job_plain_clear(plain);
	if (self->spec.operation == CB_OPERATION_BURN_FILES)
		ok = cb_job_plain_start_reader(self, plain, &size, error);
	else
		ok = cb_job_plain_open_image(self, plain, again, &size, error);
	if (!ok)
		return FALSE;
	if (again && size != plain->size) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("the sources changed during the burn: their image would now be "
			      "%llu bytes, it was %llu"),
			    (unsigned long long) size, (unsigned long long) plain->size);
		return FALSE;
	}
	plain->size = size;
	return TRUE;
}

static CbSourceReadFunc
cb_job_plain_read_func(CbJobPlain *plain)
{
	return plain->reader != NULL ? (CbSourceReadFunc) cb_reader_read
				     : (CbSourceReadFunc) cb_fd_source_read;
}

static gpointer
cb_job_plain_source(CbJobPlain *plain)
{
	return plain->reader != NULL ? (gpointer) plain->reader : (gpointer) plain->fd_source;
}

/* --- writing one disc --- */

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

static void
cb_job_burn_options(CbJob *self, CbBurnOptions *burn_options)
{
	burn_options->simulate = self->spec.options->simulate;
	burn_options->speed_kbs = self->spec.options->speed;
	burn_options->fifo_bytes = self->spec.config->fifo_bytes;
}

typedef struct {
	CbPipeline *pipeline;
	CbJobSink sink;
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

/* what made a write fail: the source's own error says more than "the
 * stream ended early" */
static void
cb_job_write_error(GError *source_error, GError *burn_error, GError **error)
{
	if (source_error != NULL && !cb_error_is_cancelled(source_error) &&
	    !g_error_matches(source_error, CB_ERROR, CB_ERROR_OUTPUT)) {
		g_propagate_error(error, source_error);
		g_clear_error(&burn_error);
		return;
	}
	g_clear_error(&source_error);
	if (burn_error == NULL)
		g_set_error_literal(&burn_error, CB_ERROR, CB_ERROR_FAILED,
				    _("the image stream ended early"));
	g_propagate_error(error, burn_error);
}

/*
 * The plain image encrypted into the drive: the pipeline writes into a
 * pipe on a thread of its own while the drive reads the other end;
 * whichever side fails first makes the other one stop (cancellable, EOF,
 * EPIPE). The first copy records what is written (record) and may keep it
 * (spool_fd); *pipeline is left for the seal.
 */
static gboolean
cb_job_write_encrypted(CbJob *self,
		       CbBurn *burn,
		       CbJobPlain *plain,
		       CbJobCrypt *crypt,
		       CbBurnRecord *record,
		       gint spool_fd,
		       CbPipeline **pipeline,
		       GError **error)
{
	CbBurnOptions burn_options = { 0 };
	CbPipelineRun run = { .cancellable = self->cancellable };
	g_autoptr(GError) burn_error = NULL;
	GThread *thread;
	gint fds[2];
	gboolean ok;

	if (!g_unix_open_pipe(fds, FD_CLOEXEC, error))
		return FALSE;
	/* fewer wake-ups: the pipeline writes 1 MiB at a time */
	fcntl(fds[1], F_SETPIPE_SZ, 1024 * 1024);
	run.sink = (CbJobSink){ .fd = fds[1], .record = record, .spool_fd = spool_fd };
	*pipeline =
	    cb_pipeline_new(cb_job_plain_read_func(plain), cb_job_plain_source(plain), plain->size,
			    crypt->format, (CbSinkWriteFunc) cb_job_sink_write, &run.sink);
	run.pipeline = *pipeline;
	cb_pipeline_set_checksum(*pipeline, G_CHECKSUM_SHA256);
	cb_job_crypt_watch_payload(crypt, *pipeline);
	cb_job_set_bytes(self, 0, cb_pipeline_get_total(*pipeline));
	cb_job_burn_options(self, &burn_options);
	thread = g_thread_new("cb-pipeline", cb_job_pipeline_thread, &run);
	ok = cb_burn_write(burn, fds[0], cb_pipeline_get_total(*pipeline), &burn_options,
			   cb_job_on_burn_progress, self, self->cancellable, &burn_error);
	/* a failed burn leaves the pipeline blocked on a full pipe: EPIPE */
	close(fds[0]);
	if (!ok)
		g_cancellable_cancel(self->cancellable);
	g_thread_join(thread);
	if (ok && run.error == NULL)
		return TRUE;
	cb_job_write_error(run.error, g_steal_pointer(&burn_error), error);
	return FALSE;
}

/* a later copy from the first one's spool file, as it is */
static gboolean
cb_job_write_spooled(CbJob *self, CbBurn *burn, gint spool_fd, guint64 total, GError **error)
{
	CbBurnOptions burn_options = { 0 };

	if (lseek(spool_fd, 0, SEEK_SET) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot read the spool file: %s"),
			    g_strerror(errno));
		return FALSE;
	}
	cb_job_set_bytes(self, 0, total);
	cb_job_burn_options(self, &burn_options);
	return cb_burn_write(burn, spool_fd, total, &burn_options, cb_job_on_burn_progress, self,
			     self->cancellable, error);
}

/* an unnamed file for the encrypted image, gone when closed: in the
 * service's cache directory (systemd's CacheDirectory=, the one place on
 * disk it may write), else the temporary directory */
static gint
cb_job_open_spool(guint64 total, GError **error)
{
	const gchar *cache = g_getenv("CACHE_DIRECTORY");
	const gchar *dir = cache != NULL && g_path_is_absolute(cache) ? cache : g_get_tmp_dir();
	struct statvfs vfs;
	gint fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot make a spool file in %s: %s"), dir, g_strerror(errno));
		return -1;
	}
	if (fstatvfs(fd, &vfs) == 0 && (guint64) vfs.f_bavail * vfs.f_frsize < total) {
		g_autofree gchar *need = g_format_size(total);
		g_autofree gchar *have = g_format_size((guint64) vfs.f_bavail * vfs.f_frsize);
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SPACE,
			    _("not enough space for the spool file: the encrypted image needs "
			      "%s, %s has %s free"),
			    need, dir, have);
		close(fd);
		return -1;
	}
	return fd;
}

/* --- reading one disc back --- */

typedef struct {
	CbJob *job;
	CbReadbackCheck *check;
} CbJobVerify;

static void
cb_job_on_verify_progress(const CbBurnStatus *status, gpointer data)
{
	CbJobVerify *verify = data;
	__atomic_store_n(&verify->job->bytes_done, status->bytes_done, __ATOMIC_RELAXED);
}

static gboolean
cb_job_on_read_back(guint64 offset, const guint8 *buf, gsize len, gpointer data, GError **error)
{
	CbJobVerify *verify = data;
	return cb_readback_check_feed(verify->check, offset, buf, len, error);
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

/* an ISO the reader made has its MD5 tags unless no-md5 was asked: none
 * at all in the read-back means they were lost, not left out */
static gboolean
cb_job_iso_without_tags(CbJob *self)
{
	gboolean no_md5 = FALSE;

	return self->spec.operation == CB_OPERATION_BURN_FILES &&
	       g_variant_lookup(self->spec.options->iso_options, "no-md5", "b", &no_md5) && no_md5;
}

static gboolean
cb_job_check_tags_found(CbJob *self, guint tags, GError **error)
{
	if (tags > 0 || self->spec.operation != CB_OPERATION_BURN_FILES)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
		    _("verification failed: the disc in %s decrypts to an ISO image without the "
		      "MD5 tags it was made with"),
		    cb_drive_get_device(self->spec.drive));
	return FALSE;
}

/*
 * Reads the total bytes just written back and compares them with the
 * record and the job's checksum, both of what went into the drive, then
 * decrypts them and checks the libisofs MD5 tags of the ISO inside. The
 * drive is released and grabbed again first: a real drive reads the new
 * table of contents only then. *burn is the drive grabbed again, or NULL.
 */
static gboolean
cb_job_verify(CbJob *self,
	      CbBurn **burn,
	      guint64 total,
	      CbBurnRecord *record,
	      CbJobCrypt *crypt,
	      guint64 header_size,
	      GError **error)
{
	g_autoptr(CbReadbackCheck) check = NULL;
	CbJobVerify verify = { .job = self };

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
	/* an ISO made without tags has nothing to check them against: the
	 * MD5 over every block would cost a third of the read-back */
	if (!cb_job_iso_without_tags(self))
		check = cb_readback_check_new(crypt->format, header_size);
	verify.check = check;
	if (!cb_burn_verify(*burn, total, self->checksum, record,
			    check != NULL ? cb_job_on_read_back : NULL, cb_job_on_verify_progress,
			    &verify, self->cancellable, error))
		return FALSE;
	if (check == NULL)
		return TRUE;
	if (!cb_readback_check_finish(check, error) ||
	    !cb_job_check_tags_found(self, cb_readback_check_get_tags(check), error))
		return FALSE;
	g_atomic_int_set(&self->tags_verified, cb_readback_check_get_tags(check));
	g_debug("%s: the read-back decrypts to an ISO whose %u MD5 tags match",
		cb_job_get_path(self), cb_readback_check_get_tags(check));
	return TRUE;
}

/* --- disc after disc --- */

typedef struct {
	CbJobPlain plain;
	CbJobCrypt *crypt;
	const CbFormatDesc *desc;
	guint64 header_size;
	guint64 total;
	CbBurnRecord *record; /* NULL: not verified */
	gint spool_fd;	      /* -1: none */
} CbJobBurn;

static void
cb_job_burn_clear(CbJobBurn *burn)
{
	cb_job_plain_clear(&burn->plain);
	g_clear_pointer(&burn->record, cb_burn_record_free);
	if (burn->spool_fd >= 0)
		close(burn->spool_fd);
	burn->spool_fd = -1;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbJobBurn, cb_job_burn_clear)

static gboolean
cb_job_count_write(CbJob *self, const guint8 *buf, gsize len, GError **error)
{
	__atomic_add_fetch(&self->bytes_done, (guint64) len, __ATOMIC_RELAXED);
	return TRUE;
}

/* the image encrypted into nothing, for the payload's checksum, which is
 * sealed into the header; then the plain image is opened again */
static gboolean
cb_job_checksum_pass(CbJob *self, CbJobBurn *job, GError **error)
{
	g_autoptr(CbPipeline) pipeline = cb_pipeline_new(
	    cb_job_plain_read_func(&job->plain), cb_job_plain_source(&job->plain), job->plain.size,
	    job->crypt->format, (CbSinkWriteFunc) cb_job_count_write, self);

	cb_job_crypt_watch_payload(job->crypt, pipeline);
	cb_job_set_phase(self, CB_JOB_PHASE_PREPARING);
	cb_job_set_bytes(self, 0, cb_pipeline_get_total(pipeline));
	if (!cb_pipeline_run(pipeline, self->cancellable, error) ||
	    !cb_pipeline_seal(pipeline, job->crypt->metadata, error))
		return FALSE;
	g_debug("%s: payload checksum %s, sealed into the header before writing",
		cb_job_get_path(self), job->crypt->metadata->checksum);
	return cb_job_plain_open(self, &job->plain, TRUE, error);
}

/* what went to the disc must be what the header's checksum was made of */
static gboolean
cb_job_check_presealed(CbJob *self, CbJobBurn *job, CbPipeline *pipeline, GError **error)
{
	const gchar *written = cb_pipeline_get_payload_checksum(pipeline);

	if (g_ascii_strcasecmp(written != NULL ? written : "", job->crypt->metadata->checksum) == 0)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
		    _("the sources changed during the burn: the disc in %s does not match the "
		      "checksum its header records"),
		    cb_drive_get_device(self->spec.drive));
	return FALSE;
}

/* the first copy: the passphrase and header, the payload's checksum
 * sealed into the header (before) or the key file (after, which is
 * written then) */
static gboolean
cb_job_burn_first(CbJob *self, CbJobBurn *job, CbBurn *burn, GError **error)
{
	gboolean presealed = cb_job_options_checksum_in_header(self->spec.options);
	g_autoptr(CbPipeline) pipeline = NULL;

	if (!cb_job_crypt_make_format(self, job->desc, job->crypt, error))
		return FALSE;
	if (presealed && !cb_job_checksum_pass(self, job, error))
		return FALSE;
	if (self->spec.options->spool) {
		job->spool_fd = cb_job_open_spool(job->total, error);
		if (job->spool_fd < 0)
			return FALSE;
	}
	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	if (!cb_job_write_encrypted(self, burn, &job->plain, job->crypt, job->record, job->spool_fd,
				    &pipeline, error))
		return FALSE;
	self->checksum = g_strdup(cb_pipeline_get_checksum(pipeline));
	if (presealed)
		return cb_job_check_presealed(self, job, pipeline, error);
	return cb_job_crypt_seal(self, job->crypt, pipeline, error) &&
	       cb_job_crypt_write_key_file(self, job->crypt, error);
}

/* a later copy: the same encrypted image again */
static gboolean
cb_job_burn_again(CbJob *self, CbJobBurn *job, CbBurn *burn, guint copy, GError **error)
{
	g_autoptr(CbPipeline) pipeline = NULL;

	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	if (job->spool_fd >= 0)
		return cb_job_write_spooled(self, burn, job->spool_fd, job->total, error);
	if (!cb_job_plain_open(self, &job->plain, TRUE, error) ||
	    !cb_job_write_encrypted(self, burn, &job->plain, job->crypt, NULL, -1, &pipeline,
				    error))
		return FALSE;
	if (g_strcmp0(cb_pipeline_get_checksum(pipeline), self->checksum) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("the sources changed during the burn: copy %u is a different image "
			      "(SHA-256 %s, copy 1 %s); the disc in the drive does not match the "
			      "others"),
			    copy, cb_pipeline_get_checksum(pipeline), self->checksum);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_job_burn_copies(CbJob *self, CbJobBurn *job, GError **error)
{
	const CbJobOptions *options = self->spec.options;
	guint since = 0;

	for (guint copy = 1; copy <= options->copies; copy++) {
		gboolean last = copy == options->copies;
		CbBurn *burn;
		gboolean ok;

		g_atomic_int_set(&self->copy, copy);
		cb_job_set_phase(self, CB_JOB_PHASE_PREPARING);
		cb_job_set_bytes(self, 0, job->total);
		burn = cb_job_media_acquire(self, job->total, copy, since, error);
		if (burn == NULL)
			return FALSE;
		ok = (copy == 1 ? cb_job_burn_first(self, job, burn, error)
				: cb_job_burn_again(self, job, burn, copy, error)) &&
		     cb_job_verify(self, &burn, job->total, job->record, job->crypt,
				   job->header_size, error);
		/* the next disc must come after this one went out */
		since = cb_drive_get_media_generation(self->spec.drive);
		cb_burn_close(burn, ok && (!last || options->eject));
		if (!ok)
			return FALSE;
		g_message("%s: copy %u of %u written%s", cb_job_get_path(self), copy,
			  options->copies, job->record != NULL ? " and verified" : "");
	}
	return TRUE;
}

/* every copy's ISO gets the same times, so that one built again from
 * unchanged sources is the same image, byte for byte */
static void
cb_job_pin_creation_time(CbJob *self)
{
	CbJobOptions *options = self->spec.options;
	g_auto(GVariantDict) iso = G_VARIANT_DICT_INIT(options->iso_options);

	/* only then: pinned times cost the Rock Ridge inode numbers (see
	 * cb-iso.c), by which xorriso sees hard links */
	if (self->spec.operation != CB_OPERATION_BURN_FILES ||
	    (options->copies < 2 && !cb_job_options_checksum_in_header(options)) ||
	    g_variant_dict_contains(&iso, "creation-time"))
		return;
	g_variant_dict_insert(&iso, "creation-time", "x", g_get_real_time() / G_USEC_PER_SEC);
	g_clear_pointer(&options->iso_options, g_variant_unref);
	options->iso_options = g_variant_ref_sink(g_variant_dict_end(&iso));
}

gboolean
cb_job_burn(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	const CbJobOptions *options = self->spec.options;
	g_auto(CbJobBurn) job = { .crypt = crypt, .spool_fd = -1 };
	g_autofree gchar *why = NULL;
	gint inhibit_fd;
	gboolean ok;

	job.desc = cb_format_lookup(options->format, error);
	if (job.desc == NULL)
		return FALSE;
	cb_job_pin_creation_time(self);
	if (!cb_job_plain_open(self, &job.plain, FALSE, error))
		return FALSE;
	job.header_size = cb_job_crypt_header_size(self, job.desc);
	job.total = job.header_size + job.plain.size;
	/* a simulated burn writes nothing to read back */
	if (options->verify && !options->simulate)
		job.record = cb_burn_record_new();
	why = g_strdup_printf(_("Writing an encrypted disc in %s"),
			      cb_drive_get_device(self->spec.drive));
	/* held while verifying too: a sleep would break the read-back */
	inhibit_fd = cb_inhibit_take(self->spec.bus, why);
	ok = cb_job_burn_copies(self, &job, error);
	if (inhibit_fd >= 0)
		close(inhibit_fd);
	return ok;
}
