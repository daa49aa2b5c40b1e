/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-config.h"

#include "cb-error.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

/* every long option of every command. A shared file may hold options of
 * other commands, which the running one skips; a key outside this list
 * is an error, so that a misspelt option does not pass unnoticed.
 * tests/integration/test_config.py checks it against every --help. */
static const gchar *const cb_config_all_options[] = {
	"allow-weak-passphrase",
	"application-id",
	"blank",
	"checksum",
	"compress",
	"copies",
	"drive",
	"eject",
	"force",
	"format",
	"format-disc",
	"full",
	"graft",
	"iter-time",
	"json",
	"keyfile",
	"media-timeout",
	"no-md5",
	"no-verify",
	"noinfo",
	"output",
	"passphrase-fd",
	"passphrase-file",
	"passphrase-hex",
	"pbkdf-force-iterations",
	"pbkdf-memory",
	"preparer",
	"publisher",
	"quiet",
	"serial",
	"simulate",
	"size",
	"speed",
	"spool",
	"system-id",
	"volume-id",
	NULL,
};

/* --config in a file would chain files; a file descriptor number only
 * means something to the process that opened it */
static const gchar *const cb_config_refused[] = {
	"config", "help", "version", "passphrase-fd", NULL,
};

typedef struct {
	const GOptionEntry *entries; /* the running command's */
	guint n_entries;
	/* per entry, a GPtrArray of the values the files gave it: one, or
	 * several for an array option; none for a flag that is off */
	GPtrArray *values;
	gboolean *given; /* per entry: on the command line */
} CbConfig;

static void
cb_config_clear(CbConfig *config)
{
	g_clear_pointer(&config->values, g_ptr_array_unref);
	g_clear_pointer(&config->given, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbConfig, cb_config_clear)

static void
cb_config_init(CbConfig *config, const GOptionEntry *entries)
{
	config->entries = entries;
	config->n_entries = 0;
	while (entries[config->n_entries].long_name != NULL)
		config->n_entries++;
	config->values =
	    g_ptr_array_new_full(config->n_entries, (GDestroyNotify) g_ptr_array_unref);
	for (guint i = 0; i < config->n_entries; i++)
		g_ptr_array_add(config->values, g_ptr_array_new_with_free_func(g_free));
	config->given = g_new0(gboolean, config->n_entries);
}

static gint
cb_config_find_long(const CbConfig *config, const gchar *name, gsize len)
{
	for (guint i = 0; i < config->n_entries; i++) {
		const gchar *long_name = config->entries[i].long_name;
		/* G_OPTION_REMAINING is "" */
		if (long_name[0] != '\0' && strncmp(long_name, name, len) == 0 &&
		    long_name[len] == '\0')
			return (gint) i;
	}
	return -1;
}

static gint
cb_config_find_short(const CbConfig *config, gchar c)
{
	for (guint i = 0; i < config->n_entries; i++) {
		if (config->entries[i].short_name == c)
			return (gint) i;
	}
	return -1;
}

static gboolean
cb_config_is_flag(const GOptionEntry *entry)
{
	return entry->arg == G_OPTION_ARG_NONE;
}

static gboolean
cb_config_is_array(const GOptionEntry *entry)
{
	return entry->arg == G_OPTION_ARG_STRING_ARRAY || entry->arg == G_OPTION_ARG_FILENAME_ARRAY;
}

/* the options of argv as GOption will see them: --config FILE, whether
 * help is asked for, and which options are given (the value of an option
 * that takes one is skipped, as GOption takes the next argument) */
static void
cb_config_scan_args(CbConfig *config, int argc, char **argv, const gchar **file, gboolean *help)
{
	for (int i = 1; i < argc; i++) {
		const gchar *arg = argv[i];
		gboolean takes_value = FALSE;

		if (arg[0] != '-' || arg[1] == '\0')
			continue;
		if (strcmp(arg, "--") == 0)
			break;
		if (arg[1] == '-') {
			const gchar *name = arg + 2;
			const gchar *eq = strchr(name, '=');
			gsize len = eq != NULL ? (gsize) (eq - name) : strlen(name);
			gint index = cb_config_find_long(config, name, len);

			if (strcmp(name, "help") == 0 || g_str_has_prefix(name, "help-"))
				*help = TRUE;
			if (len == strlen("config") && strncmp(name, "config", len) == 0) {
				if (eq != NULL)
					*file = eq + 1;
				else if (i + 1 < argc)
					*file = argv[++i];
				continue;
			}
			if (index < 0)
				continue;
			config->given[index] = TRUE;
			takes_value = eq == NULL && !cb_config_is_flag(&config->entries[index]);
		} else {
			for (const gchar *c = arg + 1; *c != '\0'; c++) {
				gint index = cb_config_find_short(config, *c);

				if (*c == 'h' || *c == '?')
					*help = TRUE;
				if (index < 0)
					continue;
				config->given[index] = TRUE;
				if (!cb_config_is_flag(&config->entries[index]))
					takes_value = TRUE;
			}
		}
		if (takes_value)
			i++;
	}
}

static gboolean
cb_config_parse_flag(const gchar *value, gboolean *on)
{
	const gchar *const yes[] = { "yes", "true", "on", "1" };
	const gchar *const no[] = { "no", "false", "off", "0" };

	for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(value, yes[i]) == 0) {
			*on = TRUE;
			return TRUE;
		}
		if (g_ascii_strcasecmp(value, no[i]) == 0) {
			*on = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}

/* GOption's own complaint would name --iter-time=x but not the file */
static gboolean
cb_config_is_number(const GOptionEntry *entry, const gchar *value)
{
	gchar *end = NULL;
	gint64 number;

	if (entry->arg != G_OPTION_ARG_INT && entry->arg != G_OPTION_ARG_INT64)
		return TRUE;
	errno = 0;
	/* base 0, as GOption reads numbers */
	number = g_ascii_strtoll(value, &end, 0);
	if (value[0] == '\0' || *end != '\0' || errno != 0)
		return FALSE;
	return entry->arg == G_OPTION_ARG_INT64 || (number >= G_MININT && number <= G_MAXINT);
}

static gboolean
cb_config_load_line(
    CbConfig *config, const gchar *path, guint lineno, gchar *line, gboolean *seen, GError **error)
{
	gchar *eq;
	const gchar *key;
	const gchar *value;
	const GOptionEntry *entry;
	GPtrArray *values;
	gboolean on = TRUE;
	gint index;

	g_strstrip(line);
	if (line[0] == '\0' || line[0] == '#' || line[0] == '%')
		return TRUE;
	if (!g_utf8_validate(line, -1, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION, _("%s:%u: not UTF-8 text"),
			    path, lineno);
		return FALSE;
	}
	eq = strchr(line, '=');
	if (eq == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s:%u: expected “option = value”"), path, lineno);
		return FALSE;
	}
	*eq = '\0';
	key = g_strstrip(line);
	value = g_strstrip(eq + 1);
	if (key[0] == '\0') {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s:%u: no option name before “=”"), path, lineno);
		return FALSE;
	}
	if (g_strv_contains(cb_config_refused, key)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s:%u: “%s” cannot be set in a configuration file"), path, lineno,
			    key);
		return FALSE;
	}
	if (!g_strv_contains(cb_config_all_options, key)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s:%u: unknown option “%s”"), path, lineno, key);
		return FALSE;
	}
	index = cb_config_find_long(config, key, strlen(key));
	/* an option of another command: the file is shared by all of them */
	if (index < 0)
		return TRUE;
	entry = &config->entries[index];
	if (cb_config_is_flag(entry) && !cb_config_parse_flag(value, &on)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s:%u: “%s” takes yes or no, not “%s”"), path, lineno, key, value);
		return FALSE;
	}
	if (!cb_config_is_number(entry, value)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s:%u: “%s” takes a whole number, not “%s”"), path, lineno, key,
			    value);
		return FALSE;
	}

	/* the last occurrence in a file wins, but array options gather all
	 * of one file's lines; an earlier file's value is always replaced */
	values = g_ptr_array_index(config->values, index);
	if (!cb_config_is_array(entry) || !seen[index])
		g_ptr_array_set_size(values, 0);
	seen[index] = TRUE;
	if (cb_config_is_flag(entry)) {
		if (on)
			g_ptr_array_add(values, NULL);
	} else if (entry->arg == G_OPTION_ARG_FILENAME && g_str_has_prefix(value, "~/")) {
		g_ptr_array_add(values, g_build_filename(g_get_home_dir(), value + 2, NULL));
	} else {
		g_ptr_array_add(values, g_strdup(value));
	}
	return TRUE;
}

static gboolean
cb_config_load_file(CbConfig *config, const gchar *path, gboolean optional, GError **error)
{
	g_autofree gchar *text = NULL;
	g_autofree gboolean *seen = g_new0(gboolean, config->n_entries);
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) local = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &local)) {
		if (optional && (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
				 g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOTDIR)))
			return TRUE;
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("cannot read the configuration file: %s"), local->message);
		return FALSE;
	}
	if (memchr(text, '\0', len) != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s: not a configuration file (it holds a NUL byte)"), path);
		return FALSE;
	}
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (!cb_config_load_line(config, path, i + 1, lines[i], seen, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
cb_config_load_all(CbConfig *config, const gchar *file, GError **error)
{
	g_autofree gchar *system = NULL;
	g_autofree gchar *user =
	    g_build_filename(g_get_user_config_dir(), "cryptburn", "cryptburn.conf", NULL);
	const gchar *system_env = g_getenv("CRYPTBURN_SYSTEM_CONFIG");

	/* CRYPTBURN_SYSTEM_CONFIG: a hook for the test suite and for packagers
	 * trying a file before installing it. It moves only the file that
	 * every other one overrides, and it names a file the user can
	 * already pass with --config, so it grants nothing. */
	if (system_env != NULL)
		system = g_strdup(system_env);
	else
		system = g_build_filename(SYSCONFDIR, "cryptburn", "cryptburn.conf", NULL);
	if (!cb_config_load_file(config, system, TRUE, error) ||
	    !cb_config_load_file(config, user, TRUE, error))
		return FALSE;
	return file == NULL || cb_config_load_file(config, file, FALSE, error);
}

/* argv[0], the files' options, then the command line, whose options win
 * by coming later; an array option on the command line would otherwise
 * add to the files' list instead of replacing it */
static GStrv
cb_config_build_args(const CbConfig *config, int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new();

	g_ptr_array_add(args, g_strdup(argv[0]));
	for (guint i = 0; i < config->n_entries; i++) {
		const GOptionEntry *entry = &config->entries[i];
		GPtrArray *values = g_ptr_array_index(config->values, i);

		if (config->given[i] && cb_config_is_array(entry))
			continue;
		if (cb_config_is_flag(entry)) {
			if (values->len > 0)
				g_ptr_array_add(args, g_strdup_printf("--%s", entry->long_name));
			continue;
		}
		for (guint j = 0; j < values->len; j++)
			g_ptr_array_add(args, g_strdup_printf("--%s=%s", entry->long_name,
							      (const gchar *) values->pdata[j]));
	}
	for (int i = 1; i < argc; i++)
		g_ptr_array_add(args, g_strdup(argv[i]));
	g_ptr_array_add(args, NULL);
	return (GStrv) g_ptr_array_free(args, FALSE);
}

/* hands back what GOption left in the copy as the caller's own strings in
 * the caller's array, as g_option_context_parse would have; the files'
 * options are all taken, so the rest keeps the command line's order */
static void
cb_config_return_rest(char **rest, int *argc, char ***argv)
{
	int n = 1;
	int j = 1;

	for (guint i = 1; rest[i] != NULL; i++) {
		while (j < *argc && strcmp((*argv)[j], rest[i]) != 0)
			j++;
		if (j == *argc)
			break;
		(*argv)[n++] = (*argv)[j++];
	}
	*argc = n;
	(*argv)[n] = NULL;
}

gboolean
cb_config_parse(
    GOptionContext *context, const GOptionEntry *entries, int *argc, char ***argv, GError **error)
{
	/* GOption sets it when it parses --config; the scan below has read it
	 * already, and the context is not parsed again after we return */
	g_autofree gchar *config_file = NULL;
	const GOptionEntry config_entry[] = {
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config_file,
		  N_("Read options from FILE, after the system's and your configuration files"),
		  N_("FILE") },
		{ NULL },
	};
	g_auto(CbConfig) config = { 0 };
	g_auto(GStrv) args = NULL;
	const gchar *file = NULL;
	gboolean help = FALSE;

	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(context, config_entry, GETTEXT_PACKAGE);
	cb_config_init(&config, entries);
	cb_config_scan_args(&config, *argc, *argv, &file, &help);
	/* --help has to work while a file is broken: it tells how to fix it */
	if (!help && !cb_config_load_all(&config, file, error))
		return FALSE;
	args = cb_config_build_args(&config, *argc, *argv);
	if (!g_option_context_parse_strv(context, &args, error))
		return FALSE;
	cb_config_return_rest(args, argc, argv);
	return TRUE;
}
