/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-format.h"
#include "cb-iso.h"

G_BEGIN_DECLS

/*
 * The data path: ISO stream -> per-sector encryption -> sink, with the
 * format's header first. cb_pipeline_run() blocks; run it in a worker
 * thread and read progress from any thread.
 */
typedef struct _CbPipeline CbPipeline;

/* fills buf completely, or up to the end of the source; returns the bytes
 * read, 0 at the end, -1 with error set (as cb_iso_stream_read) */
typedef gssize (*CbSourceReadFunc)(gpointer source, guint8 *buf, gsize len, GError **error);
typedef gboolean (*CbSinkWriteFunc)(gpointer sink, const guint8 *buf, gsize len, GError **error);

/* source_size: the exact payload size, a multiple of the format's sector */
CbPipeline *
cb_pipeline_new(CbSourceReadFunc read,
		gpointer source,
		guint64 source_size,
		CbFormat *format,
		CbSinkWriteFunc write,
		gpointer sink);
/* an ISO stream made by libisofs as the source */
CbPipeline *
cb_pipeline_new_for_iso(CbIsoStream *source,
			CbFormat *format,
			CbSinkWriteFunc write,
			gpointer sink);
void
cb_pipeline_free(CbPipeline *self);
/* also hash what is written (e.g. G_CHECKSUM_SHA256) */
void
cb_pipeline_set_checksum(CbPipeline *self, GChecksumType type);

/* also hash the encrypted payload alone: what verify recomputes */
void
cb_pipeline_set_payload_checksum(CbPipeline *self, GChecksumType type);
const gchar *
cb_pipeline_get_payload_checksum(CbPipeline *self);
guint64
cb_pipeline_get_payload_size(CbPipeline *self);

/* the payload checksum that metadata->checksum_type asks for, if any */
void
cb_pipeline_record_checksum(CbPipeline *self, const CbMetadata *metadata);
/* after a successful run: puts that checksum into metadata and has the
 * format record it (cb_format_seal); when cb_format_checksum_in_header(),
 * the caller writes the new header at the output's start */
gboolean
cb_pipeline_seal(CbPipeline *self, CbMetadata *metadata, GError **error);

/* header plus payload: the exact number of bytes that will be written */
guint64
cb_pipeline_get_total(CbPipeline *self);
/* bytes written so far; any thread */
guint64
cb_pipeline_get_done(CbPipeline *self);

gboolean
cb_pipeline_run(CbPipeline *self, GCancellable *cancellable, GError **error);
/* hex digest of everything written, after a successful run */
const gchar *
cb_pipeline_get_checksum(CbPipeline *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbPipeline, cb_pipeline_free)

G_END_DECLS
