/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburn's configuration files (client/cb-config.c): the input is a
 * file given with --config, read after an absent system file and an
 * empty user directory, then handed to GOption with the command line.
 * The options are a command's of every kind a file can set.
 */
#include "cb-config.h"

#include "fuzz-memfd.h"

#include <glib/gstdio.h>
#include <stdlib.h>

static gchar *opt_format;
static gchar *opt_output;
static gchar **opt_graft;
static gint opt_iter_time;
static gint64 opt_size;
static gboolean opt_noinfo;
static gboolean opt_quiet;

static const GOptionEntry entries[] = {
	{ "format", 0, 0, G_OPTION_ARG_STRING, &opt_format, NULL, NULL },
	{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, NULL, NULL },
	{ "graft", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_graft, NULL, NULL },
	{ "iter-time", 0, 0, G_OPTION_ARG_INT, &opt_iter_time, NULL, NULL },
	{ "size", 0, 0, G_OPTION_ARG_INT64, &opt_size, NULL, NULL },
	{ "noinfo", 0, 0, G_OPTION_ARG_NONE, &opt_noinfo, NULL, NULL },
	{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, NULL, NULL },
	{ NULL },
};

static gchar *fuzz_home;

/* the run leaves nothing behind: the directory stays empty */
static void
fuzz_remove_home(void)
{
	g_rmdir(fuzz_home);
	g_clear_pointer(&fuzz_home, g_free);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* no real configuration may take part: the system file is moved to
	 * where none is, the user's to a directory nobody writes into */
	gchar *home = g_dir_make_tmp("cb-fuzz-config-XXXXXX", NULL);

	g_assert_nonnull(home);
	fuzz_home = home;
	atexit(fuzz_remove_home);
	g_setenv("CRYPTBURN_SYSTEM_CONFIG", "/nonexistent/cryptburn.conf", TRUE);
	g_setenv("XDG_CONFIG_HOME", home, TRUE);
	g_setenv("HOME", home, TRUE);
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_auto(CbFuzzFile) file = { .fd = -1 };
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_arg = NULL;
	gchar *args[] = { "cryptburn", NULL, "--quiet", "folder", NULL };
	gchar **argv = args;
	int argc = G_N_ELEMENTS(args) - 1;

	if (!cb_fuzz_file_open(&file, data, size, 0))
		return 0;
	config_arg = g_strdup_printf("--config=%s", file.path);
	args[1] = config_arg;
	g_option_context_set_help_enabled(context, FALSE);
	if (cb_config_parse(context, entries, &argc, &argv, &error)) {
		/* what no option took, in the command line's order */
		g_assert_cmpint(argc, ==, 2);
		g_assert_cmpstr(argv[1], ==, "folder");
	} else {
		g_assert_nonnull(error);
	}
	g_clear_pointer(&opt_format, g_free);
	g_clear_pointer(&opt_output, g_free);
	g_clear_pointer(&opt_graft, g_strfreev);
	opt_iter_time = 0;
	opt_size = 0;
	opt_noinfo = FALSE;
	opt_quiet = FALSE;
	return 0;
}
