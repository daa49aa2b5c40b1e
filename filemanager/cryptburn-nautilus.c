/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * "Burn Encrypted…" in the Nautilus context menu of local files and folders.
 *
 * Nautilus loads this module from its extension directory and asks the
 * type registered here for menu items. The item runs cryptburn-dialog with
 * the selection's native paths as argv; nothing goes through a shell, so a
 * name with spaces, quotes or newlines arrives as one argument. Only local
 * files get the item: the dialog reads paths, and a FUSE path that GVfs
 * may offer for sftp:// or smb:// would make a burn depend on the network
 * while it writes. trash:// and burn:// have no path of their own either.
 */

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <gmodule.h>
#include <nautilus-extension.h>

#define CB_DIALOG "cryptburn-dialog"

#define CB_TYPE_NAUTILUS_MENU (cb_nautilus_menu_get_type())
G_DECLARE_FINAL_TYPE(CbNautilusMenu, cb_nautilus_menu, CB, NAUTILUS_MENU, GObject)

struct _CbNautilusMenu {
	GObject parent_instance;
};

static void
cb_nautilus_menu_provider_init(NautilusMenuProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED(CbNautilusMenu,
			       cb_nautilus_menu,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(NAUTILUS_TYPE_MENU_PROVIDER,
							     cb_nautilus_menu_provider_init))

/* the local path of a file the dialog can burn, or NULL */
static gchar *
cb_nautilus_menu_local_path(NautilusFileInfo *info)
{
	g_autoptr(GFile) location = NULL;
	GFileType type;

	if (nautilus_file_info_is_gone(info))
		return NULL;
	type = nautilus_file_info_get_file_type(info);
	if (type != G_FILE_TYPE_REGULAR && type != G_FILE_TYPE_DIRECTORY)
		return NULL;
	location = nautilus_file_info_get_location(info);
	if (location == NULL || !g_file_has_uri_scheme(location, "file"))
		return NULL;
	return g_file_get_path(location);
}

/* PATH first, so that a test (or a user's own build) can put its
 * cryptburn-dialog in front; the installed one when the session's PATH
 * does not name our bindir */
static gchar *
cb_nautilus_menu_find_dialog(void)
{
	gchar *program = g_find_program_in_path(CB_DIALOG);

	if (program != NULL)
		return program;
	return g_build_filename(BINDIR, CB_DIALOG, NULL);
}

static void
cb_nautilus_menu_activate(NautilusMenuItem *item, gpointer user_data)
{
	const gchar *const *paths = user_data;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	/* the paths are absolute, so none of them can pass for an option */
	g_ptr_array_add(argv, cb_nautilus_menu_find_dialog());
	for (guint i = 0; paths[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(paths[i]));
	g_ptr_array_add(argv, NULL);

	/* without G_SPAWN_DO_NOT_REAP_CHILD GLib double-forks, so the dialog
	 * outlives nothing of ours and leaves no zombie in Nautilus */
	if (!g_spawn_async(NULL, (gchar **) argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
			   NULL, NULL, &error))
		g_warning("cannot start %s: %s", (const gchar *) argv->pdata[0], error->message);
}

static GList *
cb_nautilus_menu_get_file_items(NautilusMenuProvider *provider, GList *files)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new_null_terminated(0, g_free, TRUE);
	NautilusMenuItem *item;

	if (files == NULL)
		return NULL;
	/* all or nothing: burning part of a selection would surprise */
	for (GList *l = files; l != NULL; l = l->next) {
		gchar *path = cb_nautilus_menu_local_path(NAUTILUS_FILE_INFO(l->data));

		if (path == NULL)
			return NULL;
		g_ptr_array_add(paths, path);
	}

	item = nautilus_menu_item_new("CbNautilusMenu::burn_encrypted", _("Burn Encrypted…"),
				      _("Write the selection to an encrypted disc"),
				      "media-optical-burn");
	g_signal_connect_data(item, "activate", G_CALLBACK(cb_nautilus_menu_activate),
			      g_ptr_array_steal(paths, NULL),
			      (GClosureNotify) (void (*)(void)) g_strfreev, G_CONNECT_DEFAULT);
	return g_list_append(NULL, item);
}

static void
cb_nautilus_menu_provider_init(NautilusMenuProviderInterface *iface)
{
	iface->get_file_items = cb_nautilus_menu_get_file_items;
}

static void
cb_nautilus_menu_class_init(CbNautilusMenuClass *klass)
{
}

static void
cb_nautilus_menu_class_finalize(CbNautilusMenuClass *klass)
{
}

static void
cb_nautilus_menu_init(CbNautilusMenu *self)
{
}

static GType cb_nautilus_types[1];

G_MODULE_EXPORT void
nautilus_module_initialize(GTypeModule *module)
{
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	cb_nautilus_menu_register_type(module);
	cb_nautilus_types[0] = CB_TYPE_NAUTILUS_MENU;
}

G_MODULE_EXPORT void
nautilus_module_list_types(const GType **types, int *num_types)
{
	*types = cb_nautilus_types;
	*num_types = G_N_ELEMENTS(cb_nautilus_types);
}

G_MODULE_EXPORT void
nautilus_module_shutdown(void)
{
}
