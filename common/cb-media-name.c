/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-media-name.h"

static const struct {
	const gchar *media;
	const gchar *name;
} cb_media_names[] = {
	{ "cd", "CD" },
	{ "cd_r", "CD-R" },
	{ "cd_rw", "CD-RW" },
	{ "dvd", "DVD" },
	{ "dvd_r", "DVD-R" },
	{ "dvd_r_dl", "DVD-R DL" },
	{ "dvd_rw", "DVD-RW" },
	{ "dvd_ram", "DVD-RAM" },
	{ "dvd_plus_r", "DVD+R" },
	{ "dvd_plus_rw", "DVD+RW" },
	{ "dvd_plus_r_dl", "DVD+R DL" },
	{ "dvd_plus_rw_dl", "DVD+RW DL" },
	{ "bd", "BD" },
	{ "bd_r", "BD-R" },
	{ "bd_re", "BD-RE" },
	{ "hddvd", "HD DVD" },
	{ "hddvd_r", "HD DVD-R" },
	{ "hddvd_rw", "HD DVD-RW" },
};

const gchar *
cb_media_name(const gchar *media)
{
	for (guint i = 0; i < G_N_ELEMENTS(cb_media_names); i++)
		if (g_strcmp0(media, cb_media_names[i].media) == 0)
			return cb_media_names[i].name;
	return NULL;
}
