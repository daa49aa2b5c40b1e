/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-format.h"

G_BEGIN_DECLS

/*
 * What a burned disc is checked with once it has been read back: the
 * encrypted image goes in, its payload is decrypted with the format that
 * encrypted it, and the ISO image inside is checked against its libisofs
 * MD5 tags (cb-iso-check.h). The header is passed over: it is not part of
 * the ISO image.
 *
 * An object is used by one thread at a time.
 */
typedef struct _CbReadbackCheck CbReadbackCheck;

/* format: what encrypted the image, not owned, alive as long as the
 * check; header_size: bytes in front of the payload, a multiple of 2048 */
CbReadbackCheck *
cb_readback_check_new(CbFormat *format, guint64 header_size);
void
cb_readback_check_free(CbReadbackCheck *self);

/* offset: from the image's start, header included; chunks in order, each
 * whole 2048-byte blocks, any size; a chunk may span the header's end.
 * buf is left as it is. CB_ERROR_CHECKSUM_MISMATCH when the ISO image
 * disagrees with its tags */
gboolean
cb_readback_check_feed(
    CbReadbackCheck *self, guint64 offset, const guint8 *buf, gsize len, GError **error);
/* after the last chunk (see cb_iso_check_finish()) */
gboolean
cb_readback_check_finish(CbReadbackCheck *self, GError **error);
/* the ISO image's tags found and verified so far; 0 for an image made
 * without them */
guint
cb_readback_check_get_tags(CbReadbackCheck *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbReadbackCheck, cb_readback_check_free)

G_END_DECLS
