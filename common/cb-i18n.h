/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The user's locale and cryptburn's message catalogue, for the programs a
 * person runs (cryptburn, cryptburn-dialog). The catalogue comes from the
 * installed locale directory, or from $CRYPTBURN_LOCALEDIR when it names
 * an absolute directory: a build tree's po/ (the tests of the German
 * translation), as GSETTINGS_SCHEMA_DIR does for schemas. Main thread,
 * before anything is printed.
 */
void
cb_i18n_init(void);

G_END_DECLS
