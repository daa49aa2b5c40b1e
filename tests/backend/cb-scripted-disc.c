/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The [disc] group of a scripted drive's tray.ini, and what a disc of each
 * media is like when the file does not say. Any thread, one disc each.
 */
#include "cb-scripted-disc.h"

#include "cb-error.h"

#include <string.h>

#define CB_DISC_GROUP "disc"
#define CB_DISC_DEFAULT_BLANK_MS 200

/* a real disc of each media: the tests name only what they vary */
typedef struct {
	const gchar *media;
	const gchar *name;
	guint kind;
	guint64 capacity; /* the usual single-layer size, in 2048-byte blocks */
	gboolean erasable;
	gboolean overwritable;
	/* simulation is a CD and DVD-R/-RW feature (the drive's test write) */
	gboolean simulate;
	const gchar *write_mode;
} CbMediaDefaults;

static const CbMediaDefaults cb_media_defaults[] = {
	{ "cd_r", "CD-R", CB_MEDIA_KIND_CD, 360000, FALSE, FALSE, TRUE, "sao" },
	{ "cd_rw", "CD-RW", CB_MEDIA_KIND_CD, 360000, TRUE, FALSE, TRUE, "sao" },
	{ "dvd_r", "DVD-R", CB_MEDIA_KIND_DVD, 2298496, FALSE, FALSE, TRUE, "sao" },
	{ "dvd_rw", "DVD-RW", CB_MEDIA_KIND_DVD, 2297888, TRUE, FALSE, TRUE, "tao" },
	{ "dvd_plus_r", "DVD+R", CB_MEDIA_KIND_DVD, 2295104, FALSE, FALSE, FALSE, "tao" },
	{ "dvd_plus_rw", "DVD+RW", CB_MEDIA_KIND_DVD, 2295104, TRUE, TRUE, FALSE, "tao" },
	{ "dvd_plus_r_dl", "DVD+R DL", CB_MEDIA_KIND_DVD, 4173824, FALSE, FALSE, FALSE, "tao" },
	{ "dvd_plus_rw_dl", "DVD+RW DL", CB_MEDIA_KIND_DVD, 4173824, TRUE, TRUE, FALSE, "tao" },
	{ "dvd_ram", "DVD-RAM", CB_MEDIA_KIND_DVD, 2236704, TRUE, TRUE, FALSE, "tao" },
	{ "bd_r", "BD-R", CB_MEDIA_KIND_BD, 12219392, FALSE, FALSE, FALSE, "tao" },
	{ "bd_re", "BD-RE", CB_MEDIA_KIND_BD, 11826176, TRUE, TRUE, FALSE, "tao" },
};

/* kB/s: 48x, 24x, 10x CD; 16x, 8x, 4x DVD; 6x, 4x, 2x BD */
static const guint32 cb_cd_speeds[] = { 8467, 4234, 1764 };
static const guint32 cb_dvd_speeds[] = { 22160, 11080, 5540 };
static const guint32 cb_bd_speeds[] = { 26970, 17980, 8990 };

static const CbMediaDefaults *
cb_media_defaults_lookup(const gchar *media)
{
	for (guint i = 0; i < G_N_ELEMENTS(cb_media_defaults); i++)
		if (g_strcmp0(cb_media_defaults[i].media, media) == 0)
			return &cb_media_defaults[i];
	return NULL;
}

void
cb_scripted_disc_free(CbScriptedDisc *self)
{
	if (self == NULL)
		return;
	g_clear_pointer(&self->file, g_key_file_unref);
	g_clear_pointer(&self->speeds, g_array_unref);
	g_free(self->path);
	g_free(self->media);
	g_free(self->status);
	g_free(self);
}

static gboolean
cb_disc_fail(const gchar *path, GError *cause, GError **error)
{
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED, "%s: %s", path, cause->message);
	g_error_free(cause);
	return FALSE;
}

static gboolean
cb_disc_get_u64(
    CbScriptedDisc *self, const gchar *key, guint64 fallback, guint64 *out, GError **error)
{
	GError *cause = NULL;

	*out = fallback;
	if (!g_key_file_has_key(self->file, CB_DISC_GROUP, key, NULL))
		return TRUE;
	*out = g_key_file_get_uint64(self->file, CB_DISC_GROUP, key, &cause);
	return cause == NULL || cb_disc_fail(self->path, cause, error);
}

static gboolean
cb_disc_get_bool(
    CbScriptedDisc *self, const gchar *key, gboolean fallback, gboolean *out, GError **error)
{
	GError *cause = NULL;

	*out = fallback;
	if (!g_key_file_has_key(self->file, CB_DISC_GROUP, key, NULL))
		return TRUE;
	*out = g_key_file_get_boolean(self->file, CB_DISC_GROUP, key, &cause);
	return cause == NULL || cb_disc_fail(self->path, cause, error);
}

static gchar *
cb_disc_get_string(CbScriptedDisc *self, const gchar *key, const gchar *fallback)
{
	gchar *value = g_key_file_get_string(self->file, CB_DISC_GROUP, key, NULL);
	return value != NULL ? value : g_strdup(fallback);
}

static gboolean
cb_disc_load_speeds(CbScriptedDisc *self, GError **error)
{
	guint kind = cb_scripted_disc_kind(self);
	g_autofree gint *list = NULL;
	GError *cause = NULL;
	gsize n = 0;

	self->speeds = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (!g_key_file_has_key(self->file, CB_DISC_GROUP, "speeds", NULL)) {
		if (kind == CB_MEDIA_KIND_CD)
			g_array_append_vals(self->speeds, cb_cd_speeds, G_N_ELEMENTS(cb_cd_speeds));
		else if (kind == CB_MEDIA_KIND_DVD)
			g_array_append_vals(self->speeds, cb_dvd_speeds,
					    G_N_ELEMENTS(cb_dvd_speeds));
		else if (kind == CB_MEDIA_KIND_BD)
			g_array_append_vals(self->speeds, cb_bd_speeds, G_N_ELEMENTS(cb_bd_speeds));
		return TRUE;
	}
	list = g_key_file_get_integer_list(self->file, CB_DISC_GROUP, "speeds", &n, &cause);
	if (cause != NULL)
		return cb_disc_fail(self->path, cause, error);
	for (gsize i = 0; i < n; i++) {
		guint32 speed;

		if (list[i] <= 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    "%s: speeds must be positive numbers of kB/s", self->path);
			return FALSE;
		}
		speed = (guint32) list[i];
		g_array_append_val(self->speeds, speed);
	}
	return TRUE;
}

/* the write mode as one of our static strings, or NULL when unknown */
static const gchar *
cb_disc_write_mode(const gchar *name)
{
	static const gchar *const modes[] = { "sao", "tao", "raw", "packet" };

	for (guint i = 0; i < G_N_ELEMENTS(modes); i++)
		if (g_strcmp0(modes[i], name) == 0)
			return modes[i];
	return NULL;
}

static gboolean
cb_disc_status_is_known(const gchar *status)
{
	return g_strcmp0(status, "blank") == 0 || g_strcmp0(status, "appendable") == 0 ||
	       g_strcmp0(status, "full") == 0 || g_strcmp0(status, "unsuitable") == 0;
}

/* the keys, each with its media's default; then the checks a real disc
 * could not fail */
static gboolean
cb_disc_parse(CbScriptedDisc *self, GError **error)
{
	const CbMediaDefaults *d;
	g_autofree gchar *write_mode = NULL;
	guint64 fail_at = 0;
	guint64 blank_ms = 0;

	self->media = g_key_file_get_string(self->file, CB_DISC_GROUP, "media", NULL);
	if (self->media == NULL || self->media[0] == '\0') {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "%s: [disc] needs media=", self->path);
		return FALSE;
	}
	d = cb_media_defaults_lookup(self->media);
	self->status = cb_disc_get_string(self, "status", "blank");
	write_mode = cb_disc_get_string(self, "write-mode", d != NULL ? d->write_mode : "tao");
	self->write_mode = cb_disc_write_mode(write_mode);
	if (self->write_mode == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "%s: write-mode must be sao, tao, raw or packet, not “%s”", self->path,
			    write_mode);
		return FALSE;
	}
	if (!cb_disc_status_is_known(self->status)) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "%s: status must be blank, appendable, full or unsuitable, not “%s”",
			    self->path, self->status);
		return FALSE;
	}
	if (!cb_disc_get_u64(self, "capacity", d != NULL ? d->capacity * 2048 : 0, &self->capacity,
			     error) ||
	    !cb_disc_get_u64(self, "used", 0, &self->used, error) ||
	    !cb_disc_get_bool(self, "erasable", d != NULL && d->erasable, &self->erasable, error) ||
	    !cb_disc_get_bool(self, "overwritable", d != NULL && d->overwritable,
			      &self->overwritable, error) ||
	    !cb_disc_get_bool(self, "unformatted", FALSE, &self->unformatted, error) ||
	    !cb_disc_get_bool(self, "simulate", d != NULL && d->simulate, &self->simulate, error) ||
	    !cb_disc_get_u64(self, "write-rate", 0, &self->write_rate, error) ||
	    !cb_disc_get_u64(self, "blank-ms", CB_DISC_DEFAULT_BLANK_MS, &blank_ms, error) ||
	    !cb_disc_get_u64(self, "write-fail-at", 0, &fail_at, error) ||
	    !cb_disc_load_speeds(self, error))
		return FALSE;
	self->write_fail_at = g_key_file_has_key(self->file, CB_DISC_GROUP, "write-fail-at", NULL)
				  ? (gint64) fail_at
				  : -1;
	self->blank_ms = (guint) MIN(blank_ms, (guint64) G_MAXUINT);
	if (self->used > self->capacity) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    "%s: used (%" G_GUINT64_FORMAT
			    ") is more than capacity (%" G_GUINT64_FORMAT ")",
			    self->path, self->used, self->capacity);
		return FALSE;
	}
	return TRUE;
}

CbScriptedDisc *
cb_scripted_disc_load(const gchar *path, GError **error)
{
	g_autoptr(CbScriptedDisc) self = g_new0(CbScriptedDisc, 1);
	GError *cause = NULL;

	self->path = g_strdup(path);
	self->file = g_key_file_new();
	if (!g_key_file_load_from_file(self->file, path, G_KEY_FILE_KEEP_COMMENTS, &cause)) {
		cb_disc_fail(path, cause, error);
		return NULL;
	}
	if (!cb_disc_parse(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

gboolean
cb_scripted_disc_save(CbScriptedDisc *self, GError **error)
{
	GError *cause = NULL;

	g_key_file_set_string(self->file, CB_DISC_GROUP, "status", self->status);
	g_key_file_set_uint64(self->file, CB_DISC_GROUP, "used", self->used);
	g_key_file_set_boolean(self->file, CB_DISC_GROUP, "unformatted", self->unformatted);
	g_key_file_set_boolean(self->file, CB_DISC_GROUP, "overwritable", self->overwritable);
	/* g_file_set_contents() writes a temporary file and renames it: the
	 * tests and the watch never see half a file */
	if (!g_key_file_save_to_file(self->file, self->path, &cause))
		return cb_disc_fail(self->path, cause, error);
	return TRUE;
}

guint64
cb_scripted_disc_free_bytes(const CbScriptedDisc *self)
{
	if (g_strcmp0(self->status, "unsuitable") == 0)
		return 0;
	/* as libburn: an overwritable disc offers all of itself, whatever it holds */
	if (self->overwritable)
		return self->capacity;
	if (g_strcmp0(self->status, "blank") == 0 || g_strcmp0(self->status, "appendable") == 0)
		return self->capacity - self->used;
	return 0;
}

guint
cb_scripted_disc_kind(const CbScriptedDisc *self)
{
	const CbMediaDefaults *d = cb_media_defaults_lookup(self->media);

	if (d != NULL)
		return d->kind;
	if (g_str_has_prefix(self->media, "cd"))
		return CB_MEDIA_KIND_CD;
	if (g_str_has_prefix(self->media, "dvd"))
		return CB_MEDIA_KIND_DVD;
	if (g_str_has_prefix(self->media, "bd"))
		return CB_MEDIA_KIND_BD;
	return 0;
}

const gchar *
cb_scripted_disc_name(const CbScriptedDisc *self)
{
	const CbMediaDefaults *d = cb_media_defaults_lookup(self->media);
	return d != NULL ? d->name : self->media;
}
