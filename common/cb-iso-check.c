/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-iso-check.h"

#include "cb-crypto.h"
#include "cb-error.h"

#include <gcrypt.h>
#include <glib/gi18n-lib.h>
#include <stdint.h>
/* libisofs.h needs the fixed-width types declared first */
#include <libisofs/libisofs.h>
#include <string.h>

#define CB_ISO_CHECK_BLOCK 2048
/* every libisofs tag starts so: blocks that do not are no tags, without
 * a full parse of each block of file data */
#define CB_ISO_CHECK_MAGIC "libisofs_"

/* the tag types of iso_util_decode_md5_tag() */
typedef enum {
	CB_ISO_TAG_NONE = 0,
	CB_ISO_TAG_SESSION = 1,
	CB_ISO_TAG_SUPERBLOCK = 2,
	CB_ISO_TAG_TREE = 3,
	CB_ISO_TAG_RELOCATED = 4,
} CbIsoTagType;

struct _CbIsoCheck {
	gcry_md_hd_t md;     /* MD5 of the blocks range_start .. block - 1 */
	guint64 block;	     /* the number of the next block to come */
	guint64 range_start; /* where the session, and md, start */
	guint64 resume_at;   /* 0, or the session start a relocated tag named */
	guint64 next_tag;    /* 0, or where a tag promised the next one */
	CbIsoTagType next_type;
	guint64 promised_by; /* the block of the tag that promised it */
	CbIsoTagType promised_type;
	guint tags;
};

CbIsoCheck *
cb_iso_check_new(void)
{
	return g_new0(CbIsoCheck, 1);
}

void
cb_iso_check_free(CbIsoCheck *self)
{
	if (self == NULL)
		return;
	if (self->md != NULL)
		gcry_md_close(self->md);
	g_free(self);
}

guint
cb_iso_check_get_tags(CbIsoCheck *self)
{
	return self->tags;
}

static const gchar *
cb_iso_check_kind(CbIsoTagType type)
{
	switch (type) {
	case CB_ISO_TAG_SESSION:
		return _("session");
	case CB_ISO_TAG_SUPERBLOCK:
		return _("superblock");
	case CB_ISO_TAG_TREE:
		return _("directory tree");
	case CB_ISO_TAG_RELOCATED:
		return _("relocated superblock");
	case CB_ISO_TAG_NONE:
		break;
	}
	return "?";
}

/* opened on first use, so that new() cannot fail: libgcrypt in FIPS mode
 * refuses MD5, and that must come back as an error, not an abort */
static gboolean
cb_iso_check_open(CbIsoCheck *self, GError **error)
{
	gcry_error_t rc;

	if (self->md != NULL)
		return TRUE;
	if (!cb_crypto_init(error))
		return FALSE;
	rc = gcry_md_open(&self->md, GCRY_MD_MD5, 0);
	if (rc != 0) {
		self->md = NULL;
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("cannot compute MD5 to check the image's tags: %s"),
			    gcry_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

/* the MD5 so far against a tag's, leaving the running sum as it is */
static gboolean
cb_iso_check_md5(CbIsoCheck *self, const gchar *md5, gboolean *match, GError **error)
{
	gcry_md_hd_t copy = NULL;
	gcry_error_t rc = gcry_md_copy(&copy, self->md);

	if (rc != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO, _("cannot copy an MD5 state: %s"),
			    gcry_strerror(rc));
		return FALSE;
	}
	*match = memcmp(gcry_md_read(copy, GCRY_MD_MD5), md5, 16) == 0;
	gcry_md_close(copy);
	return TRUE;
}

static gboolean
cb_iso_check_verify(CbIsoCheck *self,
		    CbIsoTagType type,
		    guint32 range_start,
		    guint32 range_size,
		    const gchar *md5,
		    GError **error)
{
	gboolean match = FALSE;

	/* our sum starts at the session's start (block 0, or the one a
	 * relocated superblock tag named); a tag counting from elsewhere
	 * cannot be checked, and means the image is not laid out as made */
	if (range_start != self->range_start || (guint64) range_start + range_size != self->block) {
		g_set_error(
		    error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
		    _("the ISO image's %s tag at block %llu covers %u blocks from block %u, "
		      "not the blocks from %llu up to itself: the image is not laid out "
		      "as it was made"),
		    cb_iso_check_kind(type), (unsigned long long) self->block, range_size,
		    range_start, (unsigned long long) self->range_start);
		return FALSE;
	}
	if (!cb_iso_check_md5(self, md5, &match, error))
		return FALSE;
	if (!match) {
		g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("the ISO image is damaged: blocks %u to %llu do not match the MD5 of "
			      "its %s tag at block %llu"),
			    range_start, (unsigned long long) self->block - 1,
			    cb_iso_check_kind(type), (unsigned long long) self->block);
		return FALSE;
	}
	self->tags++;
	return TRUE;
}

/* what a verified tag says comes next */
static gboolean
cb_iso_check_follow(CbIsoCheck *self, CbIsoTagType type, guint32 next, GError **error)
{
	self->next_tag = 0;
	if (type == CB_ISO_TAG_SESSION)
		return TRUE;
	if (next <= self->block) {
		g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("the ISO image's %s tag at block %llu points back to block %u"),
			    cb_iso_check_kind(type), (unsigned long long) self->block, next);
		return FALSE;
	}
	/* a relocated superblock is a copy in front of the real session: the
	 * session's own tags count from its start, with a sum of their own */
	if (type == CB_ISO_TAG_RELOCATED) {
		self->resume_at = next;
		return TRUE;
	}
	self->next_tag = next;
	self->next_type = type == CB_ISO_TAG_SUPERBLOCK ? CB_ISO_TAG_TREE : CB_ISO_TAG_SESSION;
	self->promised_by = self->block;
	self->promised_type = type;
	return TRUE;
}

/* a block that may be a tag: the one promised, or, when none is, any
 * block that looks like one */
static gboolean
cb_iso_check_is_candidate(CbIsoCheck *self, const guint8 *block)
{
	if (self->next_tag != 0)
		return self->block == self->next_tag;
	return memcmp(block, CB_ISO_CHECK_MAGIC, strlen(CB_ISO_CHECK_MAGIC)) == 0;
}

static gboolean
cb_iso_check_tag(CbIsoCheck *self, const guint8 *block, GError **error)
{
	/* the parser looks for its fields with strstr(): one more byte, a
	 * NUL, keeps it inside the block */
	gchar text[CB_ISO_CHECK_BLOCK + 1];
	gchar md5[16] = { 0 };
	int type = CB_ISO_TAG_NONE;
	uint32_t pos = 0, range_start = 0, range_size = 0, next = 0;
	int rc;

	memcpy(text, block, CB_ISO_CHECK_BLOCK);
	text[CB_ISO_CHECK_BLOCK] = '\0';
	rc = iso_util_decode_md5_tag(text, &type, &pos, &range_start, &range_size, &next, md5, 0);
	if (self->next_tag != 0) {
		if (rc != 1 || pos != self->block || type != (int) self->next_type) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("the ISO image is damaged: block %llu holds no intact %s tag, "
			      "which its %s tag at block %llu promised there"),
			    (unsigned long long) self->block, cb_iso_check_kind(self->next_type),
			    cb_iso_check_kind(self->promised_type),
			    (unsigned long long) self->promised_by);
			return FALSE;
		}
	} else {
		/* a tag recording another place is data: an ISO image kept as
		 * a file, say */
		if (rc == 0 || pos != self->block)
			return TRUE;
		if (rc < 0) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("the ISO image is damaged: its %s tag at block %llu is corrupted"),
			    cb_iso_check_kind(type), (unsigned long long) self->block);
			return FALSE;
		}
	}
	return cb_iso_check_verify(self, type, range_start, range_size, md5, error) &&
	       cb_iso_check_follow(self, type, next, error);
}

gboolean
cb_iso_check_feed(CbIsoCheck *self, const guint8 *buf, gsize len, GError **error)
{
	gsize run = 0; /* the first byte of buf not yet summed */

	if (len % CB_ISO_CHECK_BLOCK != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot check %zu bytes of an ISO image: not whole 2048-byte blocks"),
			    len);
		return FALSE;
	}
	if (!cb_iso_check_open(self, error))
		return FALSE;
	for (gsize off = 0; off < len; off += CB_ISO_CHECK_BLOCK, self->block++) {
		const guint8 *block = buf + off;

		if (self->resume_at != 0) {
			if (self->block < self->resume_at) {
				run = off + CB_ISO_CHECK_BLOCK;
				continue;
			}
			gcry_md_reset(self->md);
			self->range_start = self->block;
			self->resume_at = 0;
			run = off;
		}
		if (!cb_iso_check_is_candidate(self, block))
			continue;
		gcry_md_write(self->md, buf + run, off - run);
		run = off;
		if (!cb_iso_check_tag(self, block, error))
			return FALSE;
	}
	gcry_md_write(self->md, buf + run, len - run);
	return TRUE;
}

gboolean
cb_iso_check_finish(CbIsoCheck *self, GError **error)
{
	if (self->resume_at != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("the ISO image ends at block %llu, before block %llu where its "
			      "relocated superblock tag says the session starts"),
			    (unsigned long long) self->block, (unsigned long long) self->resume_at);
		return FALSE;
	}
	if (self->next_tag != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CHECKSUM_MISMATCH,
			    _("the ISO image ends at block %llu, before the %s tag that its %s tag "
			      "at block %llu promised at block %llu"),
			    (unsigned long long) self->block, cb_iso_check_kind(self->next_type),
			    cb_iso_check_kind(self->promised_type),
			    (unsigned long long) self->promised_by,
			    (unsigned long long) self->next_tag);
		return FALSE;
	}
	return TRUE;
}
