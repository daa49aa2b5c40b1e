/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-format.h"

G_BEGIN_DECLS

/* enciso's key area: the armored key block, zero-padded */
#define CB_LOOP_AES_HEADER_SIZE (16 * 1024)

extern const CbFormatDesc cb_format_loop_aes;

/* the key block at the start of an image or disc (just the armored
 * text), for extract-key and verify */
GBytes *
cb_loop_aes_read_key_area(const gchar *path, GError **error);

/* what a key block's comments say, without the passphrase; data_offset
 * and payload_size are left to the caller, who knows where the data is */
gboolean
cb_loop_aes_read_key_info(GBytes *armored, CbImageInfo *info, GError **error);

/* a reused key file cannot take this image's serial or checksum */
gboolean
cb_loop_aes_check_reuse(const CbMetadata *metadata, GError **error);

G_END_DECLS
