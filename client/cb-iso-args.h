/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The ISO 9660 options and SOURCEs of the commands that build an image
 * from files: "cryptburn image" (built here) and "cryptburn burn" (built
 * by the service's reader). One table, one check.
 */
typedef struct {
	gchar *volume_id;
	gchar *application_id;
	gchar *publisher;
	gchar *preparer;
	gchar *system_id;
	gchar **grafts;
	gboolean no_md5;
	gboolean compress;
	gchar **sources;
} CbIsoArgs;

void
cb_iso_args_clear(CbIsoArgs *args);

/* appends the options and the SOURCE list to entries (a zero-terminated
 * GArray of GOptionEntry); to_disc: the help speaks of a disc */
void
cb_iso_args_add_entries(CbIsoArgs *args, GArray *entries, gboolean to_disc);

/* at least one SOURCE or graft, and no empty SOURCE; none_message says
 * what the command wanted them for */
gboolean
cb_iso_args_validate(const CbIsoArgs *args, const gchar *none_message, GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbIsoArgs, cb_iso_args_clear)

G_END_DECLS
