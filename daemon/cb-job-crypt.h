/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-job-private.h"
#include "cb-pipeline.h"

#include <sys/types.h>

G_BEGIN_DECLS

/*
 * The encryption of one job, around its data flow (cb-job-work.c): the
 * metadata the header or key file records, the passphrase, a key file to
 * reuse or to write, the format made from them, and the seal that records
 * the payload's checksum once it is written.
 *
 * The key file is only ever read from and written to the fd the client
 * opened (keyfile-fd): the daemon runs as root and opens no path of a
 * user's. All functions run on the job's worker thread.
 */
typedef struct {
	CbMetadata *metadata;
	GBytes *key_file; /* reused as it is; NULL: keys are made */
	CbFormat *format;
	off_t output_start; /* WriteImage: where the image starts in the output */
} CbJobCrypt;

void
cb_job_crypt_clear(CbJobCrypt *crypt);

/* the metadata, and the client's key file with what a reused one cannot
 * take: done first, before a drive is opened, a reader started or a
 * passphrase asked */
gboolean
cb_job_crypt_init(CbJob *job, CbJobCrypt *crypt, GError **error);

/* the bytes in front of the payload, known before the header is made */
guint64
cb_job_crypt_header_size(CbJob *job, const CbFormatDesc *desc);

/* asks the passphrase, then makes the header: the slow key derivation */
gboolean
cb_job_crypt_make_format(CbJob *job, const CbFormatDesc *desc, CbJobCrypt *crypt, GError **error);

/* has pipeline hash the payload when a checksum is to be recorded */
void
cb_job_crypt_watch_payload(CbJobCrypt *crypt, CbPipeline *pipeline);

/* after the payload was written: its checksum into the key file, or into
 * the header, written again at crypt->output_start of the WriteImage
 * output */
gboolean
cb_job_crypt_seal(CbJob *job, CbJobCrypt *crypt, CbPipeline *pipeline, GError **error);

/* a new key file into the client's keyfile-fd, once the data is written */
gboolean
cb_job_crypt_write_key_file(CbJob *job, CbJobCrypt *crypt, GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbJobCrypt, cb_job_crypt_clear)

G_END_DECLS
