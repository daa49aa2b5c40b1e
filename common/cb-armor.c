/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-armor.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#define CB_ARMOR_COMMENT_KEY "Comment:"

static gboolean
cb_armor_at_line_start(const guint8 *buf, const guint8 *p)
{
	return p == buf || p[-1] == '\n';
}

gboolean
cb_armor_find(const guint8 *buf, gsize len, gsize *start, gsize *end)
{
	const gsize begin_len = strlen(CB_ARMOR_BEGIN);
	const gsize end_len = strlen(CB_ARMOR_END);
	const guint8 *from = buf;
	const guint8 *limit;

	/* an empty key file's GBytes has no data pointer at all, and NULL + 0
	 * is undefined behaviour in C */
	if (buf == NULL || len == 0)
		return FALSE;
	limit = buf + len;
	while (from < limit) {
		const guint8 *b = memmem(from, (gsize) (limit - from), CB_ARMOR_BEGIN, begin_len);
		const guint8 *e;
		const guint8 *stop;
		const guint8 *p;

		if (b == NULL)
			return FALSE;
		from = b + begin_len;
		if (!cb_armor_at_line_start(buf, b))
			continue;

		/* the END marker counts only at the start of a line, as RFC 4880
		 * puts it; one inside a header line is someone's comment */
		e = from;
		for (;;) {
			e = memmem(e, (gsize) (limit - e), CB_ARMOR_END, end_len);
			if (e == NULL || cb_armor_at_line_start(buf, e))
				break;
			e += end_len;
		}
		if (e == NULL)
			return FALSE;
		stop = e + end_len;
		for (p = stop; p < limit && (*p == ' ' || *p == '\t' || *p == '\r'); p++)
			;
		if (p < limit && *p == '\n')
			stop = p + 1;

		/* a NUL means this is not one text block, e.g. a block cut off
		 * by zero padding with an older one's tail behind it; callers
		 * go on to treat the block as a C string */
		if (memchr(b, '\0', (gsize) (stop - b)) != NULL) {
			from = stop;
			continue;
		}
		if (start != NULL)
			*start = (gsize) (b - buf);
		if (end != NULL)
			*end = (gsize) (stop - buf);
		return TRUE;
	}
	return FALSE;
}

/* where the parts of the first armored message in a text are */
typedef struct {
	gsize headers;	  /* the first header line, just after the BEGIN line */
	gsize body;	  /* the blank line that ends the header lines */
	const gchar *eol; /* "\n" or "\r\n", as the BEGIN line ends */
} CbArmorBlock;

static gboolean
cb_armor_line_is_blank(const gchar *line, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return FALSE;
	}
	return TRUE;
}

static gboolean
cb_armor_parse(const gchar *text, CbArmorBlock *block)
{
	gsize start;
	gsize end;
	const gchar *nl;
	gsize pos;

	if (!cb_armor_find((const guint8 *) text, strlen(text), &start, &end))
		return FALSE;
	nl = memchr(text + start, '\n', end - start);
	if (nl == NULL)
		return FALSE;
	block->eol = nl > text + start && nl[-1] == '\r' ? "\r\n" : "\n";
	block->headers = pos = (gsize) (nl - text) + 1;

	/* RFC 4880 wants the blank line even without headers; a line without
	 * a colon before it is base64, so the armor is broken */
	for (;;) {
		const gchar *line = text + pos;
		const gchar *lnl = memchr(line, '\n', end - pos);
		gsize line_len;

		if (lnl == NULL)
			return FALSE;
		line_len = (gsize) (lnl - line);
		if (cb_armor_line_is_blank(line, line_len)) {
			block->body = pos;
			return TRUE;
		}
		if (memchr(line, ':', line_len) == NULL)
			return FALSE;
		pos += line_len + 1;
	}
}

static gboolean
cb_armor_is_comment(const gchar *line)
{
	return g_str_has_prefix(line, CB_ARMOR_COMMENT_KEY);
}

static gboolean
cb_armor_check_comment(const gchar *comment, GError **error)
{
	if (strlen(comment) > CB_ARMOR_COMMENT_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("key file comment too long: %zu bytes, at most %d"), strlen(comment),
			    CB_ARMOR_COMMENT_MAX);
		return FALSE;
	}
	/* a line break would end the header line and start another, which
	 * could be anything, even the blank line that ends the headers */
	if (strpbrk(comment, "\r\n") != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("key file comment must be one line"));
		return FALSE;
	}
	/* RFC 4880 armor header values are UTF-8 */
	if (!g_utf8_validate(comment, -1, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("key file comment is not valid UTF-8"));
		return FALSE;
	}
	return TRUE;
}

gchar *
cb_armor_set_comments(const gchar *armored, const gchar *const *comments, GError **error)
{
	g_autoptr(GString) out = NULL;
	CbArmorBlock block;
	gsize pos;

	for (gsize i = 0; comments != NULL && comments[i] != NULL; i++) {
		if (!cb_armor_check_comment(comments[i], error))
			return NULL;
	}
	if (!cb_armor_parse(armored, &block)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("not an ASCII-armored PGP message"));
		return NULL;
	}

	out = g_string_new_len(armored, (gssize) block.headers);
	for (gsize i = 0; comments != NULL && comments[i] != NULL; i++)
		g_string_append_printf(out, "%s %s%s", CB_ARMOR_COMMENT_KEY, comments[i],
				       block.eol);
	for (pos = block.headers; pos < block.body;) {
		const gchar *line = armored + pos;
		gsize line_len = (gsize) (strchr(line, '\n') - line) + 1;

		if (!cb_armor_is_comment(line))
			g_string_append_len(out, line, (gssize) line_len);
		pos += line_len;
	}
	g_string_append(out, armored + block.body);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gchar **
cb_armor_get_comments(const gchar *armored)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	CbArmorBlock block;

	if (cb_armor_parse(armored, &block)) {
		for (gsize pos = block.headers; pos < block.body;) {
			const gchar *line = armored + pos;
			gsize line_len = (gsize) (strchr(line, '\n') - line);

			if (cb_armor_is_comment(line)) {
				gsize key_len = strlen(CB_ARMOR_COMMENT_KEY);
				gchar *value = g_strndup(line + key_len, line_len - key_len);
				g_ptr_array_add(values, g_strstrip(value));
			}
			pos += line_len + 1;
		}
	}
	g_ptr_array_add(values, NULL);
	return (gchar **) g_ptr_array_free(g_steal_pointer(&values), FALSE);
}

GHashTable *
cb_armor_parse_info(const gchar *armored)
{
	g_auto(GStrv) comments = cb_armor_get_comments(armored);
	GHashTable *info = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (gsize i = 0; comments[i] != NULL; i++) {
		const gchar *eq = strchr(comments[i], '=');

		if (eq == NULL || eq == comments[i])
			continue;
		g_hash_table_insert(info, g_strndup(comments[i], (gsize) (eq - comments[i])),
				    g_strdup(eq + 1));
	}
	return info;
}
