/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-volume-id.h"

#include <string.h>

/* ECMA-119 volume identifier field width */
#define CB_VOLUME_ID_MAX 32

gchar *
cb_volume_id_default(const gchar *const *sources)
{
	/* like a desktop names a folder's disc; an image of grafts alone
	 * gets a neutral name */
	const gchar *first = sources != NULL && sources[0] != NULL ? sources[0] : "/";
	g_autofree gchar *raw = g_path_get_basename(first);
	g_autofree gchar *base = g_utf8_make_valid(raw, -1);
	const gchar *end = base + MIN(strlen(base), CB_VOLUME_ID_MAX);

	/* never cut a character in half */
	while (end > base && !g_utf8_validate(base, end - base, NULL))
		end--;
	if (g_strcmp0(base, "/") == 0 || g_strcmp0(base, ".") == 0 || end == base)
		return g_strdup("CRYPTBURN");
	return g_strndup(base, end - base);
}
