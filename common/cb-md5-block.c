/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-md5-block.h"

#include <string.h>

/* the four auxiliary functions of RFC 1321, F and G in the equivalent
 * forms with one operation fewer */
#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define H(x, y, z) ((x) ^ (y) ^ (z))
#define I(x, y, z) ((y) ^ ((x) | ~(z)))

/* a = b + ((a + f(b,c,d) + x + t) <<< s); the same text serves guint32 and
 * the lane vectors, whose operators take a scalar for every lane */
#define CB_MD5_STEP(f, a, b, c, d, x, t, s)                                                        \
	do {                                                                                       \
		(a) += f((b), (c), (d)) + (x) + (guint32) (t);                                     \
		(a) = ((a) << (s)) | ((a) >> (32 - (s)));                                          \
		(a) += (b);                                                                        \
	} while (0)

/* the 64 steps written out, with the RFC's constants and word order: this
 * runs eight times for every 512-byte sector of a disc */
#define CB_MD5_STEPS(a, b, c, d, x)                                                                \
	/* round 1 */                                                                              \
	CB_MD5_STEP(F, a, b, c, d, x[0], 0xd76aa478, 7);                                           \
	CB_MD5_STEP(F, d, a, b, c, x[1], 0xe8c7b756, 12);                                          \
	CB_MD5_STEP(F, c, d, a, b, x[2], 0x242070db, 17);                                          \
	CB_MD5_STEP(F, b, c, d, a, x[3], 0xc1bdceee, 22);                                          \
	CB_MD5_STEP(F, a, b, c, d, x[4], 0xf57c0faf, 7);                                           \
	CB_MD5_STEP(F, d, a, b, c, x[5], 0x4787c62a, 12);                                          \
	CB_MD5_STEP(F, c, d, a, b, x[6], 0xa8304613, 17);                                          \
	CB_MD5_STEP(F, b, c, d, a, x[7], 0xfd469501, 22);                                          \
	CB_MD5_STEP(F, a, b, c, d, x[8], 0x698098d8, 7);                                           \
	CB_MD5_STEP(F, d, a, b, c, x[9], 0x8b44f7af, 12);                                          \
	CB_MD5_STEP(F, c, d, a, b, x[10], 0xffff5bb1, 17);                                         \
	CB_MD5_STEP(F, b, c, d, a, x[11], 0x895cd7be, 22);                                         \
	CB_MD5_STEP(F, a, b, c, d, x[12], 0x6b901122, 7);                                          \
	CB_MD5_STEP(F, d, a, b, c, x[13], 0xfd987193, 12);                                         \
	CB_MD5_STEP(F, c, d, a, b, x[14], 0xa679438e, 17);                                         \
	CB_MD5_STEP(F, b, c, d, a, x[15], 0x49b40821, 22);                                         \
	/* round 2 */                                                                              \
	CB_MD5_STEP(G, a, b, c, d, x[1], 0xf61e2562, 5);                                           \
	CB_MD5_STEP(G, d, a, b, c, x[6], 0xc040b340, 9);                                           \
	CB_MD5_STEP(G, c, d, a, b, x[11], 0x265e5a51, 14);                                         \
	CB_MD5_STEP(G, b, c, d, a, x[0], 0xe9b6c7aa, 20);                                          \
	CB_MD5_STEP(G, a, b, c, d, x[5], 0xd62f105d, 5);                                           \
	CB_MD5_STEP(G, d, a, b, c, x[10], 0x02441453, 9);                                          \
	CB_MD5_STEP(G, c, d, a, b, x[15], 0xd8a1e681, 14);                                         \
	CB_MD5_STEP(G, b, c, d, a, x[4], 0xe7d3fbc8, 20);                                          \
	CB_MD5_STEP(G, a, b, c, d, x[9], 0x21e1cde6, 5);                                           \
	CB_MD5_STEP(G, d, a, b, c, x[14], 0xc33707d6, 9);                                          \
	CB_MD5_STEP(G, c, d, a, b, x[3], 0xf4d50d87, 14);                                          \
	CB_MD5_STEP(G, b, c, d, a, x[8], 0x455a14ed, 20);                                          \
	CB_MD5_STEP(G, a, b, c, d, x[13], 0xa9e3e905, 5);                                          \
	CB_MD5_STEP(G, d, a, b, c, x[2], 0xfcefa3f8, 9);                                           \
	CB_MD5_STEP(G, c, d, a, b, x[7], 0x676f02d9, 14);                                          \
	CB_MD5_STEP(G, b, c, d, a, x[12], 0x8d2a4c8a, 20);                                         \
	/* round 3 */                                                                              \
	CB_MD5_STEP(H, a, b, c, d, x[5], 0xfffa3942, 4);                                           \
	CB_MD5_STEP(H, d, a, b, c, x[8], 0x8771f681, 11);                                          \
	CB_MD5_STEP(H, c, d, a, b, x[11], 0x6d9d6122, 16);                                         \
	CB_MD5_STEP(H, b, c, d, a, x[14], 0xfde5380c, 23);                                         \
	CB_MD5_STEP(H, a, b, c, d, x[1], 0xa4beea44, 4);                                           \
	CB_MD5_STEP(H, d, a, b, c, x[4], 0x4bdecfa9, 11);                                          \
	CB_MD5_STEP(H, c, d, a, b, x[7], 0xf6bb4b60, 16);                                          \
	CB_MD5_STEP(H, b, c, d, a, x[10], 0xbebfbc70, 23);                                         \
	CB_MD5_STEP(H, a, b, c, d, x[13], 0x289b7ec6, 4);                                          \
	CB_MD5_STEP(H, d, a, b, c, x[0], 0xeaa127fa, 11);                                          \
	CB_MD5_STEP(H, c, d, a, b, x[3], 0xd4ef3085, 16);                                          \
	CB_MD5_STEP(H, b, c, d, a, x[6], 0x04881d05, 23);                                          \
	CB_MD5_STEP(H, a, b, c, d, x[9], 0xd9d4d039, 4);                                           \
	CB_MD5_STEP(H, d, a, b, c, x[12], 0xe6db99e5, 11);                                         \
	CB_MD5_STEP(H, c, d, a, b, x[15], 0x1fa27cf8, 16);                                         \
	CB_MD5_STEP(H, b, c, d, a, x[2], 0xc4ac5665, 23);                                          \
	/* round 4 */                                                                              \
	CB_MD5_STEP(I, a, b, c, d, x[0], 0xf4292244, 6);                                           \
	CB_MD5_STEP(I, d, a, b, c, x[7], 0x432aff97, 10);                                          \
	CB_MD5_STEP(I, c, d, a, b, x[14], 0xab9423a7, 15);                                         \
	CB_MD5_STEP(I, b, c, d, a, x[5], 0xfc93a039, 21);                                          \
	CB_MD5_STEP(I, a, b, c, d, x[12], 0x655b59c3, 6);                                          \
	CB_MD5_STEP(I, d, a, b, c, x[3], 0x8f0ccc92, 10);                                          \
	CB_MD5_STEP(I, c, d, a, b, x[10], 0xffeff47d, 15);                                         \
	CB_MD5_STEP(I, b, c, d, a, x[1], 0x85845dd1, 21);                                          \
	CB_MD5_STEP(I, a, b, c, d, x[8], 0x6fa87e4f, 6);                                           \
	CB_MD5_STEP(I, d, a, b, c, x[15], 0xfe2ce6e0, 10);                                         \
	CB_MD5_STEP(I, c, d, a, b, x[6], 0xa3014314, 15);                                          \
	CB_MD5_STEP(I, b, c, d, a, x[13], 0x4e0811a1, 21);                                         \
	CB_MD5_STEP(I, a, b, c, d, x[4], 0xf7537e82, 6);                                           \
	CB_MD5_STEP(I, d, a, b, c, x[11], 0xbd3af235, 10);                                         \
	CB_MD5_STEP(I, c, d, a, b, x[2], 0x2ad7d2bb, 15);                                          \
	CB_MD5_STEP(I, b, c, d, a, x[9], 0xeb86d391, 21);

void
cb_md5_block(guint32 state[4], const guint32 block[16])
{
	guint32 a = state[0];
	guint32 b = state[1];
	guint32 c = state[2];
	guint32 d = state[3];

	CB_MD5_STEPS(a, b, c, d, block);
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
}

/*
 * MD5 is one long dependency chain, so a core runs several at once far
 * faster than one. A GCC/Clang vector of CB_MD5_LANES words becomes SSE2
 * on x86-64 (two registers a vector, which hides the latency too), NEON
 * on arm64 and plain word operations where there is neither.
 */
typedef guint32 CbMd5Vector __attribute__((vector_size(4 * CB_MD5_LANES)));

void
cb_md5_block_lanes(guint32 state[4][CB_MD5_LANES], const guint32 block[16][CB_MD5_LANES])
{
	CbMd5Vector s[4];
	CbMd5Vector x[16];
	CbMd5Vector a, b, c, d;

	memcpy(s, state, sizeof(s));
	memcpy(x, block, sizeof(x));
	a = s[0];
	b = s[1];
	c = s[2];
	d = s[3];
	CB_MD5_STEPS(a, b, c, d, x);
	s[0] += a;
	s[1] += b;
	s[2] += c;
	s[3] += d;
	memcpy(state, s, sizeof(s));
}
