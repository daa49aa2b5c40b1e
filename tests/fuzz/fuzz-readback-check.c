/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A disc read back after writing: whatever the drive returns goes
 * through cb-readback-check into cb-iso-check's reading of libisofs' MD5
 * tags. The format here decrypts to the same bytes, so the input is the
 * plain ISO image a disc would hold. Its first two bytes choose the
 * header size and how the stream is cut into chunks, as drives return
 * reads of different lengths.
 */
#include "cb-readback-check.h"

#include <string.h>

#define BLOCK 2048

static gboolean
identity(gpointer cipher, guint64 payload_offset, guint8 *buf, gsize len, GError **error)
{
	return TRUE;
}

static const CbFormatDesc fuzz_format = {
	.name = "fuzz",
	.summary = "no encryption",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GBytes) header = g_bytes_new(NULL, 0);
	g_autoptr(CbFormat) format = NULL;
	g_autoptr(CbReadbackCheck) check = NULL;
	g_autoptr(GError) error = NULL;
	guint64 header_size;
	gsize chunk_blocks;
	gsize len;
	gsize offset = 0;

	if (size < 2)
		return 0;
	header_size = (guint64) (data[0] % 4) * BLOCK;
	chunk_blocks = (gsize) (data[1] % 64) + 1;
	data += 2;
	size -= 2;
	len = size - size % BLOCK;

	format = cb_format_new(&fuzz_format, header, BLOCK, identity, NULL, NULL);
	cb_format_set_decrypt(format, identity);
	check = cb_readback_check_new(format, header_size);
	while (offset < len) {
		gsize n = MIN(chunk_blocks * BLOCK, len - offset);

		if (!cb_readback_check_feed(check, offset, data + offset, n, &error)) {
			g_assert_nonnull(error);
			return 0;
		}
		offset += n;
	}
	if (!cb_readback_check_finish(check, &error))
		g_assert_nonnull(error);
	(void) cb_readback_check_get_tags(check);
	return 0;
}
