/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb_client_fds_on_message: GDBus' worker thread; cb_client_fds_claim and
 * the sweep: main thread; closes: the closing pool's threads. The parked
 * fds are shared between them under cb_client_fds_lock. */
#include "cb-client-fds.h"

#include <gio/gunixfdlist.h>
#include <unistd.h>

typedef struct {
	gint *fds;
	gint n_fds;
	gint64 parked; /* monotonic */
} CbParked;

static GMutex cb_client_fds_lock;
static GHashTable *cb_client_fds_parked; /* "sender serial" -> CbParked */
static GThreadPool *cb_client_fds_closers;

static gchar *
cb_client_fds_key(const gchar *sender, guint32 serial)
{
	return g_strdup_printf("%s %u", sender != NULL ? sender : "", serial);
}

static void
cb_client_fds_close_now(gpointer data, gpointer user_data)
{
	close(GPOINTER_TO_INT(data) - 1);
}

void
cb_client_fd_close(gint fd)
{
	if (fd < 0)
		return;
	/* a daemon without the filter (a unit test) has no pool either */
	if (cb_client_fds_closers == NULL) {
		close(fd);
		return;
	}
	/* fd + 1: a NULL pointer cannot be queued */
	g_thread_pool_push(cb_client_fds_closers, GINT_TO_POINTER(fd + 1), NULL);
}

static void
cb_parked_free(gpointer data)
{
	CbParked *parked = data;

	for (gint i = 0; i < parked->n_fds; i++)
		cb_client_fd_close(parked->fds[i]);
	g_free(parked->fds);
	g_free(parked);
}

static GDBusMessage *
cb_client_fds_on_message(GDBusConnection *bus,
			 GDBusMessage *message,
			 gboolean incoming,
			 gpointer user_data)
{
	GUnixFDList *list = g_dbus_message_get_unix_fd_list(message);
	CbParked *parked;

	/* method calls only: replies to our own calls (logind's Inhibit)
	 * carry fds we asked for */
	if (!incoming ||
	    g_dbus_message_get_message_type(message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
	    list == NULL || g_unix_fd_list_get_length(list) == 0)
		return message;
	/* the list is the message's, and emptying it is all it takes: the
	 * message is then freed without closing anything */
	parked = g_new0(CbParked, 1);
	parked->fds = g_unix_fd_list_steal_fds(list, &parked->n_fds);
	parked->parked = g_get_monotonic_time();
	g_mutex_lock(&cb_client_fds_lock);
	g_hash_table_replace(cb_client_fds_parked,
			     cb_client_fds_key(g_dbus_message_get_sender(message),
					       g_dbus_message_get_serial(message)),
			     parked);
	g_mutex_unlock(&cb_client_fds_lock);
	return message;
}

static gboolean
cb_client_fds_on_sweep(gpointer data)
{
	gint64 before = g_get_monotonic_time() - CB_CLIENT_FDS_UNCLAIMED_S * G_USEC_PER_SEC;
	GHashTableIter iter;
	gpointer value;

	g_mutex_lock(&cb_client_fds_lock);
	g_hash_table_iter_init(&iter, cb_client_fds_parked);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		if (((CbParked *) value)->parked < before)
			g_hash_table_iter_remove(&iter);
	g_mutex_unlock(&cb_client_fds_lock);
	return G_SOURCE_CONTINUE;
}

void
cb_client_fds_install(GDBusConnection *bus)
{
	cb_client_fds_parked =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, cb_parked_free);
	cb_client_fds_closers =
	    g_thread_pool_new(cb_client_fds_close_now, NULL, CB_CLIENT_FDS_CLOSERS, FALSE, NULL);
	g_dbus_connection_add_filter(bus, cb_client_fds_on_message, NULL, NULL);
	g_timeout_add_seconds(CB_CLIENT_FDS_UNCLAIMED_S, cb_client_fds_on_sweep, NULL);
}

GUnixFDList *
cb_client_fds_claim(GDBusMethodInvocation *invocation)
{
	GDBusMessage *message = g_dbus_method_invocation_get_message(invocation);
	g_autofree gchar *key = cb_client_fds_key(g_dbus_message_get_sender(message),
						  g_dbus_message_get_serial(message));
	gpointer stolen_key = NULL;
	CbParked *parked = NULL;
	GUnixFDList *list;

	g_mutex_lock(&cb_client_fds_lock);
	if (cb_client_fds_parked != NULL)
		g_hash_table_steal_extended(cb_client_fds_parked, key, &stolen_key,
					    (gpointer *) &parked);
	g_mutex_unlock(&cb_client_fds_lock);
	g_free(stolen_key);
	if (parked == NULL)
		return g_unix_fd_list_new();
	list = g_unix_fd_list_new_from_array(parked->fds, parked->n_fds);
	g_free(parked->fds);
	g_free(parked);
	return list;
}

void
cb_client_fds_release(GUnixFDList *fds)
{
	g_autofree gint *stolen = NULL;
	gint n = 0;

	if (fds == NULL)
		return;
	stolen = g_unix_fd_list_steal_fds(fds, &n);
	for (gint i = 0; i < n; i++)
		cb_client_fd_close(stolen[i]);
	g_object_unref(fds);
}
