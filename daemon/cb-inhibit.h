/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A logind "block" inhibitor on sleep and shutdown while a disc is being
 * written: suspending mid-burn ruins a write-once disc. The lock holds
 * until the returned fd is closed; -1 when logind is not there (a
 * container, a private test bus), which is logged and not an error.
 * Blocks briefly; call from a worker thread.
 */
gint
cb_inhibit_take(GDBusConnection *bus, const gchar *why);

G_END_DECLS
