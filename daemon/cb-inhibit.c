/* SPDX-License-Identifier: GPL-3.0-or-later */
/* a job's worker thread */
#include "cb-inhibit.h"

#include <gio/gunixfdlist.h>

gint
cb_inhibit_take(GDBusConnection *bus, const gchar *why)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_sync(
	    bus, "org.freedesktop.login1", "/org/freedesktop/login1",
	    "org.freedesktop.login1.Manager", "Inhibit",
	    g_variant_new("(ssss)", "sleep:shutdown", "cryptburn", why, "block"),
	    G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, &fds, NULL, &error);
	gint32 handle;
	gint fd;

	if (reply == NULL) {
		g_debug("no logind inhibitor: %s", error->message);
		return -1;
	}
	g_variant_get(reply, "(h)", &handle);
	fd = fds != NULL ? g_unix_fd_list_get(fds, handle, &error) : -1;
	if (fd < 0)
		g_debug("no logind inhibitor: %s", error != NULL ? error->message : "no fd");
	return fd;
}
