/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-i18n.h"

#include <glib/gi18n-lib.h>
#include <locale.h>

void
cb_i18n_init(void)
{
	const gchar *dir = g_getenv("CRYPTBURN_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, dir != NULL && g_path_is_absolute(dir) ? dir : LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
}
