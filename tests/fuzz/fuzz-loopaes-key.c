/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A loop-AES key file's clear text, as gpg --decrypt gives it from a key
 * block anyone could have written: cut into key lines, hashed into the
 * 64 AES keys and the IV seed (cb-md5-block), then one sector each way.
 */
#include "cb-loopaes.h"

#include <string.h>

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(CbSecret) key_text = NULL;
	g_autoptr(CbLoopAes) loopaes = NULL;
	g_autoptr(GError) error = NULL;
	guint8 sector[9 * 512]; /* 8 lanes of cb_md5_block_lanes() and one more */
	guint8 plain[sizeof sector];

	/* a key file is 65 lines of some 120 bytes; far larger is not one */
	if (size > 64 * 1024)
		return 0;
	key_text = cb_secret_new(size, &error);
	if (key_text == NULL)
		return 0;
	for (gsize i = 0; i < size; i++)
		g_assert_true(cb_secret_append(key_text, data[i]));
	loopaes = cb_loopaes_new(key_text, &error);
	if (loopaes == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	for (gsize i = 0; i < sizeof plain; i++)
		plain[i] = (guint8) i;
	memcpy(sector, plain, sizeof sector);
	g_assert_true(cb_loopaes_encrypt(loopaes, 63, sector, sizeof sector, &error));
	g_assert_true(cb_loopaes_decrypt(loopaes, 63, sector, sizeof sector, &error));
	g_assert_cmpmem(sector, sizeof sector, plain, sizeof plain);
	return 0;
}
