/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"
#include "cb-exit.h"
#include "cb-i18n.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

typedef struct {
	const gchar *name;
	int (*run)(int argc, char **argv);
	const gchar *summary;
} CbCommand;

static const CbCommand cb_commands[] = {
	{ "image", cb_cmd_image, N_("Write an encrypted image of files and folders") },
	{ "encrypt-image", cb_cmd_encrypt_image, N_("Encrypt an existing plain image") },
	{ "info", cb_cmd_info, N_("Show how an encrypted image was made") },
	{ "verify", cb_cmd_verify, N_("Check an image against its recorded checksum") },
	{ "extract-key", cb_cmd_extract_key, N_("Write out an image's key block or LUKS header") },
	{ "drives", cb_cmd_drives, N_("List the drives and the discs in them") },
	{ "burn", cb_cmd_burn, N_("Burn an encrypted disc of files and folders") },
	{ "burn-image", cb_cmd_burn_image, N_("Encrypt a disc image and burn it") },
	{ "jobs", cb_cmd_jobs, N_("List the burn jobs") },
	{ "watch", cb_cmd_watch, N_("Follow a job to its end") },
	{ "cancel", cb_cmd_cancel, N_("Cancel a job") },
	{ "blank", cb_cmd_blank, N_("Blank a rewritable disc") },
	{ "eject", cb_cmd_eject, N_("Open a drive's tray") },
};

static void
cb_usage(FILE *out)
{
	fprintf(out, "%s\n\n", _("Usage: cryptburn COMMAND [OPTION…]"));
	fprintf(out, "%s\n", _("Burns encrypted discs and writes encrypted disc images."));
	fprintf(out, "\n%s\n", _("Commands:"));
	for (guint i = 0; i < G_N_ELEMENTS(cb_commands); i++)
		fprintf(out, "  %-13s %s\n", cb_commands[i].name, _(cb_commands[i].summary));
	fprintf(out, "\n%s\n\n%s", _("“cryptburn COMMAND --help” shows a command's options."),
		cb_exit_help());
}

int
main(int argc, char **argv)
{
	cb_i18n_init();

	/* secrets pass through this process: no core dumps, no ptrace by
	 * other processes of the same user. LeakSanitizer must ptrace its own
	 * process, so sanitizer builds keep it dumpable. */
#ifndef __SANITIZE_ADDRESS__
	prctl(PR_SET_DUMPABLE, 0);
#endif
	/* a closed pipe on -o - is an error to report, not a silent death */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		cb_usage(stderr);
		return CB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cb_usage(stdout);
		return CB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		g_print("cryptburn %s\n", CB_VERSION);
		return CB_EXIT_OK;
	}
	for (guint i = 0; i < G_N_ELEMENTS(cb_commands); i++) {
		if (strcmp(argv[1], cb_commands[i].name) == 0) {
			g_autofree gchar *prgname = g_strdup_printf("cryptburn %s", argv[1]);
			g_set_prgname(prgname);
			return cb_commands[i].run(argc - 1, argv + 1);
		}
	}
	g_printerr(_("cryptburn: unknown command “%s”\n\n"), argv[1]);
	cb_usage(stderr);
	return CB_EXIT_USAGE;
}
