/* SPDX-License-Identifier: GPL-3.0-or-later */
/* a job's worker thread */
#include "cb-agent.h"

#include "cb-error.h"
#include "cb-passphrase.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define CB_AGENT_INTERFACE "org.cryptburn.CryptBurn1.PassphraseAgent"
/* dbus-daemon's max_message_size unless its configuration says otherwise */
#define CB_AGENT_BUS_MESSAGE_MAX_MIB 32

static void
cb_agent_send_cancel(GDBusConnection *bus,
		     const gchar *peer,
		     const gchar *agent_path,
		     const gchar *job_path)
{
	/* nobody waits for the answer: the agent may be gone already */
	g_dbus_connection_call(bus, peer, agent_path, CB_AGENT_INTERFACE, "Cancel",
			       g_variant_new("(o)", job_path), NULL,
			       G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, NULL, NULL);
}

static CbSecret *
cb_agent_take_reply(GVariant *reply, GError **error)
{
	g_autoptr(GVariant) bytes = g_variant_get_child_value(reply, 0);
	gsize len = 0;
	const guint8 *data = g_variant_get_fixed_array(bytes, &len, 1);
	g_autoptr(CbSecret) secret = NULL;

	if (len > CB_PASSPHRASE_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("the passphrase is longer than %d bytes"), CB_PASSPHRASE_MAX);
	} else {
		secret = cb_secret_new(len, error);
		if (secret != NULL) {
			memcpy((guint8 *) cb_secret_peek(secret), data, len);
			cb_secret_set_size(secret, len);
		}
	}
	/* the reply's copy lives in ordinary memory: wipe it before it is
	 * freed (the message buffer GDBus read it from is beyond our reach) */
	explicit_bzero((gpointer) data, len);
	return g_steal_pointer(&secret);
}

/*
 * dbus-daemon fails a call with NoReply both when its recipient leaves the
 * bus and when the bus's own reply timeout passes; only the first leaves
 * the agent's unique name without an owner. The bus answers this after it
 * has dealt with the disconnection, so the question cannot come too early.
 */
static gboolean
cb_agent_peer_left(GDBusConnection *bus, const gchar *peer)
{
	gboolean owned = TRUE;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
	    bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
	    "NameHasOwner", g_variant_new("(s)", peer), G_VARIANT_TYPE("(b)"),
	    G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);

	if (reply != NULL)
		g_variant_get(reply, "(b)", &owned);
	return !owned;
}

CbSecret *
cb_agent_request_passphrase(GDBusConnection *bus,
			    const gchar *peer,
			    const gchar *agent_path,
			    const gchar *job_path,
			    const gchar *message,
			    GVariant *hints,
			    guint timeout_ms,
			    GCancellable *cancellable,
			    GError **error)
{
	g_autoptr(GError) call_error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
	    bus, peer, agent_path, CB_AGENT_INTERFACE, "RequestPassphrase",
	    g_variant_new("(os@a{sv})", job_path, message, hints), G_VARIANT_TYPE("(ay)"),
	    G_DBUS_CALL_FLAGS_NO_AUTO_START, (gint) timeout_ms, cancellable, &call_error);

	if (reply != NULL)
		return cb_agent_take_reply(reply, error);
	/* a bus disconnects a program that sends a message over its size
	 * limit: the likeliest reason an agent that was asking leaves */
	if (g_error_matches(call_error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) &&
	    cb_agent_peer_left(bus, peer)) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
			    _("no passphrase: the passphrase agent was disconnected instead of "
			      "answering, as the bus disconnects a program whose reply is over its "
			      "message size limit (%d MiB unless configured otherwise); a "
			      "passphrase has at most %d bytes"),
			    CB_AGENT_BUS_MESSAGE_MAX_MIB, CB_PASSPHRASE_MAX);
		return NULL;
	}
	if (g_error_matches(call_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		cb_agent_send_cancel(bus, peer, agent_path, job_path);
		g_propagate_error(error, g_steal_pointer(&call_error));
		return NULL;
	}
	if (g_error_matches(call_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(call_error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
	    g_error_matches(call_error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)) {
		cb_agent_send_cancel(bus, peer, agent_path, job_path);
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
			    _("no passphrase: the passphrase agent did not answer within %u s"),
			    (timeout_ms + 999) / 1000);
		return NULL;
	}
	g_dbus_error_strip_remote_error(call_error);
	g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE_REQUIRED,
		    _("no passphrase: the passphrase agent refused: %s"), call_error->message);
	return NULL;
}
