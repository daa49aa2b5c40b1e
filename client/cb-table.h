/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* aligned columns on standard output, for the drive and job lists */
typedef struct _CbTable CbTable;

/* headers: the column titles, NULL-terminated */
CbTable *
cb_table_new(const gchar *const *headers);
/* cells: one per column, copied */
void
cb_table_add_row(CbTable *self, const gchar *const *cells);
void
cb_table_print(CbTable *self);
void
cb_table_free(CbTable *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbTable, cb_table_free)

G_END_DECLS
