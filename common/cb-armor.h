/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * OpenPGP ASCII armor (RFC 4880, section 6.2) as plain text, without GnuPG:
 * finding a "PGP MESSAGE" block in raw bytes and editing its Comment
 * header lines. enciso keeps its image info (timestamp=..., checksum=...)
 * in those lines; the armor checksum covers only the base64 body, so they
 * may change without touching the encrypted key.
 */

#define CB_ARMOR_BEGIN "-----BEGIN PGP MESSAGE-----"
#define CB_ARMOR_END "-----END PGP MESSAGE-----"
/* longest comment text cb_armor_set_comments() takes, in bytes */
#define CB_ARMOR_COMMENT_MAX 200

/* the first armored message in buf: *start at its BEGIN line, *end just
 * after its END line and that line's newline if there is one. FALSE if
 * there is none, it is cut off, or it holds a NUL byte (e.g. it runs into
 * the zero padding of an image). start and end may be NULL. */
gboolean
cb_armor_find(const guint8 *buf, gsize len, gsize *start, gsize *end);

/* armored with every "Comment:" header line removed and one
 * "Comment: <text>" line per element of comments (may be NULL) put right
 * after the BEGIN line; other header lines (Version, ...) and any text
 * around the block stay as they are. Comments with a line break, longer
 * than CB_ARMOR_COMMENT_MAX bytes or not UTF-8 give
 * CB_ERROR_INVALID_OPTION; text without an armored message gives
 * CB_ERROR_NOT_SUPPORTED. */
gchar *
cb_armor_set_comments(const gchar *armored, const gchar *const *comments, GError **error);

/* the values of the Comment header lines in order, without surrounding
 * blanks; empty when there are none or armored holds no message */
gchar **
cb_armor_get_comments(const gchar *armored);

/* the comments of the form key=value (split at the first '='; an empty key
 * is skipped) as a string -> string table; a later key replaces an earlier */
GHashTable *
cb_armor_parse_info(const gchar *armored);

G_END_DECLS
