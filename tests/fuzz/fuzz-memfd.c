/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "fuzz-memfd.h"

#include <sys/mman.h>
#include <unistd.h>

gboolean
cb_fuzz_file_open(CbFuzzFile *file, const guint8 *data, gsize size, gsize min_size)
{
	gsize done = 0;

	file->fd = memfd_create("cb-fuzz", MFD_CLOEXEC);
	file->path = NULL;
	if (file->fd < 0)
		return FALSE;
	while (done < size) {
		ssize_t n = write(file->fd, data + done, size - done);
		if (n <= 0)
			return FALSE;
		done += (gsize) n;
	}
	if (size < min_size && ftruncate(file->fd, (off_t) min_size) != 0)
		return FALSE;
	file->path = g_strdup_printf("/proc/self/fd/%d", file->fd);
	return TRUE;
}

void
cb_fuzz_file_clear(CbFuzzFile *file)
{
	if (file->fd >= 0)
		close(file->fd);
	file->fd = -1;
	g_clear_pointer(&file->path, g_free);
}
