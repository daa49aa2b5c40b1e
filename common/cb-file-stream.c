/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-file-stream.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* large enough to make system calls rare, small enough to stay resident */
#define CB_FILE_STREAM_CHUNK (256 * 1024)

typedef struct {
	gchar *path;
	off_t size;
	dev_t dev;
	ino_t ino;
	int fd;
	guint8 *buf;
	gsize buf_len;
	gsize buf_pos;
	gboolean eof;
} CbFileStream;

static unsigned int cb_file_stream_fs_id;

static int
cb_file_stream_errno_to_iso(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return ISO_FILE_ACCESS_DENIED;
	case ENOENT:
		return ISO_FILE_DOESNT_EXIST;
	case ENOMEM:
		return ISO_OUT_OF_MEM;
	default:
		return ISO_FILE_READ_ERROR;
	}
}

/* libisofs names a failing user stream "UNKNOWN SOURCE": queue a message
 * that says which file and why, with code 0 so cb-iso can prefer it */
static int
cb_file_stream_fail(CbFileStream *self, const gchar *what, int err)
{
	g_autofree gchar *text =
	    g_strdup_printf(_("cannot %s %s: %s"), what, self->path, g_strerror(err));
	iso_msgs_submit(0, text, err, "SORRY", 0);
	return cb_file_stream_errno_to_iso(err);
}

static int
cb_file_stream_open(IsoStream *stream)
{
	CbFileStream *self = stream->data;
	struct stat st;

	if (self->fd >= 0)
		return ISO_FILE_ALREADY_OPENED;
	self->fd = open(self->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (self->fd < 0)
		return cb_file_stream_fail(self, _("open"), errno);
	(void) posix_fadvise(self->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	self->buf = malloc(CB_FILE_STREAM_CHUNK);
	if (self->buf == NULL) {
		close(self->fd);
		self->fd = -1;
		return ISO_OUT_OF_MEM;
	}
	self->buf_len = self->buf_pos = 0;
	self->eof = FALSE;
	/* libisofs pads or cuts a file whose size changed since the tree was
	 * made, and reports it; tell it which way */
	if (fstat(self->fd, &st) == 0 && st.st_size != self->size) {
		g_autofree gchar *text =
		    g_strdup_printf(_("%s changed size while the image was made"), self->path);
		iso_msgs_submit(0, text, 0, "SORRY", 0);
		return st.st_size > self->size ? 2 : 3;
	}
	return 1;
}

static int
cb_file_stream_close(IsoStream *stream)
{
	CbFileStream *self = stream->data;

	if (self->fd < 0)
		return ISO_FILE_NOT_OPENED;
	close(self->fd);
	self->fd = -1;
	g_clear_pointer(&self->buf, free);
	return 1;
}

static off_t
cb_file_stream_get_size(IsoStream *stream)
{
	CbFileStream *self = stream->data;
	return self->size;
}

static gboolean
cb_file_stream_fill(CbFileStream *self, int *rc)
{
	self->buf_len = self->buf_pos = 0;
	while (self->buf_len < CB_FILE_STREAM_CHUNK) {
		ssize_t n =
		    read(self->fd, self->buf + self->buf_len, CB_FILE_STREAM_CHUNK - self->buf_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*rc = cb_file_stream_fail(self, _("read"), errno);
			return FALSE;
		}
		if (n == 0) {
			self->eof = TRUE;
			break;
		}
		self->buf_len += (gsize) n;
	}
	return TRUE;
}

/* delivers count bytes, or fewer only right before the end */
static int
cb_file_stream_read(IsoStream *stream, void *buf, size_t count)
{
	CbFileStream *self = stream->data;
	gsize done = 0;

	if (self->fd < 0)
		return ISO_FILE_NOT_OPENED;
	while (done < count) {
		gsize take;
		int rc = 0;

		if (self->buf_pos == self->buf_len) {
			if (self->eof)
				break;
			if (!cb_file_stream_fill(self, &rc))
				return rc;
			if (self->buf_len == 0)
				break;
		}
		take = MIN(count - done, self->buf_len - self->buf_pos);
		memcpy((guint8 *) buf + done, self->buf + self->buf_pos, take);
		self->buf_pos += take;
		done += take;
	}
	return (int) done;
}

static int
cb_file_stream_is_repeatable(IsoStream *stream)
{
	return 1;
}

static void
cb_file_stream_get_id(IsoStream *stream, unsigned int *fs_id, dev_t *dev_id, ino_t *ino_id)
{
	CbFileStream *self = stream->data;
	*fs_id = cb_file_stream_fs_id;
	*dev_id = self->dev;
	*ino_id = self->ino;
}

static void
cb_file_stream_free(IsoStream *stream)
{
	CbFileStream *self = stream->data;

	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	g_free(self->path);
	g_free(self);
}

static int
cb_file_stream_update_size(IsoStream *stream)
{
	CbFileStream *self = stream->data;
	struct stat st;

	if (stat(self->path, &st) != 0)
		return cb_file_stream_errno_to_iso(errno);
	self->size = st.st_size;
	return 1;
}

static IsoStream *
cb_file_stream_get_input_stream(IsoStream *stream, int flag)
{
	return NULL;
}

static IsoStreamIface cb_file_stream_class = {
	.version = 2,
	.type = "user",
	.open = cb_file_stream_open,
	.close = cb_file_stream_close,
	.get_size = cb_file_stream_get_size,
	.read = cb_file_stream_read,
	.is_repeatable = cb_file_stream_is_repeatable,
	.get_id = cb_file_stream_get_id,
	.free = cb_file_stream_free,
	.update_size = cb_file_stream_update_size,
	.get_input_stream = cb_file_stream_get_input_stream,
};

IsoStream *
cb_file_stream_new(const gchar *path, const struct stat *st)
{
	static gsize id_taken = 0;
	CbFileStream *self;
	IsoStream *stream;

	/* libisofs hands out ids to stream kinds; take one, once */
	if (g_once_init_enter(&id_taken)) {
		cb_file_stream_fs_id = iso_fs_global_id++;
		g_once_init_leave(&id_taken, 1);
	}
	self = g_new0(CbFileStream, 1);
	self->path = g_strdup(path);
	self->size = st->st_size;
	self->dev = st->st_dev;
	self->ino = st->st_ino;
	self->fd = -1;

	/* libisofs frees the IsoStream itself with free() */
	stream = malloc(sizeof(IsoStream));
	if (stream == NULL)
		g_error("out of memory");
	stream->class = &cb_file_stream_class;
	stream->refcount = 1;
	stream->data = self;
	return stream;
}
