/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Nautilus extension in a host of our own: no Nautilus runs. The host
 * loads the built module the way Nautilus does (a GTypeModule whose load
 * opens the shared object and calls nautilus_module_initialize), and
 * hands the menu provider file infos of its own, because
 * libnautilus-extension-4 declares NautilusFileInfo but only Nautilus
 * implements it. The provider's "activate" runs a fake cryptburn-dialog,
 * found first in PATH, that writes its argv to a file.
 */

#include <glib/gstdio.h>
#include <gmodule.h>
#include <nautilus-extension.h>

/* a GTypeModule that loads the extension like Nautilus's NautilusModule */

#define TEST_TYPE_MODULE (test_module_get_type())
G_DECLARE_FINAL_TYPE(TestModule, test_module, TEST, MODULE, GTypeModule)

struct _TestModule {
	GTypeModule parent_instance;
	gchar *path;
	GModule *library;
	void (*initialize)(GTypeModule *module);
	void (*list_types)(const GType **types, int *num_types);
	void (*shutdown)(void);
};

G_DEFINE_TYPE(TestModule, test_module, G_TYPE_TYPE_MODULE)

static gboolean
test_module_load(GTypeModule *module)
{
	TestModule *self = TEST_MODULE(module);

	self->library = g_module_open(self->path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
	if (self->library == NULL) {
		g_test_message("%s", g_module_error());
		return FALSE;
	}
	if (!g_module_symbol(self->library, "nautilus_module_initialize",
			     (gpointer *) &self->initialize) ||
	    !g_module_symbol(self->library, "nautilus_module_list_types",
			     (gpointer *) &self->list_types) ||
	    !g_module_symbol(self->library, "nautilus_module_shutdown",
			     (gpointer *) &self->shutdown)) {
		g_test_message("%s", g_module_error());
		g_module_close(self->library);
		return FALSE;
	}
	self->initialize(module);
	return TRUE;
}

static void
test_module_unload(GTypeModule *module)
{
	TestModule *self = TEST_MODULE(module);

	self->shutdown();
	g_module_close(self->library);
}

static void
test_module_class_init(TestModuleClass *klass)
{
	G_TYPE_MODULE_CLASS(klass)->load = test_module_load;
	G_TYPE_MODULE_CLASS(klass)->unload = test_module_unload;
}

static void
test_module_init(TestModule *self)
{
}

/* a NautilusFileInfo for a location and a file type */

#define TEST_TYPE_FILE_INFO (test_file_info_get_type())
G_DECLARE_FINAL_TYPE(TestFileInfo, test_file_info, TEST, FILE_INFO, GObject)

struct _TestFileInfo {
	GObject parent_instance;
	GFile *location;
	GFileType type;
};

static void
test_file_info_iface_init(NautilusFileInfoInterface *iface);

G_DEFINE_TYPE_WITH_CODE(TestFileInfo,
			test_file_info,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NAUTILUS_TYPE_FILE_INFO, test_file_info_iface_init))

static gboolean
test_file_info_is_gone(NautilusFileInfo *info)
{
	return FALSE;
}

static gchar *
test_file_info_get_name(NautilusFileInfo *info)
{
	return g_file_get_basename(TEST_FILE_INFO(info)->location);
}

static gchar *
test_file_info_get_uri(NautilusFileInfo *info)
{
	return g_file_get_uri(TEST_FILE_INFO(info)->location);
}

static gchar *
test_file_info_get_uri_scheme(NautilusFileInfo *info)
{
	return g_file_get_uri_scheme(TEST_FILE_INFO(info)->location);
}

static gboolean
test_file_info_is_directory(NautilusFileInfo *info)
{
	return TEST_FILE_INFO(info)->type == G_FILE_TYPE_DIRECTORY;
}

static GFileType
test_file_info_get_file_type(NautilusFileInfo *info)
{
	return TEST_FILE_INFO(info)->type;
}

static GFile *
test_file_info_get_location(NautilusFileInfo *info)
{
	return g_object_ref(TEST_FILE_INFO(info)->location);
}

static void
test_file_info_iface_init(NautilusFileInfoInterface *iface)
{
	iface->is_gone = test_file_info_is_gone;
	iface->get_name = test_file_info_get_name;
	iface->get_uri = test_file_info_get_uri;
	iface->get_activation_uri = test_file_info_get_uri;
	iface->get_uri_scheme = test_file_info_get_uri_scheme;
	iface->is_directory = test_file_info_is_directory;
	iface->get_file_type = test_file_info_get_file_type;
	iface->get_location = test_file_info_get_location;
}

static void
test_file_info_finalize(GObject *object)
{
	g_clear_object(&TEST_FILE_INFO(object)->location);
	G_OBJECT_CLASS(test_file_info_parent_class)->finalize(object);
}

static void
test_file_info_class_init(TestFileInfoClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = test_file_info_finalize;
}

static void
test_file_info_init(TestFileInfo *self)
{
}

static NautilusFileInfo *
test_file_info_new(GFile *location, GFileType type)
{
	TestFileInfo *self = g_object_new(TEST_TYPE_FILE_INFO, NULL);

	self->location = g_object_ref(location);
	self->type = type;
	return NAUTILUS_FILE_INFO(self);
}

static NautilusFileInfo *
test_file_info_new_for_uri(const gchar *uri, GFileType type)
{
	g_autoptr(GFile) location = g_file_new_for_uri(uri);

	return test_file_info_new(location, type);
}

static NautilusFileInfo *
test_file_info_new_for_path(const gchar *path, GFileType type)
{
	g_autoptr(GFile) location = g_file_new_for_path(path);

	return test_file_info_new(location, type);
}

/* a remote GFile with a local path, as GVfs gives sftp:// and smb://
 * locations when gvfsd-fuse runs; this host has no GVfs to ask */

#define TEST_TYPE_FUSE_FILE (test_fuse_file_get_type())
G_DECLARE_FINAL_TYPE(TestFuseFile, test_fuse_file, TEST, FUSE_FILE, GObject)

struct _TestFuseFile {
	GObject parent_instance;
	gchar *uri;
	gchar *path;
};

static void
test_fuse_file_iface_init(GFileIface *iface);

G_DEFINE_TYPE_WITH_CODE(TestFuseFile,
			test_fuse_file,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(G_TYPE_FILE, test_fuse_file_iface_init))

static gboolean
test_fuse_file_has_uri_scheme(GFile *file, const char *scheme)
{
	g_autofree gchar *own = g_uri_parse_scheme(TEST_FUSE_FILE(file)->uri);

	return g_ascii_strcasecmp(own, scheme) == 0;
}

static char *
test_fuse_file_get_uri_scheme(GFile *file)
{
	return g_uri_parse_scheme(TEST_FUSE_FILE(file)->uri);
}

static char *
test_fuse_file_get_uri(GFile *file)
{
	return g_strdup(TEST_FUSE_FILE(file)->uri);
}

static char *
test_fuse_file_get_path(GFile *file)
{
	return g_strdup(TEST_FUSE_FILE(file)->path);
}

static gboolean
test_fuse_file_is_native(GFile *file)
{
	return FALSE;
}

static void
test_fuse_file_iface_init(GFileIface *iface)
{
	iface->has_uri_scheme = test_fuse_file_has_uri_scheme;
	iface->get_uri_scheme = test_fuse_file_get_uri_scheme;
	iface->get_uri = test_fuse_file_get_uri;
	iface->get_path = test_fuse_file_get_path;
	iface->is_native = test_fuse_file_is_native;
}

static void
test_fuse_file_finalize(GObject *object)
{
	g_free(TEST_FUSE_FILE(object)->uri);
	g_free(TEST_FUSE_FILE(object)->path);
	G_OBJECT_CLASS(test_fuse_file_parent_class)->finalize(object);
}

static void
test_fuse_file_class_init(TestFuseFileClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = test_fuse_file_finalize;
}

static void
test_fuse_file_init(TestFuseFile *self)
{
}

/* the fixture: the loaded provider, a scratch directory, a fake dialog */

static NautilusMenuProvider *provider;

typedef struct {
	gchar *dir;
	gchar *bin;
	gchar *dialog;
	gchar *record;
} Fixture;

static void
fixture_set_up(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	const gchar *script = "#!/bin/sh\n"
			      "printf '%s\\0' \"$0\" \"$@\" >\"$CB_TEST_RECORD.tmp\"\n"
			      "mv \"$CB_TEST_RECORD.tmp\" \"$CB_TEST_RECORD\"\n";

	fx->dir = g_dir_make_tmp("cryptburn-nautilus-XXXXXX", &error);
	g_assert_no_error(error);
	fx->bin = g_build_filename(fx->dir, "bin", NULL);
	g_assert_cmpint(g_mkdir(fx->bin, 0700), ==, 0);
	fx->dialog = g_build_filename(fx->bin, "cryptburn-dialog", NULL);
	g_file_set_contents(fx->dialog, script, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(fx->dialog, 0700), ==, 0);
	fx->record = g_build_filename(fx->dir, "argv", NULL);

	path = g_strdup_printf("%s:%s", fx->bin, g_getenv("PATH"));
	g_setenv("PATH", path, TRUE);
	g_setenv("CB_TEST_RECORD", fx->record, TRUE);
}

static void
fixture_tear_down(Fixture *fx, gconstpointer data)
{
	g_autoptr(GFile) dir = g_file_new_for_path(fx->dir);
	g_autoptr(GFileEnumerator) children = NULL;
	g_autoptr(GError) error = NULL;
	GFileInfo *info;
	GFile *child;

	/* two levels: the fake's bin/ and the files a test made */
	children = g_file_enumerate_children(dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
					     G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
	g_assert_no_error(error);
	while (g_file_enumerator_iterate(children, &info, &child, NULL, &error) && info != NULL) {
		g_autoptr(GFileEnumerator) grandchildren = NULL;
		GFileInfo *ginfo;
		GFile *grandchild;

		grandchildren =
		    g_file_enumerate_children(child, G_FILE_ATTRIBUTE_STANDARD_NAME,
					      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
		while (grandchildren != NULL &&
		       g_file_enumerator_iterate(grandchildren, &ginfo, &grandchild, NULL, NULL) &&
		       ginfo != NULL)
			g_file_delete(grandchild, NULL, NULL);
		g_file_delete(child, NULL, NULL);
	}
	g_assert_no_error(error);
	g_assert_true(g_file_delete(dir, NULL, NULL));
	g_free(fx->dir);
	g_free(fx->bin);
	g_free(fx->dialog);
	g_free(fx->record);
}

static GList *
get_file_items(NautilusFileInfo *first, ...)
{
	GList *files = NULL;
	GList *items;
	va_list ap;

	va_start(ap, first);
	for (NautilusFileInfo *f = first; f != NULL; f = va_arg(ap, NautilusFileInfo *))
		files = g_list_append(files, f);
	va_end(ap);
	items = nautilus_menu_provider_get_file_items(provider, files);
	g_list_free_full(files, g_object_unref);
	return items;
}

/* the argv the fake dialog recorded, waiting for the spawned process */
static GStrv
wait_for_argv(Fixture *fx)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_null_terminated(0, g_free, TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	gsize length;

	for (guint i = 0; i < 600 && !g_file_test(fx->record, G_FILE_TEST_EXISTS); i++)
		g_usleep(50 * G_TIME_SPAN_MILLISECOND);
	g_file_get_contents(fx->record, &contents, &length, &error);
	g_assert_no_error(error);
	for (gsize off = 0; off < length; off += strlen(contents + off) + 1)
		g_ptr_array_add(argv, g_strdup(contents + off));
	return (GStrv) g_ptr_array_steal(argv, NULL);
}

/* registered through the module, as Nautilus requires of an extension's types */
static void
test_types(gconstpointer data)
{
	GType type = G_OBJECT_TYPE(provider);

	g_assert_cmpstr(g_type_name(type), ==, "CbNautilusMenu");
	g_assert_true(g_type_get_plugin(type) == G_TYPE_PLUGIN(data));
}

static void
test_local_selection(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *folder = g_build_filename(fx->dir, "Holiday photos", NULL);
	/* quotes, a dollar and a newline: argv passes them, a shell would not */
	g_autofree gchar *file = g_build_filename(fx->dir, "it's \"$HOME\"\n.iso", NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *label = NULL;
	g_autofree gchar *icon = NULL;
	g_autofree gchar *name = NULL;
	g_auto(GStrv) argv = NULL;
	const gchar *expected[4];
	GList *items;

	g_assert_cmpint(g_mkdir(folder, 0700), ==, 0);
	g_file_set_contents(file, "", 0, &error);
	g_assert_no_error(error);

	items = get_file_items(test_file_info_new_for_path(folder, G_FILE_TYPE_DIRECTORY),
			       test_file_info_new_for_path(file, G_FILE_TYPE_REGULAR), NULL);
	g_assert_cmpuint(g_list_length(items), ==, 1);
	g_object_get(items->data, "label", &label, "icon", &icon, "name", &name, NULL);
	g_assert_cmpstr(label, ==, "Burn Encrypted…");
	g_assert_cmpstr(icon, ==, "media-optical-burn");
	g_assert_cmpstr(name, ==, "CbNautilusMenu::burn_encrypted");

	nautilus_menu_item_activate(items->data);
	g_list_free_full(items, g_object_unref);

	argv = wait_for_argv(fx);
	expected[0] = fx->dialog;
	expected[1] = folder;
	expected[2] = file;
	expected[3] = NULL;
	g_assert_cmpstrv(argv, expected);
}

static void
test_single_file(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *file = g_build_filename(fx->dir, "backup.tar", NULL);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) argv = NULL;
	const gchar *expected[3];
	GList *items;

	g_file_set_contents(file, "", 0, &error);
	g_assert_no_error(error);
	items = get_file_items(test_file_info_new_for_path(file, G_FILE_TYPE_REGULAR), NULL);
	g_assert_cmpuint(g_list_length(items), ==, 1);
	nautilus_menu_item_activate(items->data);
	g_list_free_full(items, g_object_unref);

	argv = wait_for_argv(fx);
	expected[0] = fx->dialog;
	expected[1] = file;
	expected[2] = NULL;
	g_assert_cmpstrv(argv, expected);
}

static void
test_no_item(gconstpointer data)
{
	const gchar *uri = data;

	g_assert_null(get_file_items(test_file_info_new_for_uri(uri, G_FILE_TYPE_REGULAR), NULL));
}

/* the FUSE path exists locally, but a burn from it would read over the
 * network while the disc is written */
static void
test_fuse_path(gconstpointer data)
{
	g_autoptr(TestFuseFile) location = g_object_new(TEST_TYPE_FUSE_FILE, NULL);
	g_autofree gchar *path = NULL;

	location->uri = g_strdup(data);
	location->path = g_strdup("/run/user/1000/gvfs/remote/b.iso");
	path = g_file_get_path(G_FILE(location));
	g_assert_cmpstr(path, ==, location->path);
	g_assert_null(
	    get_file_items(test_file_info_new(G_FILE(location), G_FILE_TYPE_REGULAR), NULL));
}

static void
test_mixed_selection(void)
{
	g_assert_null(get_file_items(
	    test_file_info_new_for_path("/tmp", G_FILE_TYPE_DIRECTORY),
	    test_file_info_new_for_uri("sftp://example.org/home/a/b.iso", G_FILE_TYPE_REGULAR),
	    NULL));
}

static void
test_special_file(void)
{
	g_assert_null(
	    get_file_items(test_file_info_new_for_path("/dev/null", G_FILE_TYPE_SPECIAL), NULL));
}

static void
test_empty_selection(void)
{
	g_assert_null(nautilus_menu_provider_get_file_items(provider, NULL));
}

int
main(int argc, char **argv)
{
	const gchar *path = g_getenv("CRYPTBURN_NAUTILUS_MODULE");
	TestModule *module;
	const GType *types;
	int n_types = 0;
	int status;

	g_test_init(&argc, &argv, NULL);
	if (path == NULL) {
		g_printerr("CRYPTBURN_NAUTILUS_MODULE names the built extension\n");
		return 1;
	}

	module = g_object_new(TEST_TYPE_MODULE, NULL);
	module->path = g_strdup(path);
	g_type_module_set_name(G_TYPE_MODULE(module), path);
	g_assert_true(g_type_module_use(G_TYPE_MODULE(module)));
	module->list_types(&types, &n_types);
	g_assert_cmpint(n_types, ==, 1);
	g_assert_true(g_type_is_a(types[0], NAUTILUS_TYPE_MENU_PROVIDER));
	provider = g_object_new(types[0], NULL);

	g_test_add_data_func("/nautilus/types", module, test_types);
	g_test_add("/nautilus/local-selection", Fixture, NULL, fixture_set_up, test_local_selection,
		   fixture_tear_down);
	g_test_add("/nautilus/single-file", Fixture, NULL, fixture_set_up, test_single_file,
		   fixture_tear_down);
	g_test_add_data_func("/nautilus/no-item/sftp", "sftp://example.org/home/a/b.iso",
			     test_no_item);
	g_test_add_data_func("/nautilus/no-item/smb", "smb://server/share/b.iso", test_no_item);
	g_test_add_data_func("/nautilus/no-item/trash", "trash:///b.iso", test_no_item);
	g_test_add_data_func("/nautilus/no-item/burn", "burn:///b.iso", test_no_item);
	g_test_add_data_func("/nautilus/no-item/recent", "recent:///b.iso", test_no_item);
	g_test_add_data_func("/nautilus/no-item/sftp-fuse", "sftp://example.org/home/a/b.iso",
			     test_fuse_path);
	g_test_add_data_func("/nautilus/no-item/smb-fuse", "smb://server/share/b.iso",
			     test_fuse_path);
	g_test_add_func("/nautilus/no-item/mixed", test_mixed_selection);
	g_test_add_func("/nautilus/no-item/special", test_special_file);
	g_test_add_func("/nautilus/no-item/empty", test_empty_selection);
	status = g_test_run();

	/* like Nautilus, which keeps its extensions loaded: the provider's
	 * type stays registered, so the module stays in use */
	g_object_unref(provider);
	g_free(module->path);
	return status;
}
