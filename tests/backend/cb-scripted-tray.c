/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A scripted drive's directory: which disc is in the tray, the drive
 * itself, the event log, and ejecting (see cb-scripted-tray.h for the
 * files). Any thread.
 */
#include "cb-scripted-tray.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CB_DRIVE_GROUP "drive"
#define CB_QUEUE_DIR "queue"
#define CB_OUT_DIR "out"

gchar *
cb_scripted_tray_dir(const gchar *device, GError **error)
{
	const gchar *dir =
	    device != NULL && g_str_has_prefix(device, "stdio:") ? device + strlen("stdio:") : NULL;

	if (dir == NULL || !g_path_is_absolute(dir) || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE,
			    "“%s” is not a scripted drive: expected stdio:/a/directory",
			    device != NULL ? device : "");
		return NULL;
	}
	return g_canonicalize_filename(dir, NULL);
}

void
cb_scripted_drive_free(CbScriptedDrive *self)
{
	if (self == NULL)
		return;
	g_free(self->vendor);
	g_free(self->model);
	g_free(self);
}

static guint
cb_drive_parse_kinds(gchar **names, const gchar *path)
{
	guint kinds = 0;

	for (guint i = 0; names[i] != NULL; i++) {
		if (g_strcmp0(names[i], "cd") == 0)
			kinds |= CB_MEDIA_KIND_CD;
		else if (g_strcmp0(names[i], "dvd") == 0)
			kinds |= CB_MEDIA_KIND_DVD;
		else if (g_strcmp0(names[i], "bd") == 0)
			kinds |= CB_MEDIA_KIND_BD;
		else
			g_warning("%s: kinds: “%s” is none of cd, dvd, bd", path, names[i]);
	}
	return kinds;
}

CbScriptedDrive *
cb_scripted_drive_load(const gchar *dir)
{
	g_autofree gchar *path = g_build_filename(dir, CB_SCRIPTED_DRIVE_INI, NULL);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) kinds = NULL;
	CbScriptedDrive *self = g_new0(CbScriptedDrive, 1);

	self->kinds = CB_MEDIA_KIND_CD | CB_MEDIA_KIND_DVD | CB_MEDIA_KIND_BD;
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &error)) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("%s: %s", path, error->message);
		self->vendor = g_strdup("Scripted");
		self->model = g_strdup("Test Drive");
		return self;
	}
	self->vendor = g_key_file_get_string(file, CB_DRIVE_GROUP, "vendor", NULL);
	self->model = g_key_file_get_string(file, CB_DRIVE_GROUP, "model", NULL);
	kinds = g_key_file_get_string_list(file, CB_DRIVE_GROUP, "kinds", NULL, NULL);
	if (kinds != NULL)
		self->kinds = cb_drive_parse_kinds(kinds, path);
	if (self->vendor == NULL)
		self->vendor = g_strdup("Scripted");
	if (self->model == NULL)
		self->model = g_strdup("Test Drive");
	return self;
}

gboolean
cb_scripted_tray_load(const gchar *dir, CbScriptedDisc **disc, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, CB_SCRIPTED_TRAY_INI, NULL);

	*disc = NULL;
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	*disc = cb_scripted_disc_load(path, error);
	return *disc != NULL;
}

gchar *
cb_scripted_tray_image(const gchar *dir)
{
	return g_build_filename(dir, CB_SCRIPTED_DISC_IMG, NULL);
}

void
cb_scripted_tray_log(const gchar *dir, const gchar *format, ...)
{
	g_autofree gchar *path = g_build_filename(dir, "events.log", NULL);
	g_autofree gchar *text = NULL;
	g_autofree gchar *line = NULL;
	va_list args;
	gsize len;
	int fd;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	line = g_strconcat(text, "\n", NULL);
	len = strlen(line);
	/* one write() of an O_APPEND file: a line is never split */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, len) != (ssize_t) len)
		g_warning("cannot log “%s” into %s: %s", text, path, g_strerror(errno));
	if (fd >= 0)
		close(fd);
}

static gboolean
cb_tray_move(const gchar *from, const gchar *to, GError **error)
{
	if (g_rename(from, to) == 0)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "cannot move %s to %s: %s", from, to,
		    g_strerror(errno));
	return FALSE;
}

/* the first free NNN of out/ */
static gboolean
cb_tray_next_out(const gchar *out, guint *number, GError **error)
{
	g_autoptr(GDir) listing = NULL;
	GError *cause = NULL;
	const gchar *name;

	if (g_mkdir_with_parents(out, 0755) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "cannot create %s: %s", out,
			    g_strerror(errno));
		return FALSE;
	}
	listing = g_dir_open(out, 0, &cause);
	if (listing == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "%s", cause->message);
		g_error_free(cause);
		return FALSE;
	}
	*number = 1;
	while ((name = g_dir_read_name(listing)) != NULL) {
		guint n = 0;
		char end[8] = "";

		if (sscanf(name, "%u.%7s", &n, end) == 2 && g_strcmp0(end, "ini") == 0)
			*number = MAX(*number, n + 1);
	}
	return TRUE;
}

/* the name of the first NAME.ini of queue/, or NULL */
static gchar *
cb_tray_first_queued(const gchar *queue)
{
	g_autoptr(GDir) listing = g_dir_open(queue, 0, NULL);
	gchar *first = NULL;
	const gchar *name;

	if (listing == NULL)
		return NULL;
	while ((name = g_dir_read_name(listing)) != NULL) {
		if (!g_str_has_suffix(name, ".ini") || (first != NULL && strcmp(name, first) >= 0))
			continue;
		g_free(first);
		first = g_strdup(name);
	}
	return first;
}

static gboolean
cb_tray_take_out(const gchar *dir, GError **error)
{
	g_autofree gchar *tray = g_build_filename(dir, CB_SCRIPTED_TRAY_INI, NULL);
	g_autofree gchar *image = cb_scripted_tray_image(dir);
	g_autofree gchar *out = g_build_filename(dir, CB_OUT_DIR, NULL);
	g_autofree gchar *out_ini = NULL;
	g_autofree gchar *out_img = NULL;
	guint number = 0;

	if (!g_file_test(tray, G_FILE_TEST_EXISTS)) {
		/* bytes without a disc are a test's leftovers, not a disc */
		g_unlink(image);
		return TRUE;
	}
	if (!cb_tray_next_out(out, &number, error))
		return FALSE;
	out_ini = g_strdup_printf("%s/%03u.ini", out, number);
	out_img = g_strdup_printf("%s/%03u.img", out, number);
	/* the bytes first: a test that sees NNN.ini sees its NNN.img too */
	if (g_file_test(image, G_FILE_TEST_EXISTS) && !cb_tray_move(image, out_img, error))
		return FALSE;
	return cb_tray_move(tray, out_ini, error);
}

static gboolean
cb_tray_put_in(const gchar *dir, GError **error)
{
	g_autofree gchar *queue = g_build_filename(dir, CB_QUEUE_DIR, NULL);
	g_autofree gchar *name = cb_tray_first_queued(queue);
	g_autofree gchar *ini = NULL;
	g_autofree gchar *img = NULL;
	g_autofree gchar *tray = g_build_filename(dir, CB_SCRIPTED_TRAY_INI, NULL);
	g_autofree gchar *image = cb_scripted_tray_image(dir);

	if (name == NULL)
		return TRUE;
	ini = g_build_filename(queue, name, NULL);
	img = g_strdup_printf("%.*s.img", (int) (strlen(ini) - strlen(".ini")), ini);
	if (g_file_test(img, G_FILE_TEST_EXISTS) && !cb_tray_move(img, image, error))
		return FALSE;
	return cb_tray_move(ini, tray, error);
}

gboolean
cb_scripted_tray_eject(const gchar *dir, GError **error)
{
	return cb_tray_take_out(dir, error) && cb_tray_put_in(dir, error);
}
