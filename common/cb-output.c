/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-output.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct _CbOutput {
	gchar *path; /* as the user named it */
	gchar *dir;
	int fd;
	gboolean is_stdout;
	gboolean in_place; /* a device or pipe written directly */
	gchar *temp_path;  /* named temporary when O_TMPFILE is unsupported */
	gboolean committed;
};

static gboolean
cb_output_check_space(const gchar *dir, guint64 needed, GError **error)
{
	struct statvfs vfs;
	guint64 avail;

	if (statvfs(dir, &vfs) != 0)
		return TRUE; /* the writes will tell */
	avail = (guint64) vfs.f_bavail * vfs.f_frsize;
	if (avail < needed) {
		g_autofree gchar *need_str = g_format_size(needed);
		g_autofree gchar *avail_str = g_format_size(avail);
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SPACE,
			    _("not enough space in %s: the image needs %s, only %s are free"), dir,
			    need_str, avail_str);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_output_fail_create(CbOutput *self, int err, GError **error)
{
	g_set_error(error, CB_ERROR, err == ENOSPC ? CB_ERROR_NO_SPACE : CB_ERROR_OUTPUT,
		    _("cannot create %s: %s"), self->path, g_strerror(err));
	return FALSE;
}

static gboolean
cb_output_create_unnamed(CbOutput *self, GError **error)
{
	mode_t mask = umask(0);
	umask(mask);

	self->fd = open(self->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666 & ~mask);
	if (self->fd >= 0)
		return TRUE;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return cb_output_fail_create(self, errno, error);

	/* file systems without O_TMPFILE: a hidden name beside the target */
	{
		g_autofree gchar *base = g_path_get_basename(self->path);
		g_autofree gchar *tmpl = g_strdup_printf(".%s.XXXXXX", base);
		self->temp_path = g_build_filename(self->dir, tmpl, NULL);
		self->fd = g_mkstemp_full(self->temp_path, O_RDWR | O_CLOEXEC, 0666 & ~mask);
		if (self->fd < 0) {
			g_clear_pointer(&self->temp_path, g_free);
			return cb_output_fail_create(self, errno, error);
		}
	}
	return TRUE;
}

gboolean
cb_output_check(const gchar *path, gboolean force, GError **error)
{
	struct stat st;
	g_autofree gchar *dir = NULL;

	if (g_strcmp0(path, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_OUTPUT,
					    _("standard output is a terminal; redirect it to a "
					      "file or a pipe to write the image there"));
			return FALSE;
		}
		return TRUE;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("%s is a directory; name the image file to write"), path);
			return FALSE;
		}
		if (!force) {
			g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("%s already exists; use --force to replace it"), path);
			return FALSE;
		}
		if (!S_ISREG(st.st_mode))
			return TRUE;
	} else if (errno != ENOENT) {
		g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT, _("cannot create %s: %s"), path,
			    g_strerror(errno));
		return FALSE;
	}
	dir = g_path_get_dirname(path);
	if (access(dir, W_OK | X_OK) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT, _("cannot write in %s: %s"), dir,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

CbOutput *
cb_output_open(const gchar *path, gboolean force, guint64 expected_size, GError **error)
{
	g_autoptr(CbOutput) self = g_new0(CbOutput, 1);
	struct stat st;

	self->fd = -1;
	self->path = g_strdup(path);
	if (g_strcmp0(path, "-") == 0) {
		g_free(self->path);
		self->path = g_strdup(_("standard output"));
		self->is_stdout = TRUE;
		self->fd = STDOUT_FILENO;
		return g_steal_pointer(&self);
	}
	self->dir = g_path_get_dirname(path);
	if (!cb_output_check(path, force, error))
		return NULL;

	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			/* a device or FIFO the user chose to write to */
			self->in_place = TRUE;
			self->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
			if (self->fd < 0) {
				cb_output_fail_create(self, errno, error);
				return NULL;
			}
			return g_steal_pointer(&self);
		}
	}
	if (!cb_output_check_space(self->dir, expected_size, error))
		return NULL;
	if (!cb_output_create_unnamed(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

gboolean
cb_output_write_fd(int fd, const gchar *what, const guint8 *buf, gsize len, GError **error)
{
	return cb_output_write_fd_waiting(fd, what, buf, len, NULL, error);
}

gboolean
cb_output_write_fd_waiting(
    int fd, const gchar *what, const guint8 *buf, gsize len, const CbFdWait *wait, GError **error)
{
	/* again on every call: cheap, and no caller can forget it */
	if (!cb_fd_wait_prepare(wait, fd, NULL, error))
		return FALSE;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN) {
				if (!cb_fd_wait_for(wait, fd, POLLOUT, CB_ERROR_OUTPUT, what,
						    error))
					return FALSE;
				continue;
			}
			if (err == ENOSPC || err == EDQUOT)
				g_set_error(error, CB_ERROR, CB_ERROR_NO_SPACE,
					    _("out of space writing %s: %s"), what,
					    g_strerror(err));
			else
				g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT,
					    _("cannot write %s: %s"), what, g_strerror(err));
			return FALSE;
		}
		buf += n;
		len -= (gsize) n;
	}
	return TRUE;
}

gboolean
cb_output_write(CbOutput *self, const guint8 *buf, gsize len, GError **error)
{
	return cb_output_write_fd(self->fd, self->path, buf, len, error);
}

/* links the unnamed file in under a fresh hidden name */
static gboolean
cb_output_link_temp(CbOutput *self, GError **error)
{
	g_autofree gchar *proc = g_strdup_printf("/proc/self/fd/%d", self->fd);
	g_autofree gchar *base = g_path_get_basename(self->path);

	for (guint attempt = 0; attempt < 100; attempt++) {
		g_autofree gchar *name = g_strdup_printf(".%s.%08x", base, g_random_int());
		g_autofree gchar *candidate = g_build_filename(self->dir, name, NULL);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, candidate, AT_SYMLINK_FOLLOW) == 0) {
			self->temp_path = g_steal_pointer(&candidate);
			return TRUE;
		}
		if (errno != EEXIST)
			break;
	}
	g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT, _("cannot create %s: %s"), self->path,
		    g_strerror(errno));
	return FALSE;
}

gboolean
cb_output_rewrite_start(CbOutput *self, const guint8 *buf, gsize len, GError **error)
{
	gsize done = 0;

	if (self->is_stdout) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("standard output cannot be rewritten at its start"));
		return FALSE;
	}
	while (done < len) {
		ssize_t n = pwrite(self->fd, buf + done, len - done, (off_t) done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("cannot rewrite the start of %s: %s"), self->path,
				    g_strerror(errno));
			return FALSE;
		}
		done += (gsize) n;
	}
	return TRUE;
}

gchar *
cb_output_checksum(CbOutput *self, GChecksumType type, GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(type);
	g_autofree guint8 *buf = NULL;
	off_t offset = 0;

	if (self->is_stdout) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_OUTPUT,
				    _("standard output cannot be read back"));
		return NULL;
	}
	buf = g_malloc(1024 * 1024);
	for (;;) {
		ssize_t n = pread(self->fd, buf, 1024 * 1024, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT, _("cannot read back %s: %s"),
				    self->path, g_strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		g_checksum_update(checksum, buf, (gsize) n);
		offset += n;
	}
	return g_strdup(g_checksum_get_string(checksum));
}

gboolean
cb_output_commit(CbOutput *self, GError **error)
{
	if (self->is_stdout || self->in_place) {
		self->committed = TRUE;
		if (self->in_place && close(self->fd) != 0) {
			self->fd = -1;
			g_set_error(error, CB_ERROR, CB_ERROR_OUTPUT, _("cannot finish %s: %s"),
				    self->path, g_strerror(errno));
			return FALSE;
		}
		if (self->in_place)
			self->fd = -1;
		return TRUE;
	}
	if (self->temp_path == NULL) {
		g_autofree gchar *proc = g_strdup_printf("/proc/self/fd/%d", self->fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, self->path, AT_SYMLINK_FOLLOW) == 0) {
			self->committed = TRUE;
			return TRUE;
		}
		if (errno != EEXIST)
			return cb_output_fail_create(self, errno, error);
		/* replacing with --force: link beside it, then rename over */
		if (!cb_output_link_temp(self, error))
			return FALSE;
	}
	/* the old image goes away with the rename: the new one must be on disk
	 * first, or a crash could leave neither */
	if (access(self->path, F_OK) == 0 && fdatasync(self->fd) != 0) {
		int err = errno;
		g_set_error(error, CB_ERROR,
			    err == ENOSPC || err == EDQUOT ? CB_ERROR_NO_SPACE : CB_ERROR_OUTPUT,
			    _("cannot finish %s: %s"), self->path, g_strerror(err));
		return FALSE;
	}
	if (rename(self->temp_path, self->path) != 0)
		return cb_output_fail_create(self, errno, error);
	g_clear_pointer(&self->temp_path, g_free);
	self->committed = TRUE;
	return TRUE;
}

void
cb_output_free(CbOutput *self)
{
	if (self == NULL)
		return;
	if (self->temp_path != NULL && !self->committed)
		unlink(self->temp_path);
	if (self->fd >= 0 && !self->is_stdout)
		close(self->fd);
	g_free(self->temp_path);
	g_free(self->path);
	g_free(self->dir);
	g_free(self);
}
