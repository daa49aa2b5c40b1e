/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The scripted backend's table, and the calls that only look: grabbing
 * and releasing a drive (ejecting moves its disc out and the next queued
 * one in), the media, reading back, the corrupting test hook. Writing is
 * in cb-scripted-write.c, blanking in cb-scripted-blank.c, media events
 * in cb-scripted-watch.c.
 *
 * Threads: init and shutdown on the main thread; the rest on job and
 * media-query threads, several drives at once. The set of open drives is
 * the only state shared between them.
 */
#include "cb-scripted-private.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static GMutex scripted_lock;
/* directories of the drives open now */
static GHashTable *scripted_open;

static gboolean
cb_scripted_init(GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&scripted_lock);

	if (scripted_open == NULL)
		scripted_open = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return TRUE;
}

static void
cb_scripted_shutdown(void)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&scripted_lock);

	if (scripted_open != NULL && g_hash_table_size(scripted_open) > 0)
		g_warning("scripted backend shut down with %u drives still open",
			  g_hash_table_size(scripted_open));
	g_clear_pointer(&scripted_open, g_hash_table_unref);
}

static CbBurn *
cb_scripted_open(const gchar *device, guint64 stdio_capacity, GError **error)
{
	g_autofree gchar *dir = cb_scripted_tray_dir(device, error);
	CbBurn *self;

	if (dir == NULL)
		return NULL;
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&scripted_lock);

		if (scripted_open == NULL) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED,
					    "the scripted backend has not been initialised");
			return NULL;
		}
		if (g_hash_table_contains(scripted_open, dir)) {
			g_set_error(error, CB_ERROR, CB_ERROR_BUSY,
				    "drive %s is in use by another job", device);
			return NULL;
		}
		g_hash_table_add(scripted_open, g_strdup(dir));
	}
	self = g_new0(CbBurn, 1);
	self->device = g_strdup(device);
	self->dir = g_steal_pointer(&dir);
	self->read_fd = -1;
	cb_scripted_tray_log(self->dir, "open");
	return self;
}

static void
cb_scripted_close(CbBurn *self, gboolean eject)
{
	g_autoptr(GError) error = NULL;

	if (self->read_fd >= 0)
		close(self->read_fd);
	cb_scripted_tray_log(self->dir, eject ? "close eject" : "close");
	/* still ours while the disc changes, so no job sees half of it */
	if (eject && !cb_scripted_tray_eject(self->dir, &error))
		g_warning("ejecting %s: %s", self->device, error->message);
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&scripted_lock);
		g_hash_table_remove(scripted_open, self->dir);
	}
	g_free(self->device);
	g_free(self->dir);
	g_free(self);
}

static const gchar *
cb_scripted_device(CbBurn *self)
{
	return self->device;
}

CbScriptedDisc *
cb_scripted_burn_disc(CbBurn *self, GError **error)
{
	CbScriptedDisc *disc = NULL;

	if (!cb_scripted_tray_load(self->dir, &disc, error))
		return NULL;
	if (disc == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, "no disc in %s", self->device);
	return disc;
}

static CbMediaInfo *
cb_scripted_get_media(CbBurn *self)
{
	g_autoptr(CbScriptedDrive) drive = cb_scripted_drive_load(self->dir);
	g_autoptr(CbScriptedDisc) disc = NULL;
	g_autoptr(GError) error = NULL;
	CbMediaInfo *info = g_new0(CbMediaInfo, 1);

	info->removable = TRUE;
	info->writable_kinds = drive->kinds;
	info->vendor = g_strdup(drive->vendor);
	info->model = g_strdup(drive->model);
	if (!cb_scripted_tray_load(self->dir, &disc, &error)) {
		/* a test's mistake: the warning fails the test when the daemon stops */
		g_warning("%s", error->message);
		info->present = TRUE;
		info->media = g_strdup("");
		info->status = g_strdup("unsuitable");
		info->write_speeds = g_array_new(FALSE, FALSE, sizeof(guint32));
		return info;
	}
	if (disc == NULL) {
		info->media = g_strdup("");
		info->status = g_strdup("none");
		info->write_speeds = g_array_new(FALSE, FALSE, sizeof(guint32));
		return info;
	}
	info->present = TRUE;
	info->media = g_strdup(disc->media);
	info->status = g_strdup(disc->status);
	info->capacity = disc->capacity;
	info->free_bytes = cb_scripted_disc_free_bytes(disc);
	info->write_speeds = g_array_ref(disc->speeds);
	info->erasable = disc->erasable;
	info->overwritable = disc->overwritable;
	info->unformatted = disc->unformatted;
	return info;
}

/* disc.img for reading, if the disc holds bytes: a read of a disc
 * without them fails naming the block */
static void
cb_scripted_open_image(CbBurn *self)
{
	g_autofree gchar *image = cb_scripted_tray_image(self->dir);

	if (self->read_fd < 0)
		self->read_fd = open(image, O_RDONLY | O_CLOEXEC);
}

static gboolean
cb_scripted_read_start(CbBurn *self, GError **error)
{
	g_autoptr(CbScriptedDisc) disc = cb_scripted_burn_disc(self, error);

	if (disc == NULL)
		return FALSE;
	cb_scripted_tray_log(self->dir, "read-start");
	cb_scripted_open_image(self);
	return TRUE;
}

static gboolean
cb_scripted_read(CbBurn *self, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	gsize got = 0;

	cb_scripted_open_image(self);
	while (self->read_fd >= 0 && got < len) {
		ssize_t n = pread(self->read_fd, buf + got, len - got, (off_t) (offset + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (gsize) n;
	}
	if (got == len)
		return TRUE;
	/* the words of libburn's backend, so that the daemon's messages are
	 * tested as users see them */
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
		    "verification failed: cannot read block %" G_GUINT64_FORMAT
		    " of the disc in %s; the disc may be damaged, write the image again on a "
		    "new disc",
		    (offset + got) / CB_SCRIPTED_SECTOR, self->device);
	return FALSE;
}

/* flips the byte at offset of image, which must have one */
static gboolean
cb_scripted_flip(const gchar *image, guint64 offset, GError **error)
{
	int fd = open(image, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	const gchar *why = NULL;
	guint8 byte = 0;
	ssize_t n;

	if (fd < 0) {
		why = g_strerror(errno);
	} else if ((n = pread(fd, &byte, 1, (off_t) offset)) != 1) {
		why = n < 0 ? g_strerror(errno) : "the disc holds no such byte";
	} else {
		byte ^= 0xff;
		if (pwrite(fd, &byte, 1, (off_t) offset) != 1)
			why = g_strerror(errno);
	}
	if (fd >= 0)
		close(fd);
	if (why == NULL)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
		    "test hook: cannot corrupt byte %" G_GUINT64_FORMAT " of %s: %s", offset, image,
		    why);
	return FALSE;
}

static gboolean
cb_scripted_corrupt(const gchar *device, guint64 offset, GError **error)
{
	g_autoptr(GError) not_scripted = NULL;
	g_autofree gchar *dir = cb_scripted_tray_dir(device, &not_scripted);
	g_autofree gchar *image = NULL;

	if (dir == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "the test hook that corrupts a written disc acts only on scripted "
			    "drives: %s",
			    not_scripted->message);
		return FALSE;
	}
	image = cb_scripted_tray_image(dir);
	if (!cb_scripted_flip(image, offset, error))
		return FALSE;
	cb_scripted_tray_log(dir, "corrupt %" G_GUINT64_FORMAT, offset);
	return TRUE;
}

const CbDriveBackend cb_scripted_backend = {
	.name = "scripted",
	.init = cb_scripted_init,
	.shutdown = cb_scripted_shutdown,
	.open = cb_scripted_open,
	.close = cb_scripted_close,
	.device = cb_scripted_device,
	.get_media = cb_scripted_get_media,
	.write = cb_scripted_write,
	.blank = cb_scripted_blank,
	.read_start = cb_scripted_read_start,
	.read = cb_scripted_read,
	.corrupt = cb_scripted_corrupt,
	.watch = cb_scripted_watch,
	.unwatch = cb_scripted_unwatch,
};
