/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the volume id a disc gets when the user names none, shared by the
 * command line and the daemon's reader so both name a disc alike: the
 * first source's base name, made valid UTF-8 and cut to the 32 bytes
 * ISO 9660 allows, or "CRYPTBURN" (no sources, "/", ".") */
gchar *
cb_volume_id_default(const gchar *const *sources);

G_END_DECLS
