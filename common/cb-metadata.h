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
} CbMetadata;

/* a fresh record: created now (UTC), this program's version */
CbMetadata *
cb_metadata_new(void);
void
cb_metadata_free(CbMetadata *self);
/* "2026-11-23T12:50:20Z" */
gchar *
cb_metadata_format_created(const CbMetadata *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbMetadata, cb_metadata_free)

G_END_DECLS
