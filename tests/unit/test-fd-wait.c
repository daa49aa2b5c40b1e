/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb_fd_wait_for() on pipes whose other end stays open and idle: what a
 * hostile client does with the fds it hands the service */
#include "cb-error.h"
#include "cb-fd-source.h"
#include "cb-fd-wait.h"
#include "cb-output.h"
#include "cb-passphrase.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

typedef struct {
	GCancellable *cancellable;
	guint ms;
} Canceller;

static gpointer
canceller_thread(gpointer data)
{
	Canceller *c = data;
	g_usleep(c->ms * 1000);
	g_cancellable_cancel(c->cancellable);
	return NULL;
}

static void
test_data_ends_the_wait(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFdWait wait = { .cancellable = cancellable, .stall_s = 5 };
	g_autoptr(GError) error = NULL;
	int fds[2];

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
	g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
	g_assert_true(cb_fd_wait_for(&wait, fds[0], POLLIN, CB_ERROR_SOURCE, "a pipe", &error));
	g_assert_no_error(error);
	close(fds[0]);
	close(fds[1]);
}

static void
test_cancel_ends_the_wait(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFdWait wait = { .cancellable = cancellable, .stall_s = 0 };
	Canceller c = { .cancellable = cancellable, .ms = 200 };
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	GThread *thread;
	int fds[2];

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
	thread = g_thread_new("canceller", canceller_thread, &c);
	g_assert_false(cb_fd_wait_for(&wait, fds[0], POLLIN, CB_ERROR_SOURCE, "a pipe", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
	g_thread_join(thread);
	close(fds[0]);
	close(fds[1]);
}

static void
test_stall_ends_the_wait(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFdWait wait = { .cancellable = cancellable, .stall_s = 1 };
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();
	int fds[2];

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
	g_assert_false(cb_fd_wait_for(&wait, fds[0], POLLIN, CB_ERROR_SOURCE, "a pipe", &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_SOURCE);
	g_assert_nonnull(strstr(error->message, "a pipe"));
	g_assert_cmpint(g_get_monotonic_time() - start, >=, G_USEC_PER_SEC);
	close(fds[0]);
	close(fds[1]);
}

/* the three readers and writers of client fds, each stuck on a full or
 * empty pipe until cancelled */
static void
test_fd_source_cancelled(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFdWait wait = { .cancellable = cancellable, .stall_s = 0 };
	Canceller c = { .cancellable = cancellable, .ms = 200 };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbFdSource) source = NULL;
	GThread *thread;
	int fds[2];

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
	thread = g_thread_new("canceller", canceller_thread, &c);
	source = cb_fd_source_new_waiting(fds[0], 0, &wait, &error);
	g_assert_null(source);
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_thread_join(thread);
	/* the flags the client had are back */
	g_assert_cmpint(fcntl(fds[0], F_GETFL) & O_NONBLOCK, ==, 0);
	close(fds[0]);
	close(fds[1]);
}

static void
test_passphrase_cancelled(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFdWait wait = { .cancellable = cancellable, .stall_s = 0 };
	Canceller c = { .cancellable = cancellable, .ms = 200 };
	g_autoptr(GError) error = NULL;
	g_autoptr(CbSecret) secret = NULL;
	GThread *thread;
	int fds[2];

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
	/* half a line, then nothing */
	g_assert_cmpint(write(fds[1], "secr", 4), ==, 4);
	thread = g_thread_new("canceller", canceller_thread, &c);
	secret = cb_passphrase_read_fd_waiting(fds[0], &wait, &error);
	g_assert_null(secret);
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_thread_join(thread);
	g_assert_cmpint(fcntl(fds[0], F_GETFL) & O_NONBLOCK, ==, 0);
	close(fds[0]);
	close(fds[1]);
}

static void
test_output_cancelled(void)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	CbFdWait wait = { .cancellable = cancellable, .stall_s = 0 };
	Canceller c = { .cancellable = cancellable, .ms = 200 };
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *buf = g_malloc0(1024 * 1024);
	GThread *thread;
	int fds[2];

	g_assert_true(g_unix_open_pipe(fds, FD_CLOEXEC, NULL));
	thread = g_thread_new("canceller", canceller_thread, &c);
	/* more than a pipe holds, and nobody reads */
	g_assert_false(
	    cb_output_write_fd_waiting(fds[1], "the image", buf, 1024 * 1024, &wait, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_thread_join(thread);
	close(fds[0]);
	close(fds[1]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fd-wait/data", test_data_ends_the_wait);
	g_test_add_func("/fd-wait/cancel", test_cancel_ends_the_wait);
	g_test_add_func("/fd-wait/stall", test_stall_ends_the_wait);
	g_test_add_func("/fd-wait/fd-source", test_fd_source_cancelled);
	g_test_add_func("/fd-wait/passphrase", test_passphrase_cancelled);
	g_test_add_func("/fd-wait/output", test_output_cancelled);
	return g_test_run();
}
