/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test oracle: decrypts the data segment of a LUKS image with OpenSSL's
 * AES-XTS, an implementation independent of the libgcrypt code under test.
 * It implements dm-crypt's rule itself: the tweak is the 512-byte sector
 * number, whatever the encryption sector size.
 *
 *   xts-decrypt HEXKEY SECTOR_SIZE DATA_OFFSET IMAGE OUTPUT
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
hex_to_bytes(const char *hex, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char) v;
	}
	*len = n / 2;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned char key[64];
	size_t key_len;
	unsigned long sector_size;
	unsigned long long offset, sector = 0;
	FILE *in, *out;
	unsigned char *buf, *plain;
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *cipher;

	if (argc != 6 || hex_to_bytes(argv[1], key, sizeof(key), &key_len) != 0) {
		fprintf(stderr, "usage: xts-decrypt HEXKEY SECTOR_SIZE DATA_OFFSET IMAGE OUTPUT\n");
		return 2;
	}
	sector_size = strtoul(argv[2], NULL, 10);
	offset = strtoull(argv[3], NULL, 10);
	cipher = key_len == 64 ? EVP_aes_256_xts() : EVP_aes_128_xts();
	in = fopen(argv[4], "rb");
	out = fopen(argv[5], "wb");
	if (in == NULL || out == NULL || fseeko(in, (off_t) offset, SEEK_SET) != 0) {
		perror("xts-decrypt");
		return 1;
	}
	buf = malloc(sector_size);
	plain = malloc(sector_size);
	ctx = EVP_CIPHER_CTX_new();
	for (;;) {
		size_t got = fread(buf, 1, sector_size, in);
		unsigned char iv[16] = { 0 };
		uint64_t tweak = sector * (sector_size / 512);
		int outl = 0;

		if (got == 0)
			break;
		if (got != sector_size) {
			fprintf(stderr, "xts-decrypt: trailing partial sector of %zu bytes\n", got);
			return 1;
		}
		for (int i = 0; i < 8; i++)
			iv[i] = (unsigned char) (tweak >> (8 * i));
		if (EVP_DecryptInit_ex(ctx, cipher, NULL, key, iv) != 1 ||
		    EVP_DecryptUpdate(ctx, plain, &outl, buf, (int) sector_size) != 1 ||
		    (unsigned long) outl != sector_size) {
			fprintf(stderr, "xts-decrypt: OpenSSL refused sector %llu\n", sector);
			return 1;
		}
		if (fwrite(plain, 1, sector_size, out) != sector_size) {
			perror("xts-decrypt");
			return 1;
		}
		sector++;
	}
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	free(plain);
	if (fclose(out) != 0) {
		perror("xts-decrypt");
		return 1;
	}
	fclose(in);
	return 0;
}
