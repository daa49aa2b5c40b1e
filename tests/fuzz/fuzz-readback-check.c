/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A disc read back after writing: whatever the drive returns goes
 * through cb-readback-check into cb-iso-check's reading of libisofs' MD5
 * tags. The format here decrypts to the same bytes, so the input is the
 * plain ISO image a disc would hold. Its first two bytes choose the
 * header size, how the stream is cut into chunks (drives return reads of
 * different lengths) and whether the tags' MD5s are made right first.
 */
#include "cb-readback-check.h"

#include <gcrypt.h>
#include <stdio.h>
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

#define TAG_PREFIX "libisofs_"
#define HEX_MD5 32

static void
md5_hex(const guint8 *buf, gsize len, gchar *hex)
{
	guint8 digest[16];

	gcry_md_hash_buffer(GCRY_MD_MD5, digest, buf, len);
	for (guint i = 0; i < sizeof digest; i++) {
		static const gchar digits[] = "0123456789abcdef";
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
}

/* a mutated image fails its tags' MD5s at once; with them recomputed, as
 * libisofs' doc/checksums.txt defines them (md5= over the tag's range,
 * self= over the tag's text before " self="), the fuzzer gets to explore
 * how the tags point at each other */
static void
fix_tags(guint8 *iso, gsize blocks)
{
	for (gsize b = 0; b < blocks; b++) {
		gchar text[BLOCK + 1];
		guint8 *block = iso + b * BLOCK;
		const gchar *range, *md5, *self;
		unsigned int start = 0, count = 0;

		if (memcmp(block, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
			continue;
		memcpy(text, block, BLOCK);
		text[BLOCK] = '\0';
		range = strstr(text, " range_start=");
		md5 = strstr(text, " md5=");
		self = strstr(text, " self=");
		if (range == NULL || md5 == NULL || self == NULL || self < md5 ||
		    self - md5 < (ptrdiff_t) strlen(" md5=") + HEX_MD5 ||
		    strlen(self) < strlen(" self=") + HEX_MD5 ||
		    sscanf(range, " range_start=%u range_size=%u", &start, &count) != 2 ||
		    (guint64) start + count > b)
			continue;
		md5_hex(iso + (gsize) start * BLOCK, (gsize) count * BLOCK,
			(gchar *) block + (md5 - text) + strlen(" md5="));
		md5_hex(block, (gsize) (self - text),
			(gchar *) block + (self - text) + strlen(" self="));
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GBytes) header = g_bytes_new(NULL, 0);
	g_autoptr(CbFormat) format = NULL;
	g_autoptr(CbReadbackCheck) check = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *image = NULL;
	guint64 header_size;
	gboolean fix;
	gsize chunk_blocks;
	gsize len;
	gsize offset = 0;

	if (size < 2)
		return 0;
	header_size = (guint64) (data[0] % 4) * BLOCK;
	fix = (data[0] & 4) != 0;
	chunk_blocks = (gsize) (data[1] % 64) + 1;
	data += 2;
	size -= 2;
	len = size - size % BLOCK;
	image = g_memdup2(data, len);
	if (fix && len > header_size)
		fix_tags(image + header_size, (len - header_size) / BLOCK);

	format = cb_format_new(&fuzz_format, header, BLOCK, identity, NULL, NULL);
	cb_format_set_decrypt(format, identity);
	check = cb_readback_check_new(format, header_size);
	while (offset < len) {
		gsize n = MIN(chunk_blocks * BLOCK, len - offset);

		if (!cb_readback_check_feed(check, offset, image + offset, n, &error)) {
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
