/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb_derive_format(): a key derivation the caller walks away from */
#include "cb-derive.h"
#include "cb-error.h"

#include <string.h>

/* pbkdf2 iterations that take a few seconds here: long enough to cancel
 * in the middle, short enough to wait for the abandoned thread */
#define SLOW_PBKDF2 1500000

static CbSecret *
passphrase(const gchar *text)
{
	CbSecret *s = cb_secret_new(strlen(text), NULL);
	for (const gchar *p = text; *p; p++)
		cb_secret_append(s, (guint8) *p);
	return s;
}

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
wait_until_none_run(void)
{
	gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

	while (cb_derive_running() > 0 && g_get_monotonic_time() < deadline)
		g_usleep(50 * 1000);
	g_assert_cmpuint(cb_derive_running(), ==, 0);
}

static void
test_derive_finishes(void)
{
	g_autoptr(CbSecret) pass = passphrase("unit test passphrase");
	g_autoptr(CbMetadata) meta = cb_metadata_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(CbFormat) format = NULL;
	CbFormatParams params = { .passphrase = pass,
				  .metadata = meta,
				  .pbkdf_iterations = 4,
				  .pbkdf_memory_kb = 32768 };

	format = cb_derive_format(cb_format_lookup("luks2", NULL), &params, cancellable, &error);
	g_assert_no_error(error);
	g_assert_nonnull(format);
	g_assert_cmpuint(g_bytes_get_size(cb_format_get_header(format)), ==, 1024 * 1024);
	g_assert_cmpuint(cb_derive_running(), ==, 0);
}

static void
test_derive_fails_as_create_does(void)
{
	g_autoptr(CbSecret) pass = passphrase("unit test passphrase");
	g_autoptr(GError) error = NULL;
	/* below libcryptsetup's least pbkdf2 count */
	CbFormatParams params = { .passphrase = pass, .pbkdf_iterations = 10 };

	g_assert_null(cb_derive_format(cb_format_lookup("luks1", NULL), &params, NULL, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CRYPTO);
}

static void
test_derive_abandoned_on_cancel(void)
{
	g_autoptr(CbSecret) pass = passphrase("unit test passphrase");
	g_autoptr(CbMetadata) meta = cb_metadata_new();
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	CbFormatParams params = { .passphrase = pass,
				  .metadata = meta,
				  .pbkdf_iterations = SLOW_PBKDF2 };
	Canceller c = { .cancellable = cancellable, .ms = 300 };
	GThread *thread = g_thread_new("canceller", canceller_thread, &c);
	gint64 start = g_get_monotonic_time();

	g_assert_null(
	    cb_derive_format(cb_format_lookup("luks1", NULL), &params, cancellable, &error));
	g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
	g_thread_join(thread);
	/* the caller's own copies go now, the derivation keeps its own */
	g_clear_pointer(&pass, cb_secret_free);
	g_clear_pointer(&meta, cb_metadata_free);
	g_assert_cmpuint(cb_derive_running(), ==, 1);
	wait_until_none_run();
}

/* CB_DERIVE_MAX_RUNNING abandoned derivations hold the next one back,
 * which its own cancellable still ends */
static void
test_derive_waits_for_a_turn(void)
{
	g_autoptr(CbSecret) pass = passphrase("unit test passphrase");
	g_autoptr(GError) error = NULL;
	CbFormatParams params = { .passphrase = pass, .pbkdf_iterations = SLOW_PBKDF2 };
	const CbFormatDesc *luks1 = cb_format_lookup("luks1", NULL);

	for (guint i = 0; i < CB_DERIVE_MAX_RUNNING; i++) {
		g_autoptr(GCancellable) cancellable = g_cancellable_new();
		Canceller c = { .cancellable = cancellable, .ms = 100 };
		GThread *thread = g_thread_new("canceller", canceller_thread, &c);

		g_assert_null(cb_derive_format(luks1, &params, cancellable, NULL));
		g_thread_join(thread);
	}
	g_assert_cmpuint(cb_derive_running(), ==, CB_DERIVE_MAX_RUNNING);
	{
		g_autoptr(GCancellable) cancellable = g_cancellable_new();
		Canceller c = { .cancellable = cancellable, .ms = 200 };
		GThread *thread = g_thread_new("canceller", canceller_thread, &c);
		gint64 start = g_get_monotonic_time();

		g_assert_null(cb_derive_format(luks1, &params, cancellable, &error));
		g_assert_error(error, CB_ERROR, CB_ERROR_CANCELLED);
		g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
		g_thread_join(thread);
	}
	g_assert_cmpuint(cb_derive_running(), ==, CB_DERIVE_MAX_RUNNING);
	wait_until_none_run();
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/derive/finishes", test_derive_finishes);
	g_test_add_func("/derive/fails", test_derive_fails_as_create_does);
	g_test_add_func("/derive/abandoned", test_derive_abandoned_on_cancel);
	g_test_add_func("/derive/turn", test_derive_waits_for_a_turn);
	return g_test_run();
}
