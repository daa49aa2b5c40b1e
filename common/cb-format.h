/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-metadata.h"
#include "cb-secret.h"

G_BEGIN_DECLS

/*
 * An encryption format is three things: header bytes written in front of
 * the payload, a length-preserving per-sector transform of the payload,
 * and non-secret metadata readable without the passphrase. Each format
 * lives in its own file (cb-format-<name>.c) and fills in a CbFormatDesc.
 */

typedef struct _CbFormat CbFormat;

/* what creating an image needs */
typedef struct {
	const CbSecret *passphrase;
	const CbMetadata *metadata;
	guint iter_time_ms;	/* key-stretching time; 0 for the format's default */
	guint pbkdf_memory_kb;	/* argon2 memory cost; 0 for libcryptsetup's default */
	guint pbkdf_iterations; /* fixed cost, skipping the benchmark; 0 to benchmark */
	/* loop-aes: keep the encrypted keys in a key file of their own
	 * instead of the image's first 16 KiB */
	gboolean separate_key;
	/* loop-aes: an existing key file (armored) to reuse; NULL makes keys */
	GBytes *key_file;
	/* leave out the metadata a header would show without the passphrase */
	gboolean noinfo;
} CbFormatParams;

/* what an existing image says about itself, without a passphrase */
typedef struct {
	gchar *format;	      /* "luks2" */
	gchar *cipher;	      /* "aes-xts-plain64" */
	guint key_bits;	      /* of the data cipher */
	guint sector_size;    /* encryption sector */
	guint64 data_offset;  /* bytes before the payload */
	guint64 payload_size; /* bytes of encrypted ISO after the header; 0 if unknown */
	gchar *uuid;
	gchar *pbkdf;
	CbMetadata *metadata;
} CbImageInfo;

typedef struct {
	const gchar *name;
	const gchar *summary;
	/* bytes in front of the payload, known before the header is made, so
	 * that a disc's capacity can be checked before asking a passphrase */
	guint64 header_size;
	/* no salt, no key stretching: kept for old readers, and said so */
	gboolean weak;
	/* builds the header and readies the transform */
	CbFormat *(*create)(const CbFormatParams *params, GError **error);
	/* TRUE and fills info when the file at path is of this format */
	gboolean (*probe)(const gchar *path, CbImageInfo *info, GError **error);
	/* FALSE (with a reason) when this format cannot carry some metadata */
	gboolean (*check_metadata)(const CbMetadata *metadata, GError **error);
} CbFormatDesc;

/* the transform of one format instance; len is whole sectors */
typedef gboolean (*CbFormatEncryptFunc)(
    gpointer cipher, guint64 payload_offset, guint8 *buf, gsize len, GError **error);
/* its inverse, same arguments: what reading a burned disc back needs */
typedef gboolean (*CbFormatDecryptFunc)(
    gpointer cipher, guint64 payload_offset, guint8 *buf, gsize len, GError **error);

/* records metadata known only once the payload is written (its
 * checksum): rebuilds the header, same size, and the key file */
typedef gboolean (*CbFormatSealFunc)(CbFormat *format,
				     gpointer cipher,
				     const CbMetadata *metadata,
				     GError **error);

const CbFormatDesc *
cb_format_lookup(const gchar *name, GError **error);
const CbFormatDesc *const *
cb_format_list(void);
const gchar *
cb_format_default_name(void);
/* what to tell a person who chose a weak format */
const gchar *
cb_format_weak_warning(void);

/* for format implementations */
CbFormat *
cb_format_new(const CbFormatDesc *desc,
	      GBytes *header,
	      guint sector_size,
	      CbFormatEncryptFunc encrypt,
	      gpointer cipher,
	      GDestroyNotify cipher_free);

const CbFormatDesc *
cb_format_get_desc(const CbFormat *self);
GBytes *
cb_format_get_header(const CbFormat *self);
/* for seal functions: the header bytes to write in place of the first */
void
cb_format_set_header(CbFormat *self, GBytes *header);
/* the armored key file to write beside the image; NULL when the keys are
 * in the header */
GBytes *
cb_format_get_key_file(const CbFormat *self);
void
cb_format_set_key_file(CbFormat *self, GBytes *key_file);
void
cb_format_set_seal(CbFormat *self, CbFormatSealFunc seal);
void
cb_format_set_decrypt(CbFormat *self, CbFormatDecryptFunc decrypt);
/* records metadata->checksum in the header or key file; the header may
 * change (same size) and must then be written again at the start */
gboolean
cb_format_seal(CbFormat *self, const CbMetadata *metadata, GError **error);
/* TRUE when the checksum goes into the header at the image's start,
 * which therefore must be rewritten after the payload */
gboolean
cb_format_checksum_in_header(const CbFormat *self);
guint
cb_format_get_sector_size(const CbFormat *self);
/* payload_offset: bytes from the start of the payload, sector aligned */
gboolean
cb_format_encrypt(CbFormat *self, guint64 payload_offset, guint8 *buf, gsize len, GError **error);
/* the same offsets as cb_format_encrypt(); CB_ERROR_FAILED when the
 * format was made without a decrypt function */
gboolean
cb_format_decrypt(CbFormat *self, guint64 payload_offset, guint8 *buf, gsize len, GError **error);
void
cb_format_free(CbFormat *self);

/* reads an image's self-description with whichever format recognises it */
CbImageInfo *
cb_image_info_read(const gchar *path, GError **error);
void
cb_image_info_free(CbImageInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbFormat, cb_format_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbImageInfo, cb_image_info_free)

G_END_DECLS
