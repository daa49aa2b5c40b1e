/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What stands between a forged header's text and a terminal
 * (client/cb-term-escape.c): whatever the bytes, the escaped text is UTF-8
 * a terminal only shows, and the escaped JSON parses back to the same
 * string.
 */
#include "cb-term-escape.h"

#include <json-glib/json-glib.h>

/* cb-term-escape.c's list, written out again so that the harness checks
 * the promise rather than the code */
static gboolean
obeyed_by_terminal(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 ||
	       c == 0x2029;
}

static void
assert_shown_only(const gchar *text, gboolean newlines)
{
	g_assert_true(g_utf8_validate(text, -1, NULL));
	for (const gchar *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_assert_true(!obeyed_by_terminal(c) || (newlines && c == '\n'));
	}
}

static void
check_json(const gchar *text)
{
	g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), text);
	g_autofree gchar *json = json_to_string(node, FALSE);
	g_autofree gchar *escaped = cb_term_escape_json(json);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	assert_shown_only(escaped, FALSE);
	g_assert_true(json_parser_load_from_data(parser, escaped, -1, &error));
	g_assert_cmpstr(json_node_get_string(json_parser_get_root(parser)), ==, text);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autofree gchar *text = g_strndup((const gchar *) data, size);
	g_autofree gchar *field = cb_term_escape(text, CB_TERM_ESCAPE_FIELD);
	g_autofree gchar *lines = cb_term_escape(text, CB_TERM_ESCAPE_KEEP_NEWLINES);

	assert_shown_only(field, FALSE);
	assert_shown_only(lines, TRUE);
	/* bytes that are not UTF-8 have no JSON spelling */
	if (g_utf8_validate(text, -1, NULL))
		check_json(text);
	return 0;
}
