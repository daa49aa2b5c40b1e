/* SPDX-License-Identifier: GPL-3.0-or-later */
/* the job's worker thread, as all of cb-job-work.c */
#include "cb-job-crypt.h"

#include "cb-agent.h"
#include "cb-armor.h"
#include "cb-derive.h"
#include "cb-error.h"
#include "cb-format-loop-aes.h"
#include "cb-passphrase.h"
#include "cb-volume-id.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <sys/stat.h>
#include <unistd.h>

/* an armored key file is about 11 KiB; anything far bigger is not one */
#define CB_KEY_FILE_MAX (64 * 1024)

void
cb_job_crypt_clear(CbJobCrypt *crypt)
{
	g_clear_pointer(&crypt->metadata, cb_metadata_free);
	g_clear_pointer(&crypt->key_file, g_bytes_unref);
	g_clear_pointer(&crypt->format, cb_format_free);
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
		CbFdWait wait = { .cancellable = self->cancellable, .stall_s = CB_FD_WAIT_STALL_S };
		passphrase = cb_passphrase_read_fd_waiting(options->passphrase_fd, &wait, error);
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

/* the key file written over the image at the end would leave neither */
static gboolean
cb_job_check_key_file_apart(gint keyfile_fd, gint output_fd, GError **error)
{
	struct stat key, out;

	if (output_fd < 0 || fstat(keyfile_fd, &key) != 0 || fstat(output_fd, &out) != 0 ||
	    key.st_dev != out.st_dev || key.st_ino != out.st_ino)
		return TRUE;
	g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("the key file and the output are the same file; name another key "
			      "file"));
	return FALSE;
}

/* what is known before anything is read or asked: the metadata, and a
 * key file to reuse with what it cannot take */
gboolean
cb_job_crypt_init(CbJob *self, CbJobCrypt *crypt, GError **error)
{
	CbJobOptions *options = self->spec.options;
	g_autoptr(GError) error_local = NULL;

	crypt->metadata = cb_job_metadata(self);
	if (options->keyfile_fd < 0)
		return TRUE;
	if (self->spec.operation == CB_OPERATION_WRITE_IMAGE &&
	    !cb_job_check_key_file_apart(options->keyfile_fd, self->spec.stream_fd, error))
		return FALSE;
	crypt->key_file = cb_job_read_key_file(options->keyfile_fd, &error_local);
	if (error_local != NULL) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	return crypt->key_file == NULL || cb_loop_aes_check_reuse(crypt->metadata, error);
}

/* the bytes in front of the payload: none when loop-aes keeps its keys
 * in the key file (the only format keyfile-fd is accepted for) */
guint64
cb_job_crypt_header_size(CbJob *self, const CbFormatDesc *desc)
{
	return self->spec.options->keyfile_fd >= 0 ? 0 : desc->header_size;
}

/* passphrase, then the header: the slow key derivation (cb-derive.h) */
gboolean
cb_job_crypt_make_format(CbJob *self, const CbFormatDesc *desc, CbJobCrypt *crypt, GError **error)
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
	/* on a thread of its own: libcryptsetup cannot stop a derivation, and
	 * a Cancel must end the job and release the drive at once */
	crypt->format = cb_derive_format(desc, &params, self->cancellable, error);
	return crypt->format != NULL;
}

/* the checksum verify recomputes: of the encrypted payload alone */
void
cb_job_crypt_watch_payload(CbJobCrypt *crypt, CbPipeline *pipeline)
{
	cb_pipeline_record_checksum(pipeline, crypt->metadata);
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
gboolean
cb_job_crypt_seal(CbJob *self, CbJobCrypt *crypt, CbPipeline *pipeline, GError **error)
{
	GBytes *header;

	if (!cb_pipeline_seal(pipeline, crypt->metadata, error))
		return FALSE;
	if (crypt->metadata->checksum == NULL || !cb_format_checksum_in_header(crypt->format))
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
gboolean
cb_job_crypt_write_key_file(CbJob *self, CbJobCrypt *crypt, GError **error)
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
