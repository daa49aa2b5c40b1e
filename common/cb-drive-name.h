/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "HL-DT-ST BD-RE BH16NS40" from a drive's vendor and model (either may be
 * NULL or empty); NULL when neither says anything, as for a test drive */
gchar *
cb_drive_product_name(const gchar *vendor, const gchar *model);

G_END_DECLS
