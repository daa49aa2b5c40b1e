/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* --json output of the service commands: members that may be missing are
 * null rather than absent, so that scripts see one shape */
void
cb_json_add_string(JsonBuilder *b, const gchar *name, const gchar *value);
void
cb_json_add_int(JsonBuilder *b, const gchar *name, gint64 value);
void
cb_json_add_double(JsonBuilder *b, const gchar *name, gdouble value);
void
cb_json_add_boolean(JsonBuilder *b, const gchar *name, gboolean value);
/* prints the builder's value on standard output: pretty for listings,
 * one line per object for streams a script reads line by line */
void
cb_json_print(JsonBuilder *b, gboolean pretty);

G_END_DECLS
