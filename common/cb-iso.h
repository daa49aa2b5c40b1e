/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A directory tree made into an ISO 9660 image stream by libisofs: Rock
 * Ridge (modes, owners, times, symlinks, hard links), Joliet long names,
 * ISO level 3 for files over 4 GiB, MD5 tags for xorriso -check_media.
 * The image size is fixed when the stream starts, before any byte.
 */

typedef struct {
	gchar *volume_id;
	gchar *application_id;
	gchar *publisher;
	gchar *preparer;
	gchar *system_id;
	gboolean no_md5;   /* leave out the libisofs MD5 tags */
	gboolean compress; /* zisofs: file contents compressed, read transparently */
	/* seconds since the epoch the image says it was made, 0 for now.
	 * With it, the same sources make the same image byte for byte: the
	 * files' access and change times become their mtime, and Rock Ridge
	 * is RRIP 1.10, without inode numbers (see cb_iso_builder_start()) */
	gint64 creation_time;
} CbIsoOptions;

typedef struct _CbIsoBuilder CbIsoBuilder;
typedef struct _CbIsoStream CbIsoStream;

/* something left out of the image that the user should hear about */
typedef void (*CbIsoWarningFunc)(const gchar *message, gpointer user_data);

CbIsoBuilder *
cb_iso_builder_new(const CbIsoOptions *options, GError **error);
void
cb_iso_builder_free(CbIsoBuilder *self);
void
cb_iso_builder_set_warning_func(CbIsoBuilder *self, CbIsoWarningFunc func, gpointer user_data);

/* as genisoimage: a directory's contents go to the image root, anything
 * else goes to the root under its own name */
gboolean
cb_iso_builder_add_source(CbIsoBuilder *self, const gchar *local_path, GError **error);
/* LOCAL at DISC_PATH (a directory's contents into DISC_PATH) */
gboolean
cb_iso_builder_add_graft(CbIsoBuilder *self,
			 const gchar *disc_path,
			 const gchar *local_path,
			 GError **error);
/* "DISC/PATH=LOCAL" from the command line */
gboolean
cb_iso_builder_add_graft_spec(CbIsoBuilder *self, const gchar *spec, GError **error);

/* lays the image out and starts libisofs' writer thread */
CbIsoStream *
cb_iso_builder_start(CbIsoBuilder *self, GError **error);

/* exact size in bytes, a multiple of 2048 */
guint64
cb_iso_stream_get_size(CbIsoStream *self);
/* fills buf completely, or up to the end; returns bytes read, 0 at the
 * end, -1 with error set when the image could not be made */
gssize
cb_iso_stream_read(CbIsoStream *self, guint8 *buf, gsize len, GError **error);
/* stops the writer thread; safe to call at any time */
void
cb_iso_stream_free(CbIsoStream *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbIsoBuilder, cb_iso_builder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbIsoStream, cb_iso_stream_free)

G_END_DECLS
