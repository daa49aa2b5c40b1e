/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-client.h"
#include "cb-config.h"
#include "cb-error.h"
#include "cb-exit.h"
#include "cb-follow.h"
#include "cb-term-escape.h"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

/* as cryptburn burn starts its job: the main loop runs while polkit may
 * ask on the terminal, and a signal meanwhile cancels the job as soon as
 * the service names it */
static int
cb_blank_start_and_follow(CbClient *client,
			  CbDBusDrive *drive,
			  GVariant *options,
			  CbFollowFlags flags)
{
	const gchar *drive_path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(drive));
	g_autoptr(CbFollow) follow = cb_follow_new(client, NULL, flags);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *job = NULL;
	gboolean refused;

	job = cb_follow_start_job(follow, drive_path, CB_DRIVE_INTERFACE, "Blank",
				  g_variant_new("(@a{sv})", options), NULL, &refused, &error);
	if (job == NULL)
		return cb_follow_fail(follow, error);
	if (!(flags & CB_FOLLOW_QUIET) && isatty(STDERR_FILENO)) {
		g_autofree gchar *device =
		    cb_term_escape(cb_dbus_drive_get_device(drive), CB_TERM_ESCAPE_FIELD);
		g_printerr(_("Started job %s on %s.\n"), strrchr(job, '/') + 1, device);
	}
	return cb_follow_run(follow, job);
}

int
cb_cmd_blank(int argc, char **argv)
{
	g_autofree gchar *drive_spec = NULL;
	gboolean full = FALSE, format = FALSE, eject = FALSE, json = FALSE, quiet = FALSE;
	g_auto(GStrv) rest = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	g_autoptr(CbDBusDrive) drive = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	CbFollowFlags flags;
	const GOptionEntry entries[] = {
		{ "full", 0, 0, G_OPTION_ARG_NONE, &full,
		  N_("Erase the whole disc, not only its table of contents (takes as long as "
		     "writing it)"),
		  NULL },
		{ "format-disc", 0, 0, G_OPTION_ARG_NONE, &format,
		  N_("Format the disc (DVD-RW to overwritable, DVD+RW, DVD-RAM, BD-RE)"), NULL },
		{ "drive", 0, 0, G_OPTION_ARG_STRING, &drive_spec,
		  N_("The drive: its device, e.g. /dev/sr0, or its name in “cryptburn drives” "
		     "(default: the only drive)"),
		  N_("DEVICE") },
		{ "eject", 0, 0, G_OPTION_ARG_NONE, &eject,
		  N_("Eject the disc when blanking succeeded"), NULL },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json,
		  N_("Print progress and the result as JSON, one object per line"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress display"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, NULL },
		{ NULL },
	};

	context = g_option_context_new(NULL);
	g_option_context_set_summary(
	    context,
	    _("Blanks or formats the rewritable disc (CD-RW, DVD-RW, DVD+RW, DVD-RAM, BD-RE)\n"
	      "in a drive of the cryptburn service: everything on it is lost. The default\n"
	      "fast blank erases only what tells where the data is (on DVD+RW, DVD-RAM and\n"
	      "BD-RE: the first 2 MiB, where every header is); --full overwrites the whole\n"
	      "disc; --format-disc formats it. Ctrl-C cancels a blank that has not started;\n"
	      "once the drive erases, it finishes."));
	g_option_context_set_description(context, cb_exit_help());
	if (!cb_config_parse(context, entries, &argc, &argv, &error))
		return cb_exit_report(error);
	if (rest != NULL && rest[0] != NULL) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
			    _("unexpected argument “%s”; name the drive with --drive"), rest[0]);
		return cb_exit_report(error);
	}
	flags = CB_FOLLOW_CANCEL_ON_SIGNAL | (json ? CB_FOLLOW_JSON : 0) |
		(quiet ? CB_FOLLOW_QUIET : 0);
	if (full && format) {
		g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("--full and --format-disc cannot go together"));
		return cb_exit_report(error);
	}
	/* the service's default is a fast blank; say only what differs */
	if (full || format)
		g_variant_dict_insert(&options, "mode", "s", full ? "full" : "format");
	if (eject)
		g_variant_dict_insert(&options, "eject", "b", TRUE);
	client = cb_client_new(CB_CLIENT_AUTHORIZE, &error);
	if (client == NULL)
		return cb_follow_report_failure(flags, error);
	drive = cb_client_find_drive(client, drive_spec, &error);
	if (drive == NULL)
		return cb_follow_report_failure(flags, error);
	return cb_blank_start_and_follow(client, drive, g_variant_dict_end(&options), flags);
}
