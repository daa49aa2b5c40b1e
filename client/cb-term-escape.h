/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Text from somewhere else (a disc's header, the service, a file name)
 * made safe to print on a terminal: anything a terminal would obey rather
 * than show becomes a visible escape. --json output carries the exact
 * string instead, JSON-escaped (cb_term_escape_json).
 */
typedef enum {
	CB_TERM_ESCAPE_FIELD = 0,	  /* one value on one line: "\n" escaped too */
	CB_TERM_ESCAPE_KEEP_NEWLINES = 1, /* a message of several lines */
} CbTermEscapeFlags;

/* NULL stays NULL */
gchar *
cb_term_escape(const gchar *text, CbTermEscapeFlags flags);
/* a JSON document, the same after parsing: what json-glib leaves raw in
 * its strings (DEL, C1, the bidirectional controls) as \uXXXX */
gchar *
cb_term_escape_json(const gchar *json);

G_END_DECLS
