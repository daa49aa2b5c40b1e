/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An image stream handed over a pipe (burn-image -, BurnImage with no
 * size): the size comes from the ISO 9660 primary volume descriptor the
 * source peeks at, then the stream is read to its end as the pipeline
 * would, waited for in poll() as the service waits for a client's fd.
 */
#include "cb-fd-source.h"

#include <fcntl.h>
#include <unistd.h>

/* what Linux lets an unprivileged process make a pipe hold
 * (/proc/sys/fs/pipe-max-size): the whole input is written before the
 * source reads, so the harness needs no writer thread */
#define PIPE_MAX (1024 * 1024)

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	/* as the service waits for a client's stream */
	const CbFdWait wait = { .cancellable = NULL, .stall_s = CB_FD_WAIT_STALL_S };
	g_autoptr(CbFdSource) source = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *buf = NULL;
	int fds[2];
	gsize done = 0;
	guint64 total = 0;

	if (size > PIPE_MAX || pipe2(fds, O_CLOEXEC) != 0)
		return 0;
	if (fcntl(fds[1], F_SETPIPE_SZ, PIPE_MAX) < 0 && size > 65536) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	while (done < size) {
		ssize_t n = write(fds[1], data + done, size - done);
		g_assert_cmpint(n, >, 0);
		done += (gsize) n;
	}
	close(fds[1]);

	source = cb_fd_source_new_waiting(fds[0], 0, &wait, &error);
	if (source == NULL) {
		g_assert_nonnull(error);
		close(fds[0]);
		return 0;
	}
	g_assert_cmpuint(cb_fd_source_get_size(source) % 2048, ==, 0);
	buf = g_malloc(64 * 1024);
	for (;;) {
		gssize n = cb_fd_source_read(source, buf, 64 * 1024, &error);
		if (n < 0) {
			g_assert_nonnull(error);
			break;
		}
		if (n == 0) {
			/* a stream that ends without an error gave all it
			 * announced, padded to whole sectors */
			g_assert_cmpuint(total, ==, cb_fd_source_get_size(source));
			break;
		}
		total += (guint64) n;
		g_assert_cmpuint(total, <=, cb_fd_source_get_size(source));
	}
	g_clear_pointer(&source, cb_fd_source_free);
	close(fds[0]);
	return 0;
}
