/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * loop-AES key blocks as an image's first 16 KiB or a --keyfile hold
 * them: finding the armored block, reading its comments into the image
 * info, and replacing them as sealing a checksum does.
 */
#include "cb-armor.h"
#include "cb-format-loop-aes.h"

#include <string.h>

static void
check_set_comments(const gchar *text)
{
	const gchar *const comments[] = { "version=cryptburn 0.1.0", "timestamp=1764000000",
					  "checksum=md5:d41d8cd98f00b204e9800998ecf8427e", NULL };
	g_autofree gchar *edited = NULL;
	g_auto(GStrv) back = NULL;
	g_autoptr(GError) error = NULL;

	edited = cb_armor_set_comments(text, comments, &error);
	if (edited == NULL)
		return;
	/* what was set is what a reader finds, in order */
	back = cb_armor_get_comments(edited);
	g_assert_true(g_strv_equal((const gchar *const *) back, comments));
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	g_autofree gchar *text = g_strndup((const gchar *) data, size);
	g_auto(GStrv) comments = NULL;
	g_autoptr(GHashTable) table = NULL;
	g_autoptr(CbImageInfo) info = g_new0(CbImageInfo, 1);
	g_autoptr(GError) error = NULL;
	gsize start = 0, end = 0;

	if (cb_armor_find(data, size, &start, &end)) {
		g_assert_cmpuint(start, <, end);
		g_assert_cmpuint(end, <=, size);
		g_assert_null(memchr(data + start, '\0', end - start));
	}
	if (!cb_loop_aes_read_key_info(bytes, info, &error))
		g_assert_nonnull(error);
	comments = cb_armor_get_comments(text);
	table = cb_armor_parse_info(text);
	check_set_comments(text);
	return 0;
}
