/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The a{sv} options any caller on the bus may send with a Manager method
 * (daemon/cb-options.c). The first byte picks the operation, the rest is
 * a serialized a{sv} in its normal form, as GDBus hands a message's
 * arguments over; two file descriptors stand for a message's fd list.
 */
#include "cb-options.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GVariant) raw = NULL;
	g_autoptr(GVariant) options = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(CbJobOptions) parsed = NULL;
	g_autoptr(GError) error = NULL;
	gint handles[2];
	guint8 *copy;
	CbOperation operation;

	if (size < 1)
		return 0;
	operation = (CbOperation) (data[0] % (CB_OPERATION_BLANK + 1));
	/* GVariant wants its serialized data aligned, which libFuzzer's
	 * buffer past the first byte is not; of nothing the copy is NULL,
	 * read as an empty dictionary */
	copy = g_memdup2(data + 1, size - 1);
	raw = g_variant_new_from_data(G_VARIANT_TYPE_VARDICT, copy, size - 1, FALSE, g_free, copy);
	/* a reference of our own, sunk already */
	options = g_variant_get_normal_form(raw);

	handles[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	handles[1] = open("/dev/null", O_RDWR | O_CLOEXEC);
	g_assert_cmpint(handles[0], >=, 0);
	g_assert_cmpint(handles[1], >=, 0);
	fds = g_unix_fd_list_new_from_array(handles, 2);

	parsed = cb_job_options_parse(operation, options, fds, &error);
	if (parsed == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	g_assert_nonnull(parsed->format);
	g_assert_cmpuint(parsed->copies, >=, 1);
	g_assert_cmpuint(parsed->copies, <=, CB_OPTIONS_MAX_COPIES);
	g_assert_nonnull(parsed->iso_options);
	(void) cb_job_options_checksum_in_header(parsed);
	return 0;
}
