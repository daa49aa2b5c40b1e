/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-burner.h"

#include <gio/gio.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/*
 * The a{sv} options of the Manager methods, checked in one place: every
 * key must be known and meant for the operation, every value of the right
 * type and within its limit. Anything else is CB_ERROR_INVALID_OPTION with
 * the option's name, before a job exists. Runs on the main thread.
 */

/* bounded input (DESIGN 5) */
#define CB_OPTIONS_MAX_SOURCES 256
#define CB_OPTIONS_MAX_PATH 4096
#define CB_OPTIONS_MAX_FIELD 128
#define CB_OPTIONS_MAX_VOLUME_ID 32
#define CB_OPTIONS_MAX_SERIAL 128 /* as cryptburn image --serial */
#define CB_OPTIONS_MAX_COPIES 99
/* a day: a job waiting longer holds its drive for nothing */
#define CB_OPTIONS_MAX_MEDIA_TIMEOUT (24 * 3600)
/* half an hour to fetch a disc */
#define CB_OPTIONS_DEFAULT_MEDIA_TIMEOUT 1800

typedef enum {
	CB_OPERATION_BURN_FILES,
	CB_OPERATION_BURN_IMAGE,
	CB_OPERATION_WRITE_IMAGE,
	CB_OPERATION_BLANK,
} CbOperation;

const gchar *
cb_operation_to_string(CbOperation operation);

typedef struct {
	gchar *format;
	gchar *agent;	    /* object path on the submitting connection, or NULL */
	gint passphrase_fd; /* -1 when not given; owned */
	gboolean passphrase_hex;
	gboolean allow_weak;
	/* loop-aes: the client's key file, open read-write; -1 when not
	 * given; owned. Empty: the new key file is written into it at the
	 * end; else it is reused (read on the worker, see cb-job-work.c) */
	gint keyfile_fd;
	gboolean noinfo;
	gchar *checksum_type; /* "md5", "sha256"; NULL for none */
	gchar *volume_id;     /* NULL: derived from the first source */
	gchar *serial;
	guint iter_time;
	guint pbkdf_memory;
	guint pbkdf_iterations;
	gboolean eject;
	gboolean simulate;
	gboolean verify; /* read the disc back after writing; default TRUE */
	guint speed;
	guint64 image_size;	/* BurnImage: 0 when not given */
	gboolean blank;		/* burns: blank a used rewritable disc first */
	guint media_timeout;	/* burns: seconds to wait for a disc; 0: fail at once */
	guint copies;		/* burns: discs to write, 1..99 */
	gboolean spool;		/* burns: copies 2.. from a temporary encrypted file */
	CbBlankMode blank_mode; /* Blank */
	/* what the reader needs to lay out the ISO: a{sv} */
	GVariant *iso_options;
} CbJobOptions;

/* fds: the message's fd list, for "h" options; NULL if it carried none */
CbJobOptions *
cb_job_options_parse(CbOperation operation, GVariant *options, GUnixFDList *fds, GError **error);
void
cb_job_options_free(CbJobOptions *self);

/* WriteImage: an output that must take its header again at the end (a
 * checksum recorded in it) must be seekable, and not O_APPEND */
gboolean
cb_job_options_check_output(const CbJobOptions *self, gint fd, GError **error);
/* BurnImage: several copies without a spool read the image fd again,
 * which must then be a regular file; whether that is to be checked, and
 * the check on the fd's fstat() (made off the main thread: cb-fd-probe) */
gboolean
cb_job_options_needs_image_stat(const CbJobOptions *self);
gboolean
cb_job_options_check_image_stat(const CbJobOptions *self, const struct stat *st, GError **error);
const gchar *
cb_blank_mode_to_string(CbBlankMode mode);
/* whether the header records the checksum, so that it is written again
 * once the payload is */
gboolean
cb_job_options_checksum_in_header(const CbJobOptions *self);

/* refuses relative, empty, overlong and too many paths */
gboolean
cb_options_check_sources(const gchar *const *sources, gboolean allow_empty, GError **error);

/* an empty a{sv} for methods that take no options yet */
gboolean
cb_options_check_empty(GVariant *options, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbJobOptions, cb_job_options_free)

G_END_DECLS
