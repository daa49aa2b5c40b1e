/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Checks the MD5 tags libisofs writes into an ISO image (see libisofs'
 * doc/checksums.txt) while the image's bytes go by, in one pass:
 * the superblock tag after the volume descriptors, the directory tree tag
 * after the directory records, the session tag after the file data, and
 * the relocated superblock tag that xorriso leaves in the first 64 KiB of
 * an image whose session starts at block 32. Each tag records the MD5 of
 * the blocks from the session's start up to itself, and the block where
 * the next tag must be.
 *
 * An image without tags (made with no-md5) passes with no tags counted.
 * An object is used by one thread at a time.
 */
typedef struct _CbIsoCheck CbIsoCheck;

CbIsoCheck *
cb_iso_check_new(void);
void
cb_iso_check_free(CbIsoCheck *self);

/* the image's plain bytes in order from block 0; len: whole 2048-byte
 * blocks. CB_ERROR_CHECKSUM_MISMATCH when a tag disagrees with what came
 * before it, or a tag promised at this point is not there */
gboolean
cb_iso_check_feed(CbIsoCheck *self, const guint8 *buf, gsize len, GError **error);
/* at the end of the image: CB_ERROR_CHECKSUM_MISMATCH when a tag promised
 * another one further on, which never came */
gboolean
cb_iso_check_finish(CbIsoCheck *self, GError **error);
/* the tags found and verified so far */
guint
cb_iso_check_get_tags(CbIsoCheck *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbIsoCheck, cb_iso_check_free)

G_END_DECLS
