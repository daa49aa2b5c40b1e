/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What an image says about itself without a passphrase, like the armor
 * comments of enciso: who made it, when, and which copy it is.
 */
typedef struct {
	gchar *serial;	    /* NULL when none was given */
	gchar *volume_id;   /* the ISO volume id, also the LUKS2 label */
	GDateTime *created; /* UTC */
	gchar *version;	    /* cryptburn version that wrote the image */
	/* the checksum of the encrypted payload (everything after the
	 * header), as enciso's checksum comment: checksum_type is asked for
	 * at creation ("md5", "sha256"); checksum, the hex digest, and
	 * checksum_size, the bytes it covers, exist once the payload is
	 * written. The size lets a disc, longer than what was written, be
	 * checked. */
	gchar *checksum_type;
	gchar *checksum;
	guint64 checksum_size;
} CbMetadata;

/* a fresh record: created now (UTC), this program's version */
CbMetadata *
cb_metadata_new(void);
/* a record of its own, for another thread */
CbMetadata *
cb_metadata_copy(const CbMetadata *self);
void
cb_metadata_free(CbMetadata *self);
/* "2026-11-23T12:50:20Z" */
gchar *
cb_metadata_format_created(const CbMetadata *self);

/* "md5", "sha256" or "none" (NULL); FALSE with a reason otherwise */
gboolean
cb_metadata_checksum_type_valid(const gchar *type, GError **error);
/* "md5:<hex>", as enciso's comment; NULL when no checksum is recorded */
gchar *
cb_metadata_format_checksum(const CbMetadata *self);
/* reads "md5:<hex>" into checksum_type and checksum */
gboolean
cb_metadata_parse_checksum(CbMetadata *self, const gchar *text, GError **error);
/* reads a recorded checksum_size, decimal; CB_ERROR_SOURCE naming the text
 * when it is no byte count */
gboolean
cb_metadata_parse_checksum_size(CbMetadata *self, const gchar *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbMetadata, cb_metadata_free)

G_END_DECLS
