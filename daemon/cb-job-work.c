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
 *
 * The key file is only ever read from and written to the fd the client
 * opened: the daemon runs as root and opens no path of a user's.
 */
#include "cb-job-private.h"

#include "cb-agent.h"
#include "cb-armor.h"
#include "cb-burner.h"
#include "cb-error.h"
#include "cb-fd-source.h"
#include "cb-format-loop-aes.h"
#include "cb-format.h"
#include "cb-inhibit.h"
#include "cb-output.h"
#include "cb-passphrase.h"
#include "cb-pipeline.h"
#include "cb-reader.h"
#include "cb-volume-id.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#define CB_MB(bytes) ((bytes) / 1000000.0)
/* an armored key file is about 11 KiB; anything far bigger is not one */
#define CB_KEY_FILE_MAX (64 * 1024)
/* reading an image back for its SHA-256 */
#define CB_READ_BACK_CHUNK (1024 * 1024)

/* what the encryption of one job is made of, besides the data: the
 * metadata the header or key file records, the key file to reuse, and the
 * format made from them and the passphrase */
typedef struct {
	CbMetadata *metadata;
	GBytes *key_file; /* reused as it is; NULL: keys are made */
	CbFormat *format;
	off_t output_start; /* WriteImage: where the image starts in the output */
} CbJobCrypt;

static void
cb_job_crypt_clear(CbJobCrypt *crypt)
{
	g_clear_pointer(&crypt->metadata, cb_metadata_free);
	g_clear_pointer(&crypt->key_file, g_bytes_unref);
	g_clear_pointer(&crypt->format, cb_format_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbJobCrypt, cb_job_crypt_clear)

/* a write sink on a plain fd: a pipe into libburn, or the client's
 * output; progress counts here only when no drive reports it */
typedef struct {
	gint fd;
	CbJob *count_for;
} CbFdSink;

static gboolean
cb_fd_sink_write(CbFdSink *sink, const guint8 *buf, gsize len, GError **error)
{
	if (!cb_output_write_fd(sink->fd, _("the image"), buf, len, error))
		return FALSE;
	if (sink->count_for != NULL)
		__atomic_add_fetch(&sink->count_for->bytes_done, (guint64) len, __ATOMIC_RELAXED);
	return TRUE;
}

static void
cb_job_on_reader_warning(const gchar *message, gpointer data)
{
	CbJob *self = data;
	g_message("%s: %s", self->path, message);
}

static CbMetadata *
cb_job_metadata(CbJob *self)
{
	CbJobOptions *options = self->spec.options;
	CbMetadata *metadata = cb_metadata_new();

	metadata->serial = g_strdup(options->serial);
	metadata->checksum_type = g_strdup(options->checksum_type);
	if (options->volume_id != NULL)
		metadata->volume_id = g_strdup(options->volume_id);
	else
		metadata->volume_id =
		    cb_volume_id_default((const gchar *const *) self->spec.sources);
	return metadata;
}

/* asks the agent twice for a new passphrase and compares the answers, so
 * that a typo cannot lock the disc for good */
static CbSecret *
cb_job_ask_agent(CbJob *self, GError **error)
{
	const gchar *device = self->spec.drive != NULL ? cb_drive_get_device(self->spec.drive) : "";
	g_autoptr(CbSecret) first = NULL;
	g_autoptr(CbSecret) second = NULL;
	g_auto(GVariantDict) hints = G_VARIANT_DICT_INIT(NULL);
	GVariant *hints_first;

	g_variant_dict_insert(&hints, "new", "b", TRUE);
	g_variant_dict_insert(&hints, "drive", "s", device);
	hints_first = g_variant_dict_end(&hints);
	first = cb_agent_request_passphrase(
	    self->spec.bus, self->spec.peer, self->spec.options->agent, self->path,
	    self->spec.drive != NULL ? _("Passphrase for the new encrypted disc")
				     : _("Passphrase for the new encrypted image"),
	    hints_first, self->spec.config->agent_timeout_ms, self->cancellable, error);
	if (first == NULL)
		return NULL;
	g_variant_dict_init(&hints, NULL);
	g_variant_dict_insert(&hints, "new", "b", TRUE);
	g_variant_dict_insert(&hints, "confirm", "b", TRUE);
	g_variant_dict_insert(&hints, "drive", "s", device);
	second = cb_agent_request_passphrase(
	    self->spec.bus, self->spec.peer, self->spec.options->agent, self->path,
	    _("Repeat the passphrase"), g_variant_dict_end(&hints),
	    self->spec.config->agent_timeout_ms, self->cancellable, error);
	if (second == NULL)
		return NULL;
	if (!cb_secret_equal(first, second)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("the two passphrases differ; nothing was written"));
		return NULL;
	}
	return g_steal_pointer(&first);
}

/* a reused key file has its passphrase already: asked once, and gpg
 * says whether it is right */
static CbSecret *
cb_job_ask_agent_once(CbJob *self, GError **error)
{
	const gchar *device = self->spec.drive != NULL ? cb_drive_get_device(self->spec.drive) : "";
	g_auto(GVariantDict) hints = G_VARIANT_DICT_INIT(NULL);

	g_variant_dict_insert(&hints, "drive", "s", device);
	return cb_agent_request_passphrase(
	    self->spec.bus, self->spec.peer, self->spec.options->agent, self->path,
	    _("Passphrase of the key file"), g_variant_dict_end(&hints),
	    self->spec.config->agent_timeout_ms, self->cancellable, error);
}

/* reuse: the passphrase of an existing key file, which is neither
 * confirmed nor checked for strength (it was, when the key file was made) */
static CbSecret *
cb_job_get_passphrase(CbJob *self, gboolean reuse, GError **error)
{
	CbJobOptions *options = self->spec.options;
	g_autoptr(CbSecret) passphrase = NULL;

	if (options->passphrase_fd >= 0) {
		passphrase = cb_passphrase_read_fd(options->passphrase_fd, error);
	} else if (options->agent != NULL) {
		cb_job_set_state(self, CB_JOB_STATE_WAITING_FOR_PASSPHRASE);
		passphrase =
		    reuse ? cb_job_ask_agent_once(self, error) : cb_job_ask_agent(self, error);
		cb_job_set_state(self, CB_JOB_STATE_RUNNING);
	} else {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
				    _("no passphrase: the request named neither an agent nor a "
				      "passphrase-fd"));
		return NULL;
	}
	if (passphrase == NULL)
		return NULL;
	/* the strength check reads what was typed; hex digits stand for
	 * bytes that may be anything */
	if (!reuse && !cb_passphrase_check(passphrase, options->allow_weak, error))
		return NULL;
	if (options->passphrase_hex)
		return cb_passphrase_decode_hex(passphrase, error);
	return g_steal_pointer(&passphrase);
}

/* the client's key file: NULL without error when it is empty, a place for
 * the new one. Read here, on the worker, and not while the call is
 * handled: a file on a hung or hostile file system (the caller's FUSE
 * mount) may block a read for good, and the main loop serves everyone. */
static GBytes *
cb_job_read_key_file(gint fd, GError **error)
{
	g_autofree guint8 *buf = g_malloc(CB_KEY_FILE_MAX + 1);
	gsize len = 0;
	gsize start, end;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the key file descriptor is not a regular file; open the key "
				      "file itself"));
		return NULL;
	}
	/* one byte past the limit tells a file that is too long */
	while (len <= CB_KEY_FILE_MAX) {
		ssize_t n = pread(fd, buf + len, CB_KEY_FILE_MAX + 1 - len, (off_t) len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("cannot read the key file: %s"), g_strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		len += (gsize) n;
	}
	if (len == 0)
		return NULL;
	if (len > CB_KEY_FILE_MAX || !cb_armor_find(buf, len, &start, &end)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the key file is not a loop-AES key file (an armored GnuPG "
				      "message); name a new or empty file to make one"));
		return NULL;
	}
	return g_bytes_new(buf + start, end - start);
}

/* what is known before anything is read or asked: the metadata, and a
 * key file to reuse with what it cannot take */
static gboolean
cb_job_crypt_init(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	CbJobOptions *options = self->spec.options;
	g_autoptr(GError) error_local = NULL;

	crypt->metadata = cb_job_metadata(self);
	if (options->keyfile_fd < 0)
		return TRUE;
	crypt->key_file = cb_job_read_key_file(options->keyfile_fd, &error_local);
	if (error_local != NULL) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	return crypt->key_file == NULL || cb_loop_aes_check_reuse(crypt->metadata, error);
}

/* the bytes in front of the payload: none when loop-aes keeps its keys
 * in the key file (the only format keyfile-fd is accepted for) */
static guint64
cb_job_header_size(CbJob *self, const CbFormatDesc *desc)
{
	return self->spec.options->keyfile_fd >= 0 ? 0 : desc->header_size;
}

/* passphrase, then the header: the slow key derivation */
static gboolean
cb_job_make_format(CbJob *self, const CbFormatDesc *desc, CbJobCrypt *crypt, GError **error)
{
	CbJobOptions *options = self->spec.options;
	g_autoptr(CbSecret) passphrase =
	    cb_job_get_passphrase(self, crypt->key_file != NULL, error);
	CbFormatParams params = {
		.passphrase = passphrase,
		.metadata = crypt->metadata,
		.iter_time_ms = options->iter_time,
		.pbkdf_memory_kb = options->pbkdf_memory,
		.pbkdf_iterations = options->pbkdf_iterations,
		.separate_key = options->keyfile_fd >= 0,
		.key_file = crypt->key_file,
		.noinfo = options->noinfo,
	};

	if (passphrase == NULL)
		return FALSE;
	if (g_cancellable_set_error_if_cancelled(self->cancellable, error))
		return FALSE;
	crypt->format = desc->create(&params, error);
	return crypt->format != NULL;
}

/* the checksum verify recomputes: of the encrypted payload alone */
static void
cb_job_set_payload_checksum(CbPipeline *pipeline, const CbMetadata *metadata)
{
	if (g_strcmp0(metadata->checksum_type, "md5") == 0)
		cb_pipeline_set_payload_checksum(pipeline, G_CHECKSUM_MD5);
	else if (g_strcmp0(metadata->checksum_type, "sha256") == 0)
		cb_pipeline_set_payload_checksum(pipeline, G_CHECKSUM_SHA256);
}

static gboolean
cb_job_pwrite_all(gint fd, const guint8 *buf, gsize len, off_t offset, GError **error)
{
	gsize done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, buf + done, len - done, offset + (off_t) done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR,
				    errno == ENOSPC ? CB_ERROR_NO_SPACE : CB_ERROR_OUTPUT, "%s",
				    g_strerror(errno));
			return FALSE;
		}
		done += (gsize) n;
	}
	return TRUE;
}

/* what only the finished payload tells, its checksum, into the key file
 * or the header; a header that changed is written again at the start of
 * the WriteImage output (cb_job_options_check_output made sure it can
 * be: a burn with the checksum in its header is refused before) */
static gboolean
cb_job_seal(CbJob *self, CbJobCrypt *crypt, CbPipeline *pipeline, GError **error)
{
	GBytes *header;

	if (crypt->metadata->checksum_type == NULL)
		return TRUE;
	crypt->metadata->checksum = g_strdup(cb_pipeline_get_payload_checksum(pipeline));
	crypt->metadata->checksum_size = cb_pipeline_get_payload_size(pipeline);
	if (!cb_format_seal(crypt->format, crypt->metadata, error))
		return FALSE;
	if (!cb_format_checksum_in_header(crypt->format))
		return TRUE;
	if (self->spec.operation != CB_OPERATION_WRITE_IMAGE) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED,
				    _("a disc cannot take its header again"));
		return FALSE;
	}
	header = cb_format_get_header(crypt->format);
	if (!cb_job_pwrite_all(self->spec.stream_fd, g_bytes_get_data(header, NULL),
			       g_bytes_get_size(header), crypt->output_start, error)) {
		g_prefix_error(error, _("cannot write the image's header again: "));
		return FALSE;
	}
	return TRUE;
}

/* the new key file into the client's fd, once the payload is written:
 * without it the image cannot be opened, so a failure fails the job */
static gboolean
cb_job_write_key_file(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	gint fd = self->spec.options->keyfile_fd;
	GBytes *key_file = cb_format_get_key_file(crypt->format);
	g_autoptr(GError) error_local = NULL;

	/* a reused key file stays as it was: it belongs to other images too */
	if (fd < 0 || key_file == NULL || crypt->key_file != NULL)
		return TRUE;
	if (ftruncate(fd, 0) != 0)
		g_set_error_literal(&error_local, CB_ERROR, CB_ERROR_OUTPUT, g_strerror(errno));
	else if (cb_job_pwrite_all(fd, g_bytes_get_data(key_file, NULL), g_bytes_get_size(key_file),
				   0, &error_local) &&
		 fsync(fd) != 0 && errno != EINVAL)
		g_set_error_literal(&error_local, CB_ERROR, CB_ERROR_OUTPUT, g_strerror(errno));
	if (error_local == NULL)
		return TRUE;
	g_set_error(error, CB_ERROR, error_local->code,
		    _("the data is written, but not its key file, without which it cannot be "
		      "decrypted: %s"),
		    error_local->message);
	return FALSE;
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
	pipeline = cb_pipeline_new(read, source, size, crypt->format,
				   (CbSinkWriteFunc) cb_fd_sink_write, &run.sink);
	run.pipeline = pipeline;
	cb_pipeline_set_checksum(pipeline, G_CHECKSUM_SHA256);
	cb_job_set_payload_checksum(pipeline, crypt->metadata);
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
		return cb_job_seal(self, crypt, pipeline, error);
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

/* from a known-size plain source to the job's drive */
static gboolean
cb_job_encrypt_and_burn(CbJob *self,
			CbJobCrypt *crypt,
			CbBurn *burn,
			CbSourceReadFunc read,
			gpointer source,
			guint64 size,
			GError **error)
{
	CbJobOptions *options = self->spec.options;
	const CbFormatDesc *desc = cb_format_lookup(options->format, error);
	g_autofree gchar *why = NULL;
	guint64 total;
	gboolean ok;
	gint inhibit_fd;

	if (desc == NULL)
		return FALSE;
	total = cb_job_header_size(self, desc) + size;
	cb_job_set_bytes(self, 0, total);
	if (!cb_job_check_media(self, burn, total, error))
		return FALSE;
	if (!cb_job_make_format(self, desc, crypt, error))
		return FALSE;
	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	why = g_strdup_printf(_("Writing an encrypted disc in %s"),
			      cb_drive_get_device(self->spec.drive));
	inhibit_fd = cb_inhibit_take(self->spec.bus, why);
	ok = cb_job_write_to_drive(self, burn, read, source, size, crypt, error) &&
	     cb_job_write_key_file(self, crypt, error);
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

static CbBurn *
cb_job_open_drive(CbJob *self, GError **error)
{
	return cb_burn_open(cb_drive_get_device(self->spec.drive),
			    cb_drive_get_stdio_capacity(self->spec.drive), error);
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
	     cb_job_encrypt_and_burn(self, crypt, burn, (CbSourceReadFunc) cb_reader_read, reader,
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
	ok = cb_job_encrypt_and_burn(self, crypt, burn, (CbSourceReadFunc) cb_fd_source_read,
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
	total = cb_job_header_size(self, desc) + size;
	cb_job_set_bytes(self, 0, total);
	if (!cb_job_check_output(sink.fd, total, error))
		return FALSE;
	if (!cb_job_make_format(self, desc, crypt, error))
		return FALSE;
	pipeline = cb_pipeline_new((CbSourceReadFunc) cb_reader_read, reader, size, crypt->format,
				   (CbSinkWriteFunc) cb_fd_sink_write, &sink);
	cb_pipeline_set_checksum(pipeline, G_CHECKSUM_SHA256);
	cb_job_set_payload_checksum(pipeline, crypt->metadata);
	cb_job_set_phase(self, CB_JOB_PHASE_WRITING);
	if (!cb_pipeline_run(pipeline, self->cancellable, error) ||
	    !cb_job_seal(self, crypt, pipeline, error) ||
	    !cb_job_write_key_file(self, crypt, error))
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
	ok = cb_burn_blank(burn, self->spec.options->fast, cb_job_on_blank_progress, self,
			   self->cancellable, error);
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
