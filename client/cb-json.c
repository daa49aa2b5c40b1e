/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-json.h"

#include "cb-term-escape.h"

void
cb_json_add_string(JsonBuilder *b, const gchar *name, const gchar *value)
{
	json_builder_set_member_name(b, name);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

void
cb_json_add_int(JsonBuilder *b, const gchar *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

void
cb_json_add_double(JsonBuilder *b, const gchar *name, gdouble value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, value);
}

void
cb_json_add_boolean(JsonBuilder *b, const gchar *name, gboolean value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, value);
}

void
cb_json_print(JsonBuilder *b, gboolean pretty)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree gchar *text = json_to_string(root, pretty);
	g_autofree gchar *safe = cb_term_escape_json(text);

	/* g_print flushes: a script reading the pipe sees each line at once */
	g_print("%s\n", safe);
}
