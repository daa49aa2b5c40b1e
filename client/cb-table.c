/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-table.h"

#include "cb-term-escape.h"

struct _CbTable {
	guint columns;
	GPtrArray *rows; /* GStrv, the headers first */
};

CbTable *
cb_table_new(const gchar *const *headers)
{
	CbTable *self = g_new0(CbTable, 1);

	self->columns = g_strv_length((gchar **) headers);
	self->rows = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
	cb_table_add_row(self, headers);
	return self;
}

void
cb_table_add_row(CbTable *self, const gchar *const *cells)
{
	gchar **row = g_new0(gchar *, self->columns + 1);

	/* drive names, labels and job messages come from drives and discs */
	for (guint i = 0; i < self->columns; i++)
		row[i] = cells[i] != NULL ? cb_term_escape(cells[i], CB_TERM_ESCAPE_FIELD)
					  : g_strdup("");
	g_ptr_array_add(self->rows, row);
}

void
cb_table_print(CbTable *self)
{
	g_autofree guint *widths = g_new0(guint, self->columns);

	/* characters, not bytes: names and translations are UTF-8 */
	for (guint r = 0; r < self->rows->len; r++) {
		gchar **row = g_ptr_array_index(self->rows, r);
		for (guint c = 0; c < self->columns; c++)
			widths[c] = MAX(widths[c], (guint) g_utf8_strlen(row[c], -1));
	}
	for (guint r = 0; r < self->rows->len; r++) {
		gchar **row = g_ptr_array_index(self->rows, r);
		g_autoptr(GString) line = g_string_new(NULL);

		for (guint c = 0; c < self->columns; c++) {
			g_string_append(line, row[c]);
			if (c + 1 == self->columns)
				break;
			for (guint pad = (guint) g_utf8_strlen(row[c], -1); pad < widths[c] + 2;
			     pad++)
				g_string_append_c(line, ' ');
		}
		g_print("%s\n", line->str);
	}
}

void
cb_table_free(CbTable *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->rows);
	g_free(self);
}
