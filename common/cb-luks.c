/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-luks.h"

#include "cb-crypto.h"
#include "cb-error.h"
#include "cb-output.h"

#include <glib/gi18n-lib.h>
#include "cb-xts.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct crypt_device CbCryptDevice;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbCryptDevice, crypt_free)

/* libcryptsetup reports through callbacks; usrptr is a GString that keeps
 * the last error, so a GError can say what went wrong, not just a number.
 * Declare it before the device so the device, which calls back, goes first. */
static void
cb_luks_log_cb(int level, const char *msg, void *usrptr)
{
	GString *last_error = usrptr;
	g_autofree gchar *line = g_strchomp(g_strdup(msg));

	if (level == CRYPT_LOG_ERROR && last_error != NULL) {
		g_string_assign(last_error, line);
		return;
	}
	g_debug("libcryptsetup: %s", line);
}

/* libcryptsetup makes no promise of thread safety: its crypto backend is
 * set up behind an unlocked static flag (crypt_backend_init()) and the log
 * callback of the NULL context is global. The daemon runs each job on its
 * own thread, so every function here that holds a crypt_device holds this
 * lock for the device's whole life (declared first, so released last).
 * It also keeps to one the Argon2 runs at a time, each of which may take
 * up to a GiB of memory: 32 jobs at once would not fit. */
static GMutex cb_luks_lock;

static void
cb_luks_init_library(void)
{
	static gsize done = 0;

	if (g_once_init_enter(&done)) {
		crypt_set_log_callback(NULL, cb_luks_log_cb, NULL);
		/* metadata locks live in /run/cryptsetup, which only root may
		 * write; our header files are private, nobody else opens them */
		crypt_metadata_locking(NULL, 0);
		g_once_init_leave(&done, 1);
	}
}

static gboolean
cb_luks_fail(GString *last_error, int rc, GError **error, const gchar *what)
{
	g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, "%s: %s", what,
		    last_error->len > 0 ? last_error->str : g_strerror(-rc));
	return FALSE;
}

typedef struct {
	int fd;
	gchar *path;
} CbMemFile;

static void
cb_mem_file_clear(CbMemFile *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	g_clear_pointer(&self->path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbMemFile, cb_mem_file_clear)

/* a file that exists only in memory: the header is built where nobody
 * else can see or replace it, and nothing is left behind on a crash */
static gboolean
cb_mem_file_open(CbMemFile *self, guint64 size, GError **error)
{
	self->fd = memfd_create("cryptburn-luks-header", MFD_CLOEXEC);
	if (self->fd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot create an in-memory header file: %s"), g_strerror(errno));
		return FALSE;
	}
	if (ftruncate(self->fd, (off_t) size) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot size the header file: %s"),
			    g_strerror(errno));
		return FALSE;
	}
	self->path = g_strdup_printf("/proc/self/fd/%d", self->fd);
	return TRUE;
}

static GBytes *
cb_mem_file_read(CbMemFile *self, guint64 size, GError **error)
{
	g_autofree guint8 *buf = g_malloc(size);
	gsize done = 0;

	while (done < size) {
		ssize_t n = pread(self->fd, buf + done, size - done, (off_t) done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot read back the LUKS header: %s"),
				    n < 0 ? g_strerror(errno) : "short file");
			return NULL;
		}
		done += (gsize) n;
	}
	return g_bytes_new_take(g_steal_pointer(&buf), size);
}

static gboolean
cb_luks_xts_encrypt(gpointer cipher, guint64 payload_offset, guint8 *buf, gsize len, GError **error)
{
	CbXts *xts = cipher;
	return cb_xts_encrypt(xts, payload_offset / cb_xts_get_sector_size(xts), buf, len, error);
}

static gboolean
cb_luks_xts_decrypt(gpointer cipher, guint64 payload_offset, guint8 *buf, gsize len, GError **error)
{
	CbXts *xts = cipher;
	return cb_xts_decrypt(xts, payload_offset / cb_xts_get_sector_size(xts), buf, len, error);
}

static gboolean
cb_luks_format(const CbLuksLayout *layout,
	       const CbFormatParams *params,
	       const CbSecret *volume_key,
	       CbMemFile *file,
	       GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cb_luks_lock);
	g_autoptr(GString) last_error = g_string_new(NULL);
	g_autoptr(CbCryptDevice) cd = NULL;
	struct crypt_pbkdf_type pbkdf = *crypt_get_pbkdf_default(layout->crypt_type);
	struct crypt_params_luks1 luks1 = { 0 };
	struct crypt_params_luks2 luks2 = { 0 };
	void *type_params = NULL;
	int rc;

	rc = crypt_init(&cd, file->path);
	if (rc < 0)
		return cb_luks_fail(last_error, rc, error, _("cannot start libcryptsetup"));
	crypt_set_log_callback(cd, cb_luks_log_cb, last_error);

	pbkdf.type = layout->pbkdf_type;
	if (params->iter_time_ms > 0)
		pbkdf.time_ms = params->iter_time_ms;
	if (params->pbkdf_memory_kb > 0 && g_strcmp0(pbkdf.type, CRYPT_KDF_PBKDF2) != 0)
		pbkdf.max_memory_kb = params->pbkdf_memory_kb;
	if (params->pbkdf_iterations > 0) {
		/* as cryptsetup --pbkdf-force-iterations: no benchmark, so the
		 * cost is the same on every machine */
		pbkdf.iterations = params->pbkdf_iterations;
		pbkdf.flags |= CRYPT_PBKDF_NO_BENCHMARK;
	}

	if (g_strcmp0(layout->crypt_type, CRYPT_LUKS2) == 0) {
		luks2.sector_size = layout->sector_size;
		luks2.data_alignment = layout->data_offset / 512;
		luks2.subsystem = "cryptburn";
		if (params->metadata != NULL && params->metadata->volume_id != NULL)
			luks2.label = params->metadata->volume_id;
		type_params = &luks2;
	} else {
		luks1.hash = "sha256";
		luks1.data_alignment = layout->data_offset / 512;
		type_params = &luks1;
	}

	if (layout->metadata_size > 0) {
		rc = crypt_set_metadata_size(cd, layout->metadata_size, layout->keyslots_size);
		if (rc < 0)
			return cb_luks_fail(last_error, rc, error,
					    _("cannot size the LUKS2 header"));
	}
	rc = crypt_set_pbkdf_type(cd, &pbkdf);
	if (rc < 0)
		return cb_luks_fail(last_error, rc, error, _("cannot choose the key derivation"));
	rc = crypt_format(cd, layout->crypt_type, "aes", "xts-plain64", NULL,
			  (const char *) cb_secret_peek(volume_key), cb_secret_size(volume_key),
			  type_params);
	if (rc < 0)
		return cb_luks_fail(last_error, rc, error, _("cannot create the LUKS header"));
	rc = crypt_keyslot_add_by_volume_key(
	    cd, CRYPT_ANY_SLOT, (const char *) cb_secret_peek(volume_key),
	    cb_secret_size(volume_key), (const char *) cb_secret_peek(params->passphrase),
	    cb_secret_size(params->passphrase));
	if (rc < 0)
		return cb_luks_fail(last_error, rc, error,
				    _("cannot add the passphrase to the LUKS header"));
	if (crypt_get_data_offset(cd) * 512 != layout->data_offset) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("libcryptsetup put the data at %llu bytes, expected %llu"),
			    (unsigned long long) crypt_get_data_offset(cd) * 512,
			    (unsigned long long) layout->data_offset);
		return FALSE;
	}
	if (layout->store_metadata != NULL && params->metadata != NULL && !params->noinfo)
		return layout->store_metadata(cd, params->metadata, error);
	return TRUE;
}

CbFormat *
cb_luks_create(const CbFormatDesc *desc,
	       const CbLuksLayout *layout,
	       const CbFormatParams *params,
	       GError **error)
{
	g_autoptr(CbSecret) volume_key = NULL;
	g_autoptr(GBytes) header = NULL;
	g_autoptr(CbXts) xts = NULL;
	g_auto(CbMemFile) file = { .fd = -1 };
	CbFormat *format;

	if (!cb_crypto_init(error))
		return NULL;
	cb_luks_init_library();

	volume_key = cb_secret_new_random(layout->volume_key_size, error);
	if (volume_key == NULL)
		return NULL;
	/* room past the data offset: libcryptsetup checks the device holds it */
	if (!cb_mem_file_open(&file, layout->data_offset + 4096, error) ||
	    !cb_luks_format(layout, params, volume_key, &file, error))
		return NULL;
	header = cb_mem_file_read(&file, layout->data_offset, error);
	if (header == NULL)
		return NULL;

	xts = cb_xts_new(volume_key, layout->sector_size, error);
	if (xts == NULL)
		return NULL;
	format = cb_format_new(desc, header, layout->sector_size, cb_luks_xts_encrypt,
			       g_steal_pointer(&xts), (GDestroyNotify) cb_xts_free);
	cb_format_set_decrypt(format, cb_luks_xts_decrypt);
	return format;
}

GBytes *
cb_luks_update_metadata(const CbLuksLayout *layout,
			GBytes *header,
			const CbMetadata *metadata,
			GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cb_luks_lock);
	g_autoptr(GString) last_error = g_string_new(NULL);
	g_autoptr(CbCryptDevice) cd = NULL;
	g_auto(CbMemFile) file = { .fd = -1 };
	gsize size = g_bytes_get_size(header);
	int rc;

	g_return_val_if_fail(layout->store_metadata != NULL, NULL);
	cb_luks_init_library();
	/* the header alone, in memory again: tokens are plain JSON outside
	 * the keyslots, so no passphrase and no key are needed to change one */
	if (!cb_mem_file_open(&file, layout->data_offset + 4096, error) ||
	    !cb_output_write_fd(file.fd, _("the header file"), g_bytes_get_data(header, NULL), size,
				error))
		return NULL;
	rc = crypt_init(&cd, file.path);
	if (rc >= 0) {
		crypt_set_log_callback(cd, cb_luks_log_cb, last_error);
		rc = crypt_load(cd, layout->crypt_type, NULL);
	}
	if (rc < 0) {
		cb_luks_fail(last_error, rc, error, _("cannot reload the LUKS header"));
		return NULL;
	}
	if (!layout->store_metadata(cd, metadata, error))
		return NULL;
	return cb_mem_file_read(&file, size, error);
}

GBytes *
cb_luks_header_backup(const gchar *path, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cb_luks_lock);
	g_autoptr(GString) last_error = g_string_new(NULL);
	g_autoptr(CbCryptDevice) cd = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *backup = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	gboolean ok;
	int rc;

	cb_luks_init_library();
	rc = crypt_init(&cd, path);
	if (rc >= 0) {
		crypt_set_log_callback(cd, cb_luks_log_cb, last_error);
		rc = crypt_load(cd, NULL, NULL);
	}
	if (rc < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED, _("%s has no LUKS header"),
			    path);
		return NULL;
	}
	/* libcryptsetup writes backups to a new file only: a private
	 * directory holds it for the moment it takes to read it back */
	dir = g_dir_make_tmp("cryptburn-header-XXXXXX", NULL);
	if (dir == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot make a temporary directory: %s"), g_strerror(errno));
		return NULL;
	}
	backup = g_build_filename(dir, "header", NULL);
	rc = crypt_header_backup(cd, NULL, backup);
	ok = rc >= 0 && g_file_get_contents(backup, &contents, &len, NULL);
	g_unlink(backup);
	g_rmdir(dir);
	if (!ok) {
		cb_luks_fail(last_error, rc < 0 ? rc : -EIO, error,
			     _("cannot back up the LUKS header"));
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&contents), len);
}

static guint64
cb_luks_file_size(const gchar *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;

	if (fd < 0)
		return 0;
	/* lseek works for regular files and block devices alike */
	end = lseek(fd, 0, SEEK_END);
	close(fd);
	return end < 0 ? 0 : (guint64) end;
}

gboolean
cb_luks_probe(const CbFormatDesc *desc,
	      const CbLuksLayout *layout,
	      const gchar *path,
	      CbImageInfo *info,
	      GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cb_luks_lock);
	g_autoptr(GString) last_error = g_string_new(NULL);
	g_autoptr(CbCryptDevice) cd = NULL;
	struct crypt_pbkdf_type pbkdf = { 0 };
	guint64 size;
	int rc;

	cb_luks_init_library();
	if (access(path, R_OK) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
			    g_strerror(errno));
		return FALSE;
	}
	rc = crypt_init(&cd, path);
	if (rc < 0)
		return cb_luks_fail(last_error, rc, error, _("cannot open the image"));
	crypt_set_log_callback(cd, cb_luks_log_cb, last_error);
	rc = crypt_load(cd, layout->crypt_type, NULL);
	if (rc < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED, _("no %s header"), desc->name);
		return FALSE;
	}

	info->format = g_strdup(desc->name);
	info->cipher = g_strdup_printf("%s-%s", crypt_get_cipher(cd), crypt_get_cipher_mode(cd));
	info->key_bits = (guint) crypt_get_volume_key_size(cd) * 8;
	info->sector_size = (guint) crypt_get_sector_size(cd);
	info->data_offset = crypt_get_data_offset(cd) * 512;
	info->uuid = g_strdup(crypt_get_uuid(cd));
	if (crypt_keyslot_get_pbkdf(cd, 0, &pbkdf) == 0)
		info->pbkdf = g_strdup(pbkdf.type);
	size = cb_luks_file_size(path);
	info->payload_size = size > info->data_offset ? size - info->data_offset : 0;
	info->metadata = g_new0(CbMetadata, 1);
	if (layout->load_metadata != NULL && !layout->load_metadata(cd, info->metadata, error))
		return FALSE;
	return TRUE;
}
