/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What `cryptburn info` and `verify` read without a passphrase: the input
 * is the start of an image, probed as LUKS2 (its cryptburn token's JSON),
 * LUKS1 and loop-AES (the armored key block's comments).
 */
#include "cb-format.h"

#include "fuzz-memfd.h"

#include <gcrypt.h>
#include <string.h>

/* LUKS2's binary header (cryptsetup's luks2_disk_hdr): magic, be64 size of
 * binary header plus JSON area, checksum algorithm and the checksum over
 * those bytes with the checksum field zeroed; a second copy follows at
 * hdr_size */
#define LUKS2_MAGIC_LEN 6
#define LUKS2_HDR_SIZE_OFFSET 8
#define LUKS2_CSUM_ALG_OFFSET 72
#define LUKS2_CSUM_OFFSET 448
#define LUKS2_CSUM_LEN 64
#define LUKS2_BIN_SIZE 4096

static guint64
be64_at(const guint8 *p)
{
	guint64 v;
	memcpy(&v, p, sizeof v);
	return GUINT64_FROM_BE(v);
}

/* a mutated JSON area would fail its checksum and never reach the token
 * parser; recomputing it lets the fuzzer explore the JSON itself */
static void
luks2_fix_checksum(guint8 *buf, gsize size, gsize at)
{
	static const char *const magics[] = { "LUKS\xba\xbe", "SKUL\xba\xbe" };
	guint64 hdr_size;

	if (at + LUKS2_BIN_SIZE > size)
		return;
	if (memcmp(buf + at, magics[0], LUKS2_MAGIC_LEN) != 0 &&
	    memcmp(buf + at, magics[1], LUKS2_MAGIC_LEN) != 0)
		return;
	if (strncmp((const char *) buf + at + LUKS2_CSUM_ALG_OFFSET, "sha256", 7) != 0)
		return;
	hdr_size = be64_at(buf + at + LUKS2_HDR_SIZE_OFFSET);
	if (hdr_size < LUKS2_BIN_SIZE || hdr_size > size - at)
		return;
	memset(buf + at + LUKS2_CSUM_OFFSET, 0, LUKS2_CSUM_LEN);
	gcry_md_hash_buffer(GCRY_MD_SHA256, buf + at + LUKS2_CSUM_OFFSET, buf + at,
			    (size_t) hdr_size);
	if (at == 0)
		luks2_fix_checksum(buf, size, (gsize) hdr_size);
}

/* libcryptsetup refuses a header on a device smaller than its keyslot
 * area (a LUKS1 data offset is 2 MiB), so a seed need only be a header:
 * the rest is zeros. Not for loop-AES, which takes a file shorter than
 * its key area for a key file. */
#define LUKS_DEVICE_SIZE (4 * 1024 * 1024)

static gsize
luks_device_size(const guint8 *buf, gsize size)
{
	if (size >= LUKS2_MAGIC_LEN && (memcmp(buf, "LUKS\xba\xbe", LUKS2_MAGIC_LEN) == 0 ||
					memcmp(buf, "SKUL\xba\xbe", LUKS2_MAGIC_LEN) == 0))
		return LUKS_DEVICE_SIZE;
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autofree guint8 *image = g_memdup2(data, size);
	g_auto(CbFuzzFile) file = { .fd = -1 };
	g_autoptr(CbImageInfo) info = NULL;
	g_autoptr(GError) error = NULL;

	luks2_fix_checksum(image, size, 0);
	if (!cb_fuzz_file_open(&file, image, size, luks_device_size(image, size)))
		return 0;
	info = cb_image_info_read(file.path, &error);
	if (info == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	/* what info prints */
	if (info->metadata != NULL) {
		g_autofree gchar *created = NULL;
		g_autofree gchar *checksum = cb_metadata_format_checksum(info->metadata);

		if (info->metadata->created != NULL)
			created = cb_metadata_format_created(info->metadata);
	}
	return 0;
}
