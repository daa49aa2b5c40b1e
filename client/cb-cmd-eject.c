/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-client.h"
#include "cb-config.h"
#include "cb-exit.h"
#include "cb-json.h"

#include <glib/gi18n.h>

/* one shape for success and failure, as the other --json results have:
 * drive and device are null when no drive was chosen */
static void
cb_eject_print_json(CbDBusDrive *drive, const GError *error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree gchar *name = error != NULL ? cb_client_error_name(error) : NULL;

	json_builder_begin_object(b);
	cb_json_add_string(
	    b, "drive", drive != NULL ? g_dbus_proxy_get_object_path(G_DBUS_PROXY(drive)) : NULL);
	cb_json_add_string(b, "device", drive != NULL ? cb_dbus_drive_get_device(drive) : NULL);
	cb_json_add_boolean(b, "ejected", error == NULL);
	cb_json_add_string(b, "error", name);
	cb_json_add_string(b, "message", error != NULL ? error->message : NULL);
	json_builder_end_object(b);
	cb_json_print(b, FALSE);
}

static int
cb_eject_fail(gboolean json, CbDBusDrive *drive, const GError *error)
{
	if (json)
		cb_eject_print_json(drive, error);
	return cb_exit_report(error);
}

int
cb_cmd_eject(int argc, char **argv)
{
	g_autofree gchar *drive_spec = NULL;
	gboolean json = FALSE;
	g_auto(GStrv) rest = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	g_autoptr(CbDBusDrive) drive = NULL;
	g_autoptr(GVariant) reply = NULL;
	const GOptionEntry entries[] = {
		{ "drive", 0, 0, G_OPTION_ARG_STRING, &drive_spec,
		  N_("The drive: its device, e.g. /dev/sr0, or its name in “cryptburn drives” "
		     "(default: the only drive)"),
		  N_("DEVICE") },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};

	context = g_option_context_new(NULL);
	g_option_context_set_summary(
	    context, _("Opens the tray of a drive of the cryptburn service. A drive busy with a "
		       "job is\nnot ejected; cancel the job first."));
	g_option_context_set_description(context, cb_exit_help());
	if (!cb_config_parse(context, entries, &argc, &argv, &error))
		return cb_exit_report(error);
	if (rest != NULL && rest[0] != NULL) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    _("unexpected argument “%s”; name the drive with --drive"), rest[0]);
		return cb_exit_report(error);
	}
	client = cb_client_new(CB_CLIENT_AUTHORIZE, &error);
	if (client == NULL)
		return cb_eject_fail(json, NULL, error);
	drive = cb_client_find_drive(client, drive_spec, &error);
	if (drive == NULL)
		return cb_eject_fail(json, NULL, error);
	/* the polkit text agent runs on its own thread: a blocking call
	 * leaves it free to ask for a password meanwhile */
	reply = cb_client_call_sync(
	    client, g_dbus_proxy_get_object_path(G_DBUS_PROXY(drive)), CB_DRIVE_INTERFACE, "Eject",
	    g_variant_new("(@a{sv})", g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)), NULL,
	    &error);
	if (reply == NULL)
		return cb_eject_fail(json, drive, error);
	if (json)
		cb_eject_print_json(drive, NULL);
	return CB_EXIT_OK;
}
