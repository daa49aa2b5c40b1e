/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What the daemon sends cryptburn-reader on its stdin: a little-endian
 * uint32 length, then a GVariant "(asa{sv})" of the sources and the ISO
 * options. One limit for both ends: the daemon builds the request when a
 * method call arrives and refuses one the reader would refuse, before a
 * job exists.
 */

/* far more than any real request: 256 sources of 4 KiB and their grafts */
#define CB_READER_MAX_REQUEST (1024 * 1024)

/* the length-prefixed request; sources NULL: none (grafts alone) */
GBytes *
cb_reader_build_request(const gchar *const *sources, GVariant *iso_options, GError **error);

G_END_DECLS
