/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-burn-request.h"
#include "cb-config.h"
#include "cb-exit.h"
#include "cb-iso-args.h"

#include <glib/gi18n.h>

/* the service's reader does not run in our directory; it resolves the
 * rest (symlinks, "..") as the kernel does, so only prefix the cwd */
static gchar *
cb_burn_absolute(const gchar *path, const gchar *cwd)
{
	if (g_path_is_absolute(path))
		return g_strdup(path);
	return g_build_filename(cwd, path, NULL);
}

/* "DISC/PATH=LOCAL" with LOCAL made absolute; "\=" in DISC/PATH is a
 * literal "=" as in genisoimage, so the split is at the first plain "=" */
static gchar *
cb_burn_absolute_graft(const gchar *spec, const gchar *cwd)
{
	const gchar *p;
	g_autofree gchar *local = NULL;

	for (p = spec; *p != '\0' && *p != '='; p++) {
		if (p[0] == '\\' && (p[1] == '=' || p[1] == '\\'))
			p++;
	}
	/* malformed: the service says what is wrong with it */
	if (*p != '=' || p[1] == '\0')
		return g_strdup(spec);
	local = cb_burn_absolute(p + 1, cwd);
	return g_strdup_printf("%.*s=%s", (int) (p - spec), spec, local);
}

static void
cb_burn_add_iso_options(const CbIsoArgs *iso, GVariantDict *options, const gchar *cwd)
{
	const struct {
		const gchar *name;
		const gchar *value;
	} strings[] = {
		{ "volume-id", iso->volume_id }, { "application-id", iso->application_id },
		{ "publisher", iso->publisher }, { "preparer", iso->preparer },
		{ "system-id", iso->system_id },
	};

	for (guint i = 0; i < G_N_ELEMENTS(strings); i++) {
		if (strings[i].value != NULL)
			g_variant_dict_insert(options, strings[i].name, "s", strings[i].value);
	}
	if (iso->grafts != NULL) {
		g_autoptr(GPtrArray) grafts = g_ptr_array_new_with_free_func(g_free);
		for (guint i = 0; iso->grafts[i] != NULL; i++)
			g_ptr_array_add(grafts, cb_burn_absolute_graft(iso->grafts[i], cwd));
		g_ptr_array_add(grafts, NULL);
		g_variant_dict_insert(options, "grafts", "^as", grafts->pdata);
	}
	if (iso->no_md5)
		g_variant_dict_insert(options, "no-md5", "b", TRUE);
	if (iso->compress)
		g_variant_dict_insert(options, "compress", "b", TRUE);
}

int
cb_cmd_burn(int argc, char **argv)
{
	g_auto(CbBurnArgs) args = CB_BURN_ARGS_INIT;
	g_auto(CbIsoArgs) iso = { 0 };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *cwd = g_get_current_dir();
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	CbBurnCall call = { .method = "BurnFiles", .image_fd = -1, .options = &options };

	context = g_option_context_new(_("SOURCE…"));
	g_option_context_set_summary(
	    context,
	    _("Burns an encrypted disc of the SOURCEs through the cryptburn service: a\n"
	      "directory's contents go to the disc root, a file goes to the root. The\n"
	      "sources are read with your own rights. The passphrase is asked twice on the\n"
	      "terminal (once for an existing --keyfile) unless --passphrase-file or\n"
	      "--passphrase-fd is given. Ctrl-C cancels the burn; a write-once disc is\n"
	      "then unusable."));
	g_option_context_set_description(context, cb_exit_help());
	cb_iso_args_add_entries(&iso, entries, TRUE);
	cb_burn_args_add_entries(&args, entries);
	if (!cb_config_parse(context, (const GOptionEntry *) entries->data, &argc, &argv, &error))
		return cb_exit_report(error);
	if (!cb_iso_args_validate(&iso, _("name at least one SOURCE to burn"), &error))
		return cb_exit_report(error);

	for (guint i = 0; iso.sources != NULL && iso.sources[i] != NULL; i++)
		g_ptr_array_add(sources, cb_burn_absolute(iso.sources[i], cwd));
	g_ptr_array_add(sources, NULL);
	call.sources = (const gchar *const *) sources->pdata;
	cb_burn_add_iso_options(&iso, &options, cwd);
	return cb_burn_request_run(&args, &call);
}
