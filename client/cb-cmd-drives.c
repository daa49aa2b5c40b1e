/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-client.h"
#include "cb-config.h"
#include "cb-exit.h"
#include "cb-json.h"
#include "cb-table.h"

#include <glib/gi18n.h>
#include <string.h>

static gchar *
cb_drives_size(guint64 bytes)
{
	return bytes > 0 ? g_format_size(bytes) : g_strdup("-");
}

static const gchar *
cb_drives_or_dash(const gchar *text)
{
	return text != NULL && text[0] != '\0' ? text : "-";
}

static void
cb_drives_print_text(GList *drives)
{
	const gchar *headers[] = { _("DEVICE"),	  _("DRIVE"), _("MEDIA"), _("STATUS"),
				   _("CAPACITY"), _("FREE"),  _("BUSY"),  NULL };
	g_autoptr(CbTable) table = cb_table_new(headers);

	for (GList *l = drives; l != NULL; l = l->next) {
		CbDBusDrive *drive = l->data;
		g_autofree gchar *name = g_strjoin(" ", cb_dbus_drive_get_vendor(drive) ?: "",
						   cb_dbus_drive_get_model(drive) ?: "", NULL);
		g_autofree gchar *capacity = cb_drives_size(cb_dbus_drive_get_capacity(drive));
		g_autofree gchar *free_bytes = cb_drives_size(cb_dbus_drive_get_free_bytes(drive));
		g_autofree gchar *busy = NULL;
		const gchar *job = cb_dbus_drive_get_job(drive);
		const gchar *cells[8];

		if (!cb_dbus_drive_get_busy(drive))
			busy = g_strdup(_("no"));
		else if (job != NULL && g_strcmp0(job, "/") != 0)
			busy = g_strdup_printf(_("job %s"), strrchr(job, '/') + 1);
		else
			busy = g_strdup(_("yes"));
		g_strstrip(name);
		cells[0] = cb_dbus_drive_get_device(drive);
		cells[1] = cb_drives_or_dash(name);
		cells[2] = cb_drives_or_dash(cb_dbus_drive_get_media(drive));
		cells[3] = cb_drives_or_dash(cb_dbus_drive_get_media_status(drive));
		cells[4] = capacity;
		cells[5] = free_bytes;
		cells[6] = busy;
		cells[7] = NULL;
		cb_table_add_row(table, cells);
	}
	cb_table_print(table);
}

static void
cb_drives_add_speeds(JsonBuilder *b, CbDBusDrive *drive)
{
	GVariant *speeds = cb_dbus_drive_get_write_speeds(drive);
	GVariantIter iter;
	guint32 speed;

	json_builder_set_member_name(b, "write_speeds");
	json_builder_begin_array(b);
	if (speeds != NULL) {
		g_variant_iter_init(&iter, speeds);
		while (g_variant_iter_next(&iter, "u", &speed))
			json_builder_add_int_value(b, speed);
	}
	json_builder_end_array(b);
}

static void
cb_drives_print_json(GList *drives)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_array(b);
	for (GList *l = drives; l != NULL; l = l->next) {
		CbDBusDrive *drive = l->data;
		const gchar *job = cb_dbus_drive_get_job(drive);

		json_builder_begin_object(b);
		cb_json_add_string(b, "object", g_dbus_proxy_get_object_path(G_DBUS_PROXY(drive)));
		cb_json_add_string(b, "device", cb_dbus_drive_get_device(drive));
		cb_json_add_string(b, "vendor", cb_dbus_drive_get_vendor(drive));
		cb_json_add_string(b, "model", cb_dbus_drive_get_model(drive));
		cb_json_add_boolean(b, "media_present", cb_dbus_drive_get_media_present(drive));
		cb_json_add_string(b, "media", cb_dbus_drive_get_media(drive));
		cb_json_add_string(b, "media_status", cb_dbus_drive_get_media_status(drive));
		cb_json_add_int(b, "capacity", (gint64) cb_dbus_drive_get_capacity(drive));
		cb_json_add_int(b, "free_bytes", (gint64) cb_dbus_drive_get_free_bytes(drive));
		cb_json_add_boolean(b, "erasable", cb_dbus_drive_get_media_erasable(drive));
		cb_drives_add_speeds(b, drive);
		cb_json_add_boolean(b, "busy", cb_dbus_drive_get_busy(drive));
		cb_json_add_string(b, "job", g_strcmp0(job, "/") != 0 ? job : NULL);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	cb_json_print(b, TRUE);
}

int
cb_cmd_drives(int argc, char **argv)
{
	gboolean json = FALSE;
	g_auto(GStrv) rest = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	GList *drives;
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print as JSON"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};

	context = g_option_context_new(NULL);
	g_option_context_set_summary(
	    context, _("Lists the drives of the cryptburn service and the discs in them."));
	g_option_context_set_description(context, cb_exit_help());
	if (!cb_config_parse(context, entries, &argc, &argv, &error))
		return cb_exit_report(error);
	if (rest != NULL && rest[0] != NULL) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    _("unexpected argument “%s”"), rest[0]);
		return cb_exit_report(error);
	}
	client = cb_client_new(CB_CLIENT_NONE, &error);
	if (client == NULL)
		return cb_exit_report(error);
	drives = cb_client_list(client, CB_DRIVE_INTERFACE);
	if (json)
		cb_drives_print_json(drives);
	else if (drives == NULL)
		g_print("%s\n", _("No drives."));
	else
		cb_drives_print_text(drives);
	g_list_free_full(drives, g_object_unref);
	return CB_EXIT_OK;
}
