/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-iso.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include "cb-file-stream.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <libisofs/libisofs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libisofs declares struct burn_source without its members */
#include <libburn/libburn.h>

/* 8 MiB between libisofs' writer thread and the encrypting reader: enough
 * to ride over a slow directory without inflating the resident size */
#define CB_ISO_FIFO_BLOCKS 4096
#define CB_ISO_BLOCK 2048

/* ECMA-119 field widths */
#define CB_ISO_VOLUME_ID_MAX 32
#define CB_ISO_SYSTEM_ID_MAX 32
#define CB_ISO_LONG_ID_MAX 128
/* directory records keep the year as 1900 plus one byte: 2155 at most */
#define CB_ISO_TIME_MAX G_GINT64_CONSTANT(5869583999)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DIR, closedir)

struct _CbIsoBuilder {
	IsoImage *image;
	CbIsoOptions options;
	CbIsoWarningFunc warning_func;
	gpointer warning_data;
	gboolean started;
};

struct _CbIsoStream {
	IsoImage *image; /* a reference: libisofs' writer thread uses it */
	struct burn_source *src;
	guint64 size;
	guint64 done;
	gboolean finished;
	CbIsoWarningFunc warning_func;
	gpointer warning_data;
};

static gpointer
cb_iso_init_library(gpointer data)
{
	int rc = iso_init();
	if (rc < 0)
		return GINT_TO_POINTER(rc);
	/* messages come to us through the queue, never straight to stderr */
	iso_set_msgs_severities("WARNING", "NEVER", "libisofs: ");
	/* a file that cannot be read while writing is MISHAP: stop the image
	 * rather than let libisofs fill the file with zeros */
	iso_set_abort_severity("MISHAP");
	return GINT_TO_POINTER(1);
}

static gboolean
cb_iso_check_library(GError **error)
{
	static GOnce once = G_ONCE_INIT;
	int rc = GPOINTER_TO_INT(g_once(&once, cb_iso_init_library, NULL));
	if (rc < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot start libisofs: %s"),
			    iso_error_to_msg(rc));
		return FALSE;
	}
	return TRUE;
}

/* the libisofs messages queued since the last call: warnings go to func,
 * the rest come back joined for a GError */
static gchar *
cb_iso_drain_messages(CbIsoWarningFunc func, gpointer data)
{
	g_autoptr(GString) errors = g_string_new(NULL);
	g_autoptr(GString) ours = g_string_new(NULL);
	char text[ISO_MSGS_MESSAGE_LEN];
	char severity[80];
	int code, imgid;

	while (iso_obtain_msgs("ALL", &code, &imgid, text, severity) > 0) {
		g_debug("libisofs %s 0x%08x: %s", severity, (guint) code, text);
		/* Joliet cannot hold symlinks; Rock Ridge, which Linux reads, has
		 * them, so that is no news for the user */
		if (strstr(text, "Joliet tree") != NULL)
			continue;
		if (g_strcmp0(severity, "WARNING") == 0 || g_strcmp0(severity, "HINT") == 0 ||
		    g_strcmp0(severity, "NOTE") == 0) {
			if (func != NULL)
				func(text, data);
			continue;
		}
		/* code 0: our file stream naming the file; libisofs' own
		 * follow-ups ("UNKNOWN SOURCE", "write cancelled") add nothing */
		if (code == 0)
			g_string_append_printf(ours, "%s%s", ours->len > 0 ? "; " : "", text);
		else
			g_string_append_printf(errors, "%s%s", errors->len > 0 ? "; " : "", text);
	}
	if (ours->len > 0)
		return g_string_free(g_steal_pointer(&ours), FALSE);
	return errors->len > 0 ? g_string_free(g_steal_pointer(&errors), FALSE) : NULL;
}

static gboolean
cb_iso_check_id(const gchar *what, const gchar *value, gsize max, GError **error)
{
	if (value != NULL && strlen(value) > max) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s “%s” is longer than the %zu characters ISO 9660 allows"), what,
			    value, max);
		return FALSE;
	}
	return TRUE;
}

/* when the image says it was made */
static time_t
cb_iso_made_time(CbIsoBuilder *self)
{
	return self->options.creation_time != 0 ? (time_t) self->options.creation_time : time(NULL);
}

/* a directory that exists in the image only: made when the image was */
static void
cb_iso_set_made_times(CbIsoBuilder *self, IsoNode *node)
{
	time_t made = cb_iso_made_time(self);

	iso_node_set_mtime(node, made);
	iso_node_set_atime(node, made);
	iso_node_set_ctime(node, made);
}

CbIsoBuilder *
cb_iso_builder_new(const CbIsoOptions *options, GError **error)
{
	g_autoptr(CbIsoBuilder) self = g_new0(CbIsoBuilder, 1);
	g_autofree gchar *app_id = NULL;
	int rc;

	if (!cb_iso_check_library(error))
		return NULL;
	if (!cb_iso_check_id("volume id", options->volume_id, CB_ISO_VOLUME_ID_MAX, error) ||
	    !cb_iso_check_id("system id", options->system_id, CB_ISO_SYSTEM_ID_MAX, error) ||
	    !cb_iso_check_id("application id", options->application_id, CB_ISO_LONG_ID_MAX,
			     error) ||
	    !cb_iso_check_id("publisher", options->publisher, CB_ISO_LONG_ID_MAX, error) ||
	    !cb_iso_check_id("preparer", options->preparer, CB_ISO_LONG_ID_MAX, error))
		return NULL;

	self->options.volume_id = g_strdup(options->volume_id);
	self->options.application_id = g_strdup(options->application_id);
	self->options.publisher = g_strdup(options->publisher);
	self->options.preparer = g_strdup(options->preparer);
	self->options.system_id = g_strdup(options->system_id);
	self->options.no_md5 = options->no_md5;
	self->options.compress = options->compress;
	if (options->creation_time < 0 || options->creation_time > CB_ISO_TIME_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("creation time %lld is outside the years ISO 9660 can record, "
			      "1970 to 2155"),
			    (long long) options->creation_time);
		return NULL;
	}
	self->options.creation_time = options->creation_time;
	if (options->compress && iso_file_add_zisofs_filter(NULL, 1 << 2) < 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
				    _("this libisofs was built without zlib: --compress (zisofs) "
				      "is not available"));
		return NULL;
	}

	rc = iso_image_new(options->volume_id != NULL ? options->volume_id : "CDROM", &self->image);
	if (rc < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot create the ISO image: %s"),
			    iso_error_to_msg(rc));
		return NULL;
	}
	/* modes, owners and times as on disk; symlinks stored, not followed */
	iso_tree_set_follow_symlinks(self->image, 0);
	iso_tree_set_ignore_hidden(self->image, 0);
	app_id = g_strdup_printf("CRYPTBURN %s", CB_VERSION);
	iso_image_set_application_id(
	    self->image, options->application_id != NULL ? options->application_id : app_id);
	if (options->publisher != NULL)
		iso_image_set_publisher_id(self->image, options->publisher);
	if (options->preparer != NULL)
		iso_image_set_data_preparer_id(self->image, options->preparer);
	iso_image_set_system_id(self->image,
				options->system_id != NULL ? options->system_id : "LINUX");
	/* libisofs gives the root the time of iso_image_new() */
	cb_iso_set_made_times(self, (IsoNode *) iso_image_get_root(self->image));
	return g_steal_pointer(&self);
}

void
cb_iso_builder_free(CbIsoBuilder *self)
{
	if (self == NULL)
		return;
	if (self->image != NULL)
		iso_image_unref(self->image);
	g_free(self->options.volume_id);
	g_free(self->options.application_id);
	g_free(self->options.publisher);
	g_free(self->options.preparer);
	g_free(self->options.system_id);
	g_free(self);
}

void
cb_iso_builder_set_warning_func(CbIsoBuilder *self, CbIsoWarningFunc func, gpointer user_data)
{
	self->warning_func = func;
	self->warning_data = user_data;
}

static void
cb_iso_warn(CbIsoBuilder *self, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

static void
cb_iso_warn(CbIsoBuilder *self, const gchar *format, ...)
{
	g_autofree gchar *msg = NULL;
	va_list args;

	va_start(args, format);
	msg = g_strdup_vprintf(format, args);
	va_end(args);
	if (self->warning_func != NULL)
		self->warning_func(msg, self->warning_data);
	else
		g_warning("%s", msg);
}

static const gchar *
cb_iso_special_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return _("a FIFO");
	if (S_ISSOCK(mode))
		return _("a socket");
	if (S_ISCHR(mode))
		return _("a character device");
	if (S_ISBLK(mode))
		return _("a block device");
	return _("of an unknown type");
}

static gboolean
cb_iso_add_dir_contents(CbIsoBuilder *self, IsoDir *dir, const gchar *path, GError **error);

static gboolean
cb_iso_conflict(IsoNode *existing, const gchar *path, GError **error)
{
	g_autofree gchar *disc_path = iso_tree_get_node_path(existing);
	g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
		    _("two sources want the same place in the image: %s and “%s” from an earlier "
		      "source; rename one or place it with --graft"),
		    path, disc_path != NULL ? disc_path : "?");
	return FALSE;
}

/* libisofs refused a node: say which file, with libisofs' own words */
static gboolean
cb_iso_add_failed(CbIsoBuilder *self, const gchar *path, int rc, GError **error)
{
	g_autofree gchar *msg = cb_iso_drain_messages(self->warning_func, self->warning_data);
	g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot add %s to the image: %s"), path,
		    msg != NULL ? msg : iso_error_to_msg(rc));
	return FALSE;
}

/* reading the sources moves their access times (relatime moves an atime
 * not newer than the mtime), so a rebuild would differ from the first
 * image: with a fixed creation time, all of a node's times are its mtime,
 * as xorriso does for SOURCE_DATE_EPOCH ("all_file_dates set_to_mtime") */
static void
cb_iso_pin_times(CbIsoBuilder *self, IsoNode *node)
{
	if (self->options.creation_time == 0)
		return;
	iso_node_set_atime(node, iso_node_get_mtime(node));
	iso_node_set_ctime(node, iso_node_get_mtime(node));
}

static gboolean
cb_iso_add_node(CbIsoBuilder *self,
		IsoDir *parent,
		const gchar *name,
		const gchar *path,
		IsoNode **node,
		GError **error)
{
	int rc = iso_tree_add_new_node(self->image, parent, name, path, node);
	if (rc < 0)
		return cb_iso_add_failed(self, path, rc, error);
	cb_iso_pin_times(self, *node);
	return TRUE;
}

/* a regular file, with contents read by our own buffered stream and the
 * attributes iso_tree_add_new_node() would have copied */
static gboolean
cb_iso_add_file(CbIsoBuilder *self,
		IsoDir *parent,
		const gchar *name,
		const gchar *path,
		const struct stat *st,
		GError **error)
{
	IsoFile *file = NULL;
	IsoStream *stream = cb_file_stream_new(path, st);
	IsoNode *node;
	int rc;

	rc = iso_image_add_new_file(self->image, parent, name, stream, &file);
	if (rc < 0) {
		/* the file takes the stream's reference only when it is made */
		iso_stream_unref(stream);
		return cb_iso_add_failed(self, path, rc, error);
	}
	/* zisofs, as mkzftree did for enciso: the Linux isofs driver and
	 * xorriso decompress it on reading. Every file is compressed; asking
	 * whether it shrinks first would read each file one more time. */
	if (self->options.compress) {
		rc = iso_file_add_zisofs_filter(file, 0);
		if (rc < 0)
			return cb_iso_add_failed(self, path, rc, error);
	}
	node = (IsoNode *) file;
	iso_node_set_permissions(node, st->st_mode & 07777);
	iso_node_set_uid(node, st->st_uid);
	iso_node_set_gid(node, st->st_gid);
	iso_node_set_atime(node, st->st_atime);
	iso_node_set_mtime(node, st->st_mtime);
	iso_node_set_ctime(node, st->st_ctime);
	cb_iso_pin_times(self, node);
	return TRUE;
}

/* one entry of the local tree at path, named name inside parent */
static gboolean
cb_iso_add_entry(CbIsoBuilder *self,
		 IsoDir *parent,
		 const gchar *path,
		 const gchar *name,
		 gboolean follow,
		 GError **error)
{
	struct stat st;
	IsoNode *existing = NULL;
	IsoNode *node = NULL;
	g_autofree gchar *resolved = NULL;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
			    g_strerror(errno));
		return FALSE;
	}
	/* libisofs looks at a symlink itself (follow_symlinks is off for the
	 * tree), so a followed source is handed over by its target's path */
	if (follow) {
		resolved = realpath(path, NULL);
		if (resolved == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
				    g_strerror(errno));
			return FALSE;
		}
	}
	if (iso_dir_get_node(parent, name, &existing) < 0)
		existing = NULL;

	if (S_ISDIR(st.st_mode)) {
		if (existing != NULL) {
			/* two sources with the same directory: merge, as genisoimage */
			if (iso_node_get_type(existing) != LIBISO_DIR)
				return cb_iso_conflict(existing, path, error);
			return cb_iso_add_dir_contents(self, (IsoDir *) existing, path, error);
		}
		if (!cb_iso_add_node(self, parent, name, resolved != NULL ? resolved : path, &node,
				     error))
			return FALSE;
		/* it may have been replaced since the stat above */
		if (iso_node_get_type(node) != LIBISO_DIR) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("%s changed while it was being read"), path);
			return FALSE;
		}
		return cb_iso_add_dir_contents(self, (IsoDir *) node, path, error);
	}

	if (S_ISREG(st.st_mode)) {
		/* libisofs only opens files while writing; an unreadable file
		 * must fail now, by name, before any output exists */
		int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), path,
				    g_strerror(errno));
			return FALSE;
		}
		close(fd);
	} else if (!S_ISLNK(st.st_mode)) {
		cb_iso_warn(self, _("skipping %s: it is %s, which a disc cannot hold"), path,
			    cb_iso_special_kind(st.st_mode));
		return TRUE;
	}

	if (existing != NULL)
		return cb_iso_conflict(existing, path, error);
	if (S_ISREG(st.st_mode))
		return cb_iso_add_file(self, parent, name, resolved != NULL ? resolved : path, &st,
				       error);
	return cb_iso_add_node(self, parent, name, resolved != NULL ? resolved : path, &node,
			       error);
}

static gint
cb_iso_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *) a, *(const gchar *const *) b);
}

/* the names in a directory, without "." and "..". Not GDir: g_dir_open()
 * formats its own message (g_strerror, gettext) before it returns, and
 * errno is whatever that left, ENOENT in cryptburn-reader instead of the
 * EACCES of an unreadable directory */
static GPtrArray *
cb_iso_list_dir(const gchar *path, GError **error)
{
	g_autoptr(DIR) dir = opendir(path);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	struct dirent *entry;

	if (dir == NULL) {
		int err = errno;
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read directory %s: %s"),
			    path, g_strerror(err));
		return NULL;
	}
	for (errno = 0; (entry = readdir(dir)) != NULL; errno = 0) {
		if (g_strcmp0(entry->d_name, ".") != 0 && g_strcmp0(entry->d_name, "..") != 0)
			g_ptr_array_add(names, g_strdup(entry->d_name));
	}
	if (errno != 0) {
		int err = errno;
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot list directory %s: %s"),
			    path, g_strerror(err));
		return NULL;
	}
	return g_steal_pointer(&names);
}

static gboolean
cb_iso_add_dir_contents(CbIsoBuilder *self, IsoDir *dir, const gchar *path, GError **error)
{
	g_autoptr(GPtrArray) names = cb_iso_list_dir(path, error);

	if (names == NULL)
		return FALSE;
	/* a stable order makes error messages and images reproducible */
	g_ptr_array_sort(names, cb_iso_compare_names);
	for (guint i = 0; i < names->len; i++) {
		const gchar *child_name = g_ptr_array_index(names, i);
		g_autofree gchar *child = g_build_filename(path, child_name, NULL);
		if (!cb_iso_add_entry(self, dir, child, child_name, FALSE, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
cb_iso_check_not_started(CbIsoBuilder *self, GError **error)
{
	if (self->started) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED,
				    _("the image is already being written"));
		return FALSE;
	}
	return TRUE;
}

gboolean
cb_iso_builder_add_source(CbIsoBuilder *self, const gchar *source, GError **error)
{
	struct stat st;
	g_autofree gchar *base = NULL;
	/* libisofs opens files by absolute path when it writes them */
	g_autofree gchar *local_path = g_canonicalize_filename(source, NULL);

	if (!cb_iso_check_not_started(self, error))
		return FALSE;
	/* a source named on the command line is followed if it is a symlink */
	if (stat(local_path, &st) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read source %s: %s"),
			    local_path, g_strerror(errno));
		return FALSE;
	}
	if (S_ISDIR(st.st_mode))
		return cb_iso_add_dir_contents(self, iso_image_get_root(self->image), local_path,
					       error);
	base = g_path_get_basename(local_path);
	return cb_iso_add_entry(self, iso_image_get_root(self->image), local_path, base, TRUE,
				error);
}

/* makes each directory of components[0..n-1] below the root */
static IsoDir *
cb_iso_ensure_dirs(CbIsoBuilder *self, gchar **components, guint n, GError **error)
{
	IsoDir *dir = iso_image_get_root(self->image);

	for (guint i = 0; i < n; i++) {
		IsoNode *node = NULL;
		IsoDir *created = NULL;
		int rc;

		if (iso_dir_get_node(dir, components[i], &node) == 1) {
			if (iso_node_get_type(node) != LIBISO_DIR) {
				g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
					    _("cannot graft below “%s”: it is a file in the image"),
					    components[i]);
				return NULL;
			}
			dir = (IsoDir *) node;
			continue;
		}
		rc = iso_image_add_new_dir(self->image, dir, components[i], &created);
		if (rc < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("cannot make directory “%s” in the image: %s"), components[i],
				    iso_error_to_msg(rc));
			return NULL;
		}
		iso_node_set_permissions((IsoNode *) created, 0755);
		cb_iso_set_made_times(self, (IsoNode *) created);
		dir = created;
	}
	return dir;
}

gboolean
cb_iso_builder_add_graft(CbIsoBuilder *self,
			 const gchar *disc_path,
			 const gchar *source,
			 GError **error)
{
	g_autofree gchar *local_path = g_canonicalize_filename(source, NULL);
	g_auto(GStrv) parts = g_strsplit(disc_path, "/", -1);
	g_autoptr(GPtrArray) components = g_ptr_array_new();
	IsoDir *parent;
	struct stat st;

	if (!cb_iso_check_not_started(self, error))
		return FALSE;
	for (guint i = 0; parts[i] != NULL; i++) {
		if (parts[i][0] == '\0')
			continue;
		if (g_strcmp0(parts[i], ".") == 0 || g_strcmp0(parts[i], "..") == 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("graft path “%s” may not contain “.” or “..”"), disc_path);
			return FALSE;
		}
		g_ptr_array_add(components, parts[i]);
	}
	if (components->len == 0)
		return cb_iso_builder_add_source(self, local_path, error);
	if (stat(local_path, &st) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read source %s: %s"),
			    local_path, g_strerror(errno));
		return FALSE;
	}
	parent = cb_iso_ensure_dirs(self, (gchar **) components->pdata, components->len - 1, error);
	if (parent == NULL)
		return FALSE;
	return cb_iso_add_entry(self, parent, local_path,
				g_ptr_array_index(components, components->len - 1), TRUE, error);
}

gboolean
cb_iso_builder_add_graft_spec(CbIsoBuilder *self, const gchar *spec, GError **error)
{
	g_autoptr(GString) disc = g_string_new(NULL);
	const gchar *p;

	/* "DISC/PATH=LOCAL"; as in genisoimage, "\=" is a literal "=" */
	for (p = spec; *p != '\0' && *p != '='; p++) {
		if (p[0] == '\\' && (p[1] == '=' || p[1] == '\\'))
			p++;
		g_string_append_c(disc, *p);
	}
	if (*p != '=' || p[1] == '\0' || disc->len == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("graft “%s” is not of the form DISC/PATH=LOCAL"), spec);
		return FALSE;
	}
	return cb_iso_builder_add_graft(self, disc->str, p + 1, error);
}

CbIsoStream *
cb_iso_builder_start(CbIsoBuilder *self, GError **error)
{
	g_autoptr(CbIsoStream) stream = NULL;
	IsoWriteOpts *opts = NULL;
	struct burn_source *src = NULL;
	int rc;

	if (!cb_iso_check_not_started(self, error))
		return NULL;
	rc = iso_write_opts_new(&opts, 0);
	if (rc < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot set up ISO options: %s"),
			    iso_error_to_msg(rc));
		return NULL;
	}
	/* level 3: files over 4 GiB become multi-extent files */
	iso_write_opts_set_iso_level(opts, 3);
	iso_write_opts_set_rockridge(opts, 1);
	iso_write_opts_set_joliet(opts, 1);
	iso_write_opts_set_joliet_longer_paths(opts, 1);
	iso_write_opts_set_joliet_long_names(opts, 1);
	/* Rock Ridge inode numbers, so readers see hard links as links */
	iso_write_opts_set_hardlinks(opts, 1);
	iso_write_opts_set_always_gmt(opts, 1);
	/* keep the volume id as typed, not squeezed into ECMA-119 d-characters */
	iso_write_opts_set_relaxed_vol_atts(opts, 1);
	iso_write_opts_set_dir_rec_mtime(opts, 1);
	/* directories deeper than 8 levels move to a directory hidden from
	 * Rock Ridge readers, which follow links back to their places */
	iso_write_opts_set_rr_reloc(opts, "rr_moved", 1);
	/* session tags let xorriso -check_media prove the decrypted image */
	iso_write_opts_set_record_md5(opts, self->options.no_md5 ? 0 : 1, 0);
	iso_write_opts_set_fifo_size(opts, CB_ISO_FIFO_BLOCKS);
	if (self->options.creation_time != 0) {
		/* the volume descriptors' times, and through them the Joliet
		 * directory records' (libisofs' "now") */
		iso_write_opts_set_pvd_times(opts, (time_t) self->options.creation_time,
					     (time_t) self->options.creation_time, 0, 0, "");
		/* libisofs numbers directories in the order of their addresses
		 * in memory (iso_node_cmp_flag() compares IsoNode pointers), so
		 * their Rock Ridge inode numbers change from one build to the
		 * next. RRIP 1.10, as mkisofs wrote it, has no inode numbers in
		 * PX: hard links still share their data, but only xorriso would
		 * have seen them as links; the Linux isofs driver ignores them */
		iso_write_opts_set_rrip_version_1_10(opts, 1);
	}

	rc = iso_image_create_burn_source(self->image, opts, &src);
	iso_write_opts_free(opts);
	if (rc < 0) {
		g_autofree gchar *msg =
		    cb_iso_drain_messages(self->warning_func, self->warning_data);
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot lay out the ISO image: %s"),
			    msg != NULL ? msg : iso_error_to_msg(rc));
		return NULL;
	}
	self->started = TRUE;

	stream = g_new0(CbIsoStream, 1);
	stream->image = self->image;
	iso_image_ref(stream->image);
	stream->src = src;
	stream->size = (guint64) src->get_size(src);
	stream->warning_func = self->warning_func;
	stream->warning_data = self->warning_data;
	return g_steal_pointer(&stream);
}

guint64
cb_iso_stream_get_size(CbIsoStream *self)
{
	return self->size;
}

gssize
cb_iso_stream_read(CbIsoStream *self, guint8 *buf, gsize len, GError **error)
{
	gsize done = 0;

	while (done < len && self->done < self->size) {
		gsize want = MIN(len - done, (gsize) G_MAXINT / CB_ISO_BLOCK * CB_ISO_BLOCK);
		want = MIN(want, self->size - self->done);
		int n = self->src->read_xt(self->src, buf + done, (int) want);
		if (n <= 0) {
			g_autofree gchar *msg =
			    cb_iso_drain_messages(self->warning_func, self->warning_data);
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the ISO image could not be made: %s"),
				    msg != NULL ? msg : "libisofs stopped early");
			return -1;
		}
		done += (gsize) n;
		self->done += (guint64) n;
	}
	if (self->done >= self->size && !self->finished) {
		g_autofree gchar *msg = NULL;
		self->finished = TRUE;
		/* what libisofs warned about while writing, e.g. Joliet names */
		msg = cb_iso_drain_messages(self->warning_func, self->warning_data);
		if (msg != NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the ISO image could not be made: %s"), msg);
			return -1;
		}
	}
	return (gssize) done;
}

void
cb_iso_stream_free(CbIsoStream *self)
{
	if (self == NULL)
		return;
	if (self->src != NULL) {
		/* a writer thread still running would use the image we free */
		if (!self->finished)
			self->src->cancel(self->src);
		while (iso_image_generator_is_running(self->image))
			g_usleep(1000);
		if (self->src->free_data != NULL)
			self->src->free_data(self->src);
		free(self->src);
	}
	iso_image_unref(self->image);
	g_free(self);
}
