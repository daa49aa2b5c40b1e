/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "DVD+RW" for udisks' media name "dvd_plus_rw" (as Drive.Media gives it);
 * NULL for a name that is not an optical disc's ("", "file", unknown).
 * Product names: the same in every language. */
const gchar *
cb_media_name(const gchar *media);

G_END_DECLS
