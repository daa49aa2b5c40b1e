/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The bare MD5 compression function of RFC 1321 (section 3.4): one 64-byte
 * block folded into a four-word state, with no padding and no length.
 * loop-AES multi-key-v3 starts its IV hash from a state that already holds
 * a key block and pads the rest as if that block were not there, which no
 * hash library can be asked to do.
 *
 * The words are numbers, not bytes: a caller hashing bytes converts each
 * little-endian group of four with GUINT32_FROM_LE (as MD5 reads them), and
 * writes a digest out with GUINT32_TO_LE.
 */
#define CB_MD5_INIT                                                                                \
	{                                                                                          \
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476                                     \
	}

void
cb_md5_block(guint32 state[4], const guint32 block[16]);

/* how many independent blocks cb_md5_block_lanes() takes at once */
#define CB_MD5_LANES 8

/* CB_MD5_LANES unrelated MD5 states each fed one block, lane by lane:
 * lane l's state is state[0..3][l], its block block[0..15][l] */
void
cb_md5_block_lanes(guint32 state[4][CB_MD5_LANES], const guint32 block[16][CB_MD5_LANES]);

G_END_DECLS
