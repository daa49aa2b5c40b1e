/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Configuration files, as enciso had them: lines "option = value" naming
 * long options without their dashes. SYSCONFDIR/cryptburn/cryptburn.conf,
 * then $XDG_CONFIG_HOME/cryptburn/cryptburn.conf, then --config FILE are
 * read in that order, each overriding the one before; the command line
 * overrides them all. cryptburn(1), CONFIGURATION, has the whole syntax.
 */

/* instead of g_option_context_parse: adds entries (every option of the
 * command, in one table) and --config FILE to the main group of context,
 * reads the configuration files and parses their options before the
 * command line's. As g_option_context_parse does, it leaves argv[0] and
 * whatever no option took in argv and sets argc. A file's mistakes are
 * CB_ERROR_INVALID_OPTION errors naming the file and the line. */
gboolean
cb_config_parse(
    GOptionContext *context, const GOptionEntry *entries, int *argc, char ***argv, GError **error);

G_END_DECLS
