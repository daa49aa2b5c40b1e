/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cb_fd_source_new() runs wherever a job is set up; cb_fd_source_read()
 * on the job's worker thread, as the pipeline's source. The fd comes from
 * another program (a pipe over D-Bus): with a CbFdWait it is made
 * non-blocking and every wait for it is one the job's Cancel ends, with a
 * limit on how long the program may send nothing (cb-fd-wait.h); without
 * one, a poll() turns a non-blocking fd back into a blocking read.
 *
 * The size must be settled before the first byte goes out (SAO/DAO
 * writing and the capacity check need it), so a pipe of unknown length is
 * read ahead up to its ISO 9660 primary volume descriptor; those bytes are
 * kept and handed out first. The announced size is a promise the stream
 * has to keep: a stream that ends early or runs past it is refused rather
 * than padded or cut, since either would make a disc that does not match
 * its own file system.
 */
#include "cb-fd-source.h"

#include "cb-error.h"
#include "cb-fd-wait.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <linux/fs.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CB_FD_SOURCE_SECTOR 2048
/* ECMA-119 8.4: the primary volume descriptor is the first of the volume
 * descriptor set, which starts at logical sector 16 (byte 32768) */
#define CB_FD_SOURCE_PVD_OFFSET 32768
#define CB_FD_SOURCE_PEEK (CB_FD_SOURCE_PVD_OFFSET + CB_FD_SOURCE_SECTOR)
/* offsets inside the descriptor: both-endian volume space size (8.4.8)
 * and logical block size (8.4.12) */
#define CB_FD_SOURCE_PVD_SPACE_SIZE 80
#define CB_FD_SOURCE_PVD_BLOCK_SIZE 128

struct _CbFdSource {
	int fd;
	CbFdWait wait;
	gboolean has_wait;
	gint saved_flags;  /* the fd's own, put back when done; -1: untouched */
	guint64 data_size; /* bytes the stream must deliver */
	guint64 size;	   /* data_size padded to a whole sector */
	guint64 done;	   /* bytes handed out, padding included */
	guint8 *peek;	   /* read ahead to find the size; handed out first */
	gsize peek_len;
	gsize peek_pos;
	/* the size is the ISO's own: zeros after it are padding (xorriso
	 * adds 300 KiB, a disc read with dd has its run-out) */
	gboolean size_from_pvd;
};

static gboolean
cb_fd_source_read_error(GError **error)
{
	g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the image stream: %s"),
		    g_strerror(errno));
	return FALSE;
}

/* one read(), retried on EINTR and waited for on a non-blocking fd */
static gssize
cb_fd_source_read_once(CbFdSource *self, guint8 *buf, gsize len, GError **error)
{
	for (;;) {
		gssize n = read(self->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EAGAIN) {
			if (!cb_fd_wait_for(self->has_wait ? &self->wait : NULL, self->fd, POLLIN,
					    CB_ERROR_SOURCE, _("the image stream"), error))
				return -1;
			continue;
		}
		if (errno != EINTR) {
			cb_fd_source_read_error(error);
			return -1;
		}
	}
}

/* reads until buf is full or the stream ends; -1 on an error */
static gssize
cb_fd_source_read_full(CbFdSource *self, guint8 *buf, gsize len, GError **error)
{
	gsize got = 0;

	while (got < len) {
		gssize n = cb_fd_source_read_once(self, buf + got, len - got, error);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (gsize) n;
	}
	return (gssize) got;
}

/* the size a regular file or block device still holds from the current
 * offset on, or 0 when the fd is neither */
static gboolean
cb_fd_source_stat_size(int fd, guint64 *size, GError **error)
{
	struct stat st;
	guint64 total = 0;
	off_t pos;

	*size = 0;
	if (fstat(fd, &st) != 0)
		return cb_fd_source_read_error(error);
	if (S_ISREG(st.st_mode)) {
		total = (guint64) st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &total) != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("cannot find the size of the image device: %s"),
				    g_strerror(errno));
			return FALSE;
		}
	} else {
		return TRUE;
	}
	/* a caller may have skipped something in front already */
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos > 0)
		total = (guint64) pos < total ? total - (guint64) pos : 0;
	if (total == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_SOURCE, _("the image is empty"));
		return FALSE;
	}
	*size = total;
	return TRUE;
}

/* ECMA-119 7.2.3 and 7.3.3: a number recorded little- then big-endian */
static gboolean
cb_fd_source_both_endian(const guint8 *p, gsize width, guint32 *value)
{
	guint32 le = 0, be = 0;

	for (gsize i = 0; i < width; i++) {
		le |= (guint32) p[i] << (8 * i);
		be |= (guint32) p[2 * width - 1 - i] << (8 * i);
	}
	*value = le;
	/* halves that disagree mean a damaged descriptor */
	return le == be;
}

/* reads the stream up to and including the primary volume descriptor and
 * takes the size from it */
static gboolean
cb_fd_source_peek_size(CbFdSource *self, GError **error)
{
	const guint8 *pvd;
	gssize n;
	guint32 blocks, block_size;

	self->peek = g_malloc(CB_FD_SOURCE_PEEK);
	n = cb_fd_source_read_full(self, self->peek, CB_FD_SOURCE_PEEK, error);
	if (n < 0)
		return FALSE;
	self->peek_len = (gsize) n;
	pvd = self->peek + CB_FD_SOURCE_PVD_OFFSET;
	/* type 1, "CD001", version 1 */
	if (self->peek_len < CB_FD_SOURCE_PEEK || pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) != 0 ||
	    pvd[6] != 1) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the size of the image stream is unknown: it does not start "
				      "like an ISO 9660 image; give its size (--size)"));
		return FALSE;
	}
	if (!cb_fd_source_both_endian(pvd + CB_FD_SOURCE_PVD_SPACE_SIZE, 4, &blocks) ||
	    !cb_fd_source_both_endian(pvd + CB_FD_SOURCE_PVD_BLOCK_SIZE, 2, &block_size) ||
	    blocks == 0 || block_size == 0) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_SOURCE,
		    _("the size of the image stream is unknown: its ISO 9660 volume "
		      "descriptor is damaged; give its size (--size)"));
		return FALSE;
	}
	self->data_size = (guint64) blocks * block_size;
	self->size_from_pvd = TRUE;
	return TRUE;
}

CbFdSource *
cb_fd_source_new(int fd, guint64 size, GError **error)
{
	return cb_fd_source_new_waiting(fd, size, NULL, error);
}

CbFdSource *
cb_fd_source_new_waiting(int fd, guint64 size, const CbFdWait *wait, GError **error)
{
	g_autoptr(CbFdSource) self = g_new0(CbFdSource, 1);

	self->fd = fd;
	self->saved_flags = -1;
	if (wait != NULL) {
		self->wait = *wait;
		self->has_wait = TRUE;
	}
	if (!cb_fd_wait_prepare(wait, fd, &self->saved_flags, error))
		return NULL;
	self->data_size = size;
	if (self->data_size == 0 && !cb_fd_source_stat_size(fd, &self->data_size, error))
		return NULL;
	if (self->data_size == 0 && !cb_fd_source_peek_size(self, error))
		return NULL;
	self->size =
	    (self->data_size + CB_FD_SOURCE_SECTOR - 1) / CB_FD_SOURCE_SECTOR * CB_FD_SOURCE_SECTOR;
	return g_steal_pointer(&self);
}

void
cb_fd_source_free(CbFdSource *self)
{
	if (self == NULL)
		return;
	cb_fd_wait_restore(self->fd, self->saved_flags);
	g_free(self->peek);
	g_free(self);
}

guint64
cb_fd_source_get_size(CbFdSource *self)
{
	return self->size;
}

static gboolean
cb_fd_source_too_long(CbFdSource *self, guint64 at_least, GError **error)
{
	g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
		    _("the image stream is longer than announced: %llu bytes were announced, "
		      "at least %llu came"),
		    (unsigned long long) self->data_size, (unsigned long long) at_least);
	return FALSE;
}

static gboolean
cb_fd_source_all_zero(const guint8 *buf, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if (buf[i] != 0)
			return FALSE;
	return TRUE;
}

/* the stream delivered all it announced: anything more is an error,
 * except zero padding behind an ISO whose size came from its volume
 * descriptor; that is read to the end and dropped, as it holds nothing */
static gboolean
cb_fd_source_check_end(CbFdSource *self, GError **error)
{
	guint8 probe[4096];
	guint64 extra = 0;

	if (self->peek_pos < self->peek_len) {
		gsize rest = self->peek_len - self->peek_pos;
		if (!self->size_from_pvd ||
		    !cb_fd_source_all_zero(self->peek + self->peek_pos, rest))
			return cb_fd_source_too_long(self, self->data_size + rest, error);
		extra = rest;
		self->peek_pos = self->peek_len;
	}
	for (;;) {
		gssize n = cb_fd_source_read_once(self, probe, sizeof(probe), error);
		if (n < 0)
			return FALSE;
		if (n == 0)
			return TRUE;
		extra += (guint64) n;
		if (!self->size_from_pvd || !cb_fd_source_all_zero(probe, (gsize) n))
			return cb_fd_source_too_long(self, self->data_size + extra, error);
	}
}

/* copies up to len stream bytes: the peeked ones first, then the fd's */
static gssize
cb_fd_source_read_data(CbFdSource *self, guint8 *buf, gsize len, GError **error)
{
	gsize from_peek = MIN(len, self->peek_len - self->peek_pos);
	gssize n;

	if (from_peek > 0) {
		memcpy(buf, self->peek + self->peek_pos, from_peek);
		self->peek_pos += from_peek;
	}
	n = cb_fd_source_read_full(self, buf + from_peek, len - from_peek, error);
	if (n < 0)
		return -1;
	return (gssize) from_peek + n;
}

gssize
cb_fd_source_read(CbFdSource *self, guint8 *buf, gsize len, GError **error)
{
	gsize want = (gsize) MIN((guint64) len, self->size - self->done);
	gsize data_want = 0;
	gssize got = 0;

	if (self->done < self->data_size)
		data_want = (gsize) MIN((guint64) want, self->data_size - self->done);
	if (data_want > 0) {
		got = cb_fd_source_read_data(self, buf, data_want, error);
		if (got < 0)
			return -1;
		if ((gsize) got < data_want) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the image stream ended after %llu bytes, but %llu were "
				      "announced"),
				    (unsigned long long) (self->done + (guint64) got),
				    (unsigned long long) self->data_size);
			return -1;
		}
		self->done += (guint64) got;
		if (self->done == self->data_size && !cb_fd_source_check_end(self, error))
			return -1;
	}
	/* the last partial sector, completed with zeros */
	memset(buf + data_want, 0, want - data_want);
	self->done += want - data_want;
	return (gssize) want;
}
