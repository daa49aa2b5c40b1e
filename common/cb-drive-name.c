/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-drive-name.h"

gchar *
cb_drive_product_name(const gchar *vendor, const gchar *model)
{
	g_autofree gchar *name = g_strjoin(" ", vendor ?: "", model ?: "", NULL);

	g_strstrip(name);
	return name[0] != '\0' ? g_steal_pointer(&name) : NULL;
}
