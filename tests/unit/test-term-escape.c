/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-term-escape.h"

static void
test_term_escape_field(void)
{
	const struct {
		const gchar *in;
		const gchar *out;
	} cases[] = {
		{ "plain Müller 日本", "plain Müller 日本" },
		{ "\033]0;title\007", "\\x1b]0;title\\x07" },
		{ "a\nb\tc\r", "a\\x0ab\\x09c\\x0d" },
		{ "del\177", "del\\x7f" },
		/* U+009B, CSI to a terminal taking 8-bit controls */
		{ "\302\23331m", "\\u009b31m" },
		/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE */
		{ "\342\200\256txt\342\201\246", "\\u202etxt\\u2066" },
		/* not UTF-8: a lone continuation byte, a cut sequence, 0xff */
		{ "\200x\342\200y\377", "\\x80x\\xe2\\x80y\\xff" },
		{ "", "" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *out = cb_term_escape(cases[i].in, CB_TERM_ESCAPE_FIELD);
		g_assert_cmpstr(out, ==, cases[i].out);
	}
	g_assert_null(cb_term_escape(NULL, CB_TERM_ESCAPE_FIELD));
}

static void
test_term_escape_keep_newlines(void)
{
	g_autofree gchar *out =
	    cb_term_escape("line one\nline \033[2Jtwo\n", CB_TERM_ESCAPE_KEEP_NEWLINES);

	g_assert_cmpstr(out, ==, "line one\nline \\x1b[2Jtwo\n");
}

static void
test_term_escape_json(void)
{
	/* json-glib's escapes stay; what it leaves raw becomes \uXXXX, which
	 * a parser reads back as the same character */
	g_autofree gchar *out =
	    cb_term_escape_json("{\"s\" : \"\\u001b\177\302\233\342\200\256 ok ü\"}");

	/* json-glib 1.6 leaves U+001F raw; pretty output's newlines and
	 * indent are JSON's own */
	g_autofree gchar *unit_separator = cb_term_escape_json("{\n\t\"s\" : \"\037\"\r\n}");

	g_assert_cmpstr(out, ==, "{\"s\" : \"\\u001b\\u007f\\u009b\\u202e ok ü\"}");
	g_assert_cmpstr(unit_separator, ==, "{\n\t\"s\" : \"\\u001f\"\r\n}");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/term-escape/field", test_term_escape_field);
	g_test_add_func("/term-escape/keep-newlines", test_term_escape_keep_newlines);
	g_test_add_func("/term-escape/json", test_term_escape_json);
	return g_test_run();
}
