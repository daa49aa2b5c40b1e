/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-term-escape.h"

#include <string.h>

/*
 * A crafted LUKS2 token or loop-aes armor comment can hold ESC and BEL:
 * printed raw they set the window title, clear the screen or colour a
 * fake serial. Escaped are the C0 controls and DEL, the C1 controls
 * (U+0080..U+009F; U+009B is CSI to a terminal that takes 8-bit
 * controls), the bidirectional overrides and isolates, which make a
 * line read in another order than it is stored, the line and paragraph
 * separators, and bytes that are not UTF-8.
 */
static gboolean
cb_term_escape_is_unsafe(gunichar c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return TRUE;
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

gchar *
cb_term_escape(const gchar *text, CbTermEscapeFlags flags)
{
	g_autoptr(GString) out = NULL;
	const gchar *p = text;

	if (text == NULL)
		return NULL;
	out = g_string_sized_new(strlen(text));
	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar) -1 || c == (gunichar) -2) {
			g_string_append_printf(out, "\\x%02x", (guint) (guchar) *p);
			p++;
			continue;
		}
		if (c == '\n' && (flags & CB_TERM_ESCAPE_KEEP_NEWLINES))
			g_string_append_c(out, '\n');
		else if (c < 0x80 && cb_term_escape_is_unsafe(c))
			g_string_append_printf(out, "\\x%02x", c);
		else if (cb_term_escape_is_unsafe(c))
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gchar *
cb_term_escape_json(const gchar *json)
{
	g_autoptr(GString) out = g_string_sized_new(strlen(json));
	const gchar *p = json;

	/* outside its strings JSON is ASCII without controls but for the
	 * newlines and indent of pretty output, so every other character
	 * found here is in a string, where \uXXXX means itself. json-glib
	 * escapes C0 but U+001F (1.6 stops at < 0x1f), which RFC 8259 does
	 * not allow raw either; bytes that are not UTF-8 have no JSON
	 * spelling, so they stay as they are */
	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar) -1 || c == (gunichar) -2) {
			g_string_append_c(out, *p);
			p++;
			continue;
		}
		if (cb_term_escape_is_unsafe(c) && c != '\n' && c != '\t' && c != '\r')
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}
