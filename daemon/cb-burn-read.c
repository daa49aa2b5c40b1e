/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * libburn's side of reading a written disc back (cb-burn-verify.c does
 * the comparing for every backend), and the test hook that spoils what a
 * test drive wrote.
 *
 * Threads: a job's worker thread.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - burn_read_data() reads a stdio drive's file too, so test drives verify
 *   as discs do. It wants a 2048-aligned address, works through its own
 *   64 KiB buffer, and on a read error retries block by block before it
 *   returns 0 with the count of good bytes read.
 * - It reads without burner_lock, as a write's status polling does: it
 *   touches only the drive's own state, and the message queue has its own
 *   lock.
 * - A stdio drive's writer fsync()s the file when it ends ("syncing cache
 *   (stdio fsync)"), so its pages are clean and can be dropped.
 */

#include "cb-burner-private.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a drive that has just been grabbed again may need a moment to see its
 * disc; lock taken */
static gboolean
cb_burn_check_readable(CbBurn *self, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);

	if (!burner_status_is_present(cb_burn_disc_status(self))) {
		burner_discard_messages();
		g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA,
			    _("the disc left %s before it could be read back to verify it"),
			    self->device);
		return FALSE;
	}
	return TRUE;
}

/* a test drive reads back from its disk, as a drive reads the disc, and
 * not from the page cache that still holds what was just written */
static void
cb_burn_drop_cache(CbBurn *self)
{
	int fd;

	if (!self->is_stdio)
		return;
	fd = open(self->device + strlen("stdio:"), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	/* only clean pages can go */
	if (fdatasync(fd) == 0)
		(void) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

gboolean
cb_libburn_read(CbBurn *self, guint64 offset, guint8 *buf, gsize len, GError **error)
{
	off_t got = 0;
	g_autofree gchar *block = NULL;
	g_autofree gchar *what = NULL;

	if (burn_read_data(self->drive, (off_t) offset, (char *) buf, (off_t) len, &got, 0) > 0 &&
	    (gsize) got == len)
		return TRUE;
	/* the good bytes it counts end where the bad block starts */
	block = g_strdup_printf("%" G_GUINT64_FORMAT,
				(offset + (guint64) MAX(got, 0)) / CB_BURN_SECTOR);
	what = g_strdup_printf(_("verification failed: cannot read block %s of the disc in %s; "
				 "the disc may be damaged, write the image again on a new disc"),
			       block, self->device);
	burner_set_error(error, CB_ERROR_FAILED, what);
	return FALSE;
}

gboolean
cb_libburn_corrupt(const gchar *device, guint64 offset, GError **error)
{
	const gchar *path;
	struct stat st;
	guint8 byte = 0;
	int fd;
	gboolean ok;

	if (!g_str_has_prefix(device, "stdio:")) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("the test hook that corrupts a written disc acts only on test "
			      "drives, not on %s"),
			    device);
		return FALSE;
	}
	path = device + strlen("stdio:");
	/* the test drive's own file, named by root on the command line */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (guint64) st.st_size <= offset) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("test hook: cannot corrupt byte %llu of %s: %s"),
			    (unsigned long long) offset, path,
			    fd < 0 ? g_strerror(errno) : _("no such byte"));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	ok = pread(fd, &byte, 1, (off_t) offset) == 1;
	byte ^= 0xff;
	ok = ok && pwrite(fd, &byte, 1, (off_t) offset) == 1;
	if (!ok)
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("test hook: cannot corrupt byte %llu of %s: %s"),
			    (unsigned long long) offset, path, g_strerror(errno));
	else
		g_message("test hook: flipped byte %" G_GUINT64_FORMAT " of %s", offset, path);
	close(fd);
	return ok;
}

/* the disc is there to read, and a test drive's file is read from disk */
gboolean
cb_libburn_read_start(CbBurn *self, GError **error)
{
	if (!cb_burn_check_readable(self, error))
		return FALSE;
	cb_burn_drop_cache(self);
	return TRUE;
}
