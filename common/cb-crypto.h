/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the most jobs a process runs at once, each with its keys in libgcrypt's
 * locked pool: the daemon refuses more (CB_DAEMON_MAX_JOBS), a client
 * runs one */
#define CB_CRYPTO_MAX_JOBS 32
/* what one job takes of the pool: the one cipher handle of its format,
 * opened with the header and closed when the job ends (a verify uses the
 * same). Measured with GCRYCTL_DUMP_SECMEM_STATS (libgcrypt 1.10): an
 * AES-256-XTS handle (luks2, luks1) is 3040 bytes, an AES-256-CBC one
 * (plain, cryptoloop, loop-aes) 1984, and loop-aes's key derivation holds
 * a SHA-512 of 832 bytes for a moment before its cipher; 24 jobs writing
 * at once (tests/integration/test_concurrency.py: 21 XTS, 3 CBC) held
 * 69792 bytes, more than the 64 KiB pool the service used to have. The
 * budget is more than twice the largest, for the pool's rounding and a
 * format to come */
#define CB_CRYPTO_SECMEM_PER_JOB (8 * 1024)
/* the pool is locked (mlock) and never grows: a job that finds it full
 * fails with "cannot open AES-XTS: Cannot allocate memory". The headroom
 * is for anything else that asks libgcrypt for secure memory, such as
 * its random generator's state. The unit's LimitMEMLOCK= counts it. */
#define CB_CRYPTO_SECMEM_BYTES (CB_CRYPTO_MAX_JOBS * CB_CRYPTO_SECMEM_PER_JOB + 64 * 1024)

/* initialises libgcrypt once, with a locked pool for key schedules;
 * safe to call from any thread, any number of times */
gboolean
cb_crypto_init(GError **error);

G_END_DECLS
