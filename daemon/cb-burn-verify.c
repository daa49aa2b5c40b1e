/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Reading a written disc back: cb_burn_verify() compares the disc's first
 * bytes, as the backend reads them (cb-burn-read.c for libburn), with
 * what went into the drive, and CbBurnRecord remembers enough of that to
 * say where they differ.
 *
 * Threads: cb_burn_verify() runs on a job's worker thread; a record is fed
 * on whichever thread writes (the pipeline's writer thread for a job) and
 * read once that thread has been joined.
 */

#include "cb-drive-backend.h"

#include "cb-crypto.h"
#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 32 blocks: what a drive reads in one command, and fine enough to point
 * at a bad spot on the disc */
#define CB_BURN_SECTOR 2048
#define CB_RECORD_WINDOW (32 * CB_BURN_SECTOR)
/* one read between two looks at the cancellable: about 0.1 s on a CD */
#define CB_VERIFY_CHUNK (1024 * 1024)

typedef gcry_md_hd_t CbMd;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(CbMd, gcry_md_close, NULL)

struct _CbBurnRecord {
	GArray *crcs; /* guint32, one per finished window */
	gcry_md_hd_t crc;
	gsize in_window; /* bytes of the current window so far */
};

CbBurnRecord *
cb_burn_record_new(void)
{
	CbBurnRecord *self = g_new0(CbBurnRecord, 1);

	self->crcs = g_array_new(FALSE, FALSE, sizeof(guint32));
	cb_crypto_init(NULL);
	/* fails only for an algorithm libgcrypt was built without */
	if (gcry_md_open(&self->crc, GCRY_MD_CRC32, 0) != 0)
		g_error("libgcrypt has no CRC-32");
	return self;
}

void
cb_burn_record_free(CbBurnRecord *self)
{
	if (self == NULL)
		return;
	gcry_md_close(self->crc);
	g_array_unref(self->crcs);
	g_free(self);
}

static void
cb_burn_record_close_window(CbBurnRecord *self)
{
	const guint8 *raw = gcry_md_read(self->crc, GCRY_MD_CRC32);
	guint32 crc;

	memcpy(&crc, raw, sizeof(crc));
	g_array_append_val(self->crcs, crc);
	gcry_md_reset(self->crc);
	self->in_window = 0;
}

void
cb_burn_record_add(CbBurnRecord *self, const guint8 *buf, gsize len)
{
	while (len > 0) {
		gsize n = MIN(len, CB_RECORD_WINDOW - self->in_window);

		gcry_md_write(self->crc, buf, n);
		self->in_window += n;
		buf += n;
		len -= n;
		if (self->in_window == CB_RECORD_WINDOW)
			cb_burn_record_close_window(self);
	}
}

/* the last, shorter window; nothing may be added after it */
static void
cb_burn_record_finish(CbBurnRecord *self)
{
	if (self->in_window > 0)
		cb_burn_record_close_window(self);
}

static gchar *
cb_burn_u64(guint64 n)
{
	return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

/* window i of the read-back against the same window as written */
static gboolean
cb_burn_check_window(CbBurn *self,
		     CbBurnRecord *read_back,
		     CbBurnRecord *written,
		     guint i,
		     guint64 size,
		     GError **error)
{
	guint64 first = (guint64) i * CB_RECORD_WINDOW;
	guint64 last = MIN(first + CB_RECORD_WINDOW, size) - 1;
	g_autofree gchar *first_block = NULL;
	g_autofree gchar *last_block = NULL;
	g_autofree gchar *first_byte = NULL;
	g_autofree gchar *last_byte = NULL;

	/* a record that misses windows cannot locate anything: the
	 * checksums decide at the end */
	if (i >= written->crcs->len ||
	    g_array_index(read_back->crcs, guint32, i) == g_array_index(written->crcs, guint32, i))
		return TRUE;
	first_block = cb_burn_u64(first / CB_BURN_SECTOR);
	last_block = cb_burn_u64(last / CB_BURN_SECTOR);
	first_byte = cb_burn_u64(first);
	last_byte = cb_burn_u64(last);
	g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
		    _("verification failed: the disc in %s reads back differently from what was "
		      "written, first in blocks %s to %s (2048 bytes each; bytes %s to %s); "
		      "write the image again, on a new disc"),
		    cb_burn_get_device(self), first_block, last_block, first_byte, last_byte);
	return FALSE;
}

/* the windows the read-back has finished since the last look */
static gboolean
cb_burn_check_windows(CbBurn *self,
		      CbBurnRecord *read_back,
		      CbBurnRecord *written,
		      guint *checked,
		      guint64 size,
		      GError **error)
{
	for (; *checked < read_back->crcs->len; (*checked)++)
		if (!cb_burn_check_window(self, read_back, written, *checked, size, error))
			return FALSE;
	return TRUE;
}

/* the SHA-256 of what was read, in hex as the pipeline gives it */
static gchar *
cb_burn_hex_digest(gcry_md_hd_t md)
{
	const guint8 *raw = gcry_md_read(md, GCRY_MD_SHA256);
	GString *hex = g_string_sized_new(64);

	for (guint i = 0; i < gcry_md_get_algo_dlen(GCRY_MD_SHA256); i++)
		g_string_append_printf(hex, "%02x", raw[i]);
	return g_string_free(hex, FALSE);
}

gboolean
cb_burn_verify(CbBurn *self,
	       guint64 size,
	       const gchar *sha256,
	       CbBurnRecord *written,
	       CbBurnReadBackFunc read_back_func,
	       CbBurnProgressFunc progress,
	       gpointer user_data,
	       GCancellable *cancellable,
	       GError **error)
{
	const CbDriveBackend *backend = cb_drive_backend_get();
	g_autoptr(CbBurnRecord) read_back = cb_burn_record_new();
	g_auto(CbMd) sha = NULL;
	g_autofree guint8 *buf = NULL;
	g_autofree gchar *digest = NULL;
	guint64 done = 0;
	guint checked = 0;

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(sha256 != NULL, FALSE);
	g_return_val_if_fail(written != NULL, FALSE);

	if (!backend->read_start(self, error))
		return FALSE;
	/* its last window ends where the image does, as the read-back's */
	cb_burn_record_finish(written);
	if (gcry_md_open(&sha, GCRY_MD_SHA256, 0) != 0)
		g_error("libgcrypt has no SHA-256");
	buf = g_malloc(CB_VERIFY_CHUNK);
	while (done < size) {
		gsize len = (gsize) MIN((guint64) CB_VERIFY_CHUNK, size - done);

		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("verifying the disc in %s cancelled"),
				    cb_burn_get_device(self));
			return FALSE;
		}
		if (!backend->read(self, done, buf, len, error))
			return FALSE;
		gcry_md_write(sha, buf, len);
		cb_burn_record_add(read_back, buf, len);
		done += len;
		if (progress != NULL) {
			CbBurnStatus st = { .phase = CB_BURN_PHASE_VERIFYING, .bytes_done = done };
			progress(&st, user_data);
		}
		/* stop at the first difference: the rest cannot mend it */
		if (!cb_burn_check_windows(self, read_back, written, &checked, size, error))
			return FALSE;
		if (read_back_func != NULL &&
		    !read_back_func(done - len, buf, len, user_data, error))
			return FALSE;
	}
	cb_burn_record_finish(read_back);
	if (!cb_burn_check_windows(self, read_back, written, &checked, size, error))
		return FALSE;
	digest = cb_burn_hex_digest(sha);
	if (g_ascii_strcasecmp(digest, sha256) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("verification failed: the disc in %s reads back with SHA-256 %s, but "
			      "what was written has %s; write the image again, on a new disc"),
			    cb_burn_get_device(self), digest, sha256);
		return FALSE;
	}
	g_debug("%s: %" G_GUINT64_FORMAT " bytes read back and verified", cb_burn_get_device(self),
		size);
	return TRUE;
}
