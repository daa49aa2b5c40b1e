/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main thread: options are checked while the method call is handled */
#include "cb-options.h"

#include "cb-client-fds.h"
#include "cb-error.h"
#include "cb-format-loop-aes.h"
#include "cb-format.h"

#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OP_F (1u << CB_OPERATION_BURN_FILES)
#define OP_I (1u << CB_OPERATION_BURN_IMAGE)
#define OP_W (1u << CB_OPERATION_WRITE_IMAGE)
#define OP_B (1u << CB_OPERATION_BLANK)

/* longest time a key derivation may be asked to take, and most argon2
 * memory: cryptsetup's own ceilings (60 s is generous; 4 GiB is its max) */
#define CB_OPTIONS_MAX_ITER_TIME 60000
#define CB_OPTIONS_MAX_PBKDF_MEMORY (4 * 1024 * 1024)
/* pbkdf-force-iterations skips the benchmark, so nothing else bounds the
 * derivation's time: libcryptsetup's least (pbkdf2 1000, argon2 4) up to
 * about a minute at the worst on this 2-core machine. Measured with
 * cryptsetup luksFormat: pbkdf2-sha256 runs 10 M iterations in 10-15 s;
 * argon2id takes ~1.3 s per pass over 1 GiB (10 passes over 256 MiB in
 * 3.3 s, 4 over 1 GiB in 7.6 s), so 10 passes take ~13 s over
 * libcryptsetup's default 1 GiB and ~50 s over CB_OPTIONS_MAX_PBKDF_MEMORY */
#define CB_OPTIONS_MIN_PBKDF2_ITERATIONS 1000
#define CB_OPTIONS_MAX_PBKDF2_ITERATIONS 10000000
#define CB_OPTIONS_MIN_ARGON2_ITERATIONS 4
#define CB_OPTIONS_MAX_ARGON2_ITERATIONS 10
#define CB_OPTIONS_MAX_GRAFT 8192

typedef struct {
	const gchar *name;
	const gchar *type;
	guint operations;
	guint max_len; /* strings: bytes; 0: no limit beyond the type */
} CbOptionSpec;

static const CbOptionSpec cb_option_specs[] = {
	{ "format", "s", OP_F | OP_I | OP_W, 32 },
	{ "agent", "o", OP_F | OP_I | OP_W, 0 },
	{ "passphrase-fd", "h", OP_F | OP_I | OP_W, 0 },
	{ "passphrase-hex", "b", OP_F | OP_I | OP_W, 0 },
	{ "allow-weak-passphrase", "b", OP_F | OP_I | OP_W, 0 },
	{ "keyfile-fd", "h", OP_F | OP_I | OP_W, 0 },
	{ "noinfo", "b", OP_F | OP_I | OP_W, 0 },
	{ "checksum", "s", OP_F | OP_I | OP_W, 16 },
	{ "volume-id", "s", OP_F | OP_I | OP_W, CB_OPTIONS_MAX_VOLUME_ID },
	{ "serial", "s", OP_F | OP_I | OP_W, CB_OPTIONS_MAX_SERIAL },
	{ "application-id", "s", OP_F | OP_W, CB_OPTIONS_MAX_FIELD },
	{ "publisher", "s", OP_F | OP_W, CB_OPTIONS_MAX_FIELD },
	{ "preparer", "s", OP_F | OP_W, CB_OPTIONS_MAX_FIELD },
	{ "system-id", "s", OP_F | OP_W, CB_OPTIONS_MAX_FIELD },
	{ "grafts", "as", OP_F | OP_W, CB_OPTIONS_MAX_GRAFT },
	{ "no-md5", "b", OP_F | OP_W, 0 },
	{ "compress", "b", OP_F | OP_W, 0 },
	{ "iter-time", "u", OP_F | OP_I | OP_W, 0 },
	{ "pbkdf-memory", "u", OP_F | OP_I | OP_W, 0 },
	{ "pbkdf-force-iterations", "u", OP_F | OP_I | OP_W, 0 },
	{ "eject", "b", OP_F | OP_I | OP_B, 0 },
	{ "speed", "u", OP_F | OP_I, 0 },
	{ "simulate", "b", OP_F | OP_I, 0 },
	{ "verify", "b", OP_F | OP_I, 0 },
	{ "image-size", "t", OP_I, 0 },
	{ "blank", "b", OP_F | OP_I, 0 },
	{ "media-timeout", "u", OP_F | OP_I, 0 },
	{ "copies", "u", OP_F | OP_I, 0 },
	{ "spool", "b", OP_F | OP_I, 0 },
	{ "mode", "s", OP_B, 16 },
};

static const gchar *const cb_blank_mode_names[] = {
	[CB_BLANK_FAST] = "fast",
	[CB_BLANK_FULL] = "full",
	[CB_BLANK_FORMAT] = "format",
};

static gboolean
cb_option_parse_blank_mode(const gchar *text, CbBlankMode *mode, GError **error)
{
	for (guint i = 0; i < G_N_ELEMENTS(cb_blank_mode_names); i++) {
		if (g_strcmp0(text, cb_blank_mode_names[i]) == 0) {
			*mode = (CbBlankMode) i;
			return TRUE;
		}
	}
	g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("option “mode” must be “fast”, “full” or “format”, not “%s”"), text);
	return FALSE;
}

const gchar *
cb_blank_mode_to_string(CbBlankMode mode)
{
	return cb_blank_mode_names[mode];
}

static const gchar *const cb_operation_names[] = {
	[CB_OPERATION_BURN_FILES] = "burn-files",
	[CB_OPERATION_BURN_IMAGE] = "burn-image",
	[CB_OPERATION_WRITE_IMAGE] = "write-image",
	[CB_OPERATION_BLANK] = "blank",
};

const gchar *
cb_operation_to_string(CbOperation operation)
{
	return cb_operation_names[operation];
}

void
cb_job_options_free(CbJobOptions *self)
{
	if (self == NULL)
		return;
	cb_client_fd_close(self->passphrase_fd);
	cb_client_fd_close(self->keyfile_fd);
	g_free(self->format);
	g_free(self->agent);
	g_free(self->volume_id);
	g_free(self->serial);
	g_free(self->checksum_type);
	g_clear_pointer(&self->iso_options, g_variant_unref);
	g_free(self);
}

static const CbOptionSpec *
cb_option_spec_lookup(const gchar *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(cb_option_specs); i++)
		if (g_strcmp0(cb_option_specs[i].name, name) == 0)
			return &cb_option_specs[i];
	return NULL;
}

/* one bit per known option, for finding repeated keys */
static guint64
cb_option_spec_bit(const CbOptionSpec *spec)
{
	G_STATIC_ASSERT(G_N_ELEMENTS(cb_option_specs) <= 64);
	return G_GUINT64_CONSTANT(1) << (spec - cb_option_specs);
}

static gboolean
cb_option_check_string(const CbOptionSpec *spec, const gchar *value, GError **error)
{
	if (spec->max_len > 0 && strlen(value) > spec->max_len) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “%s” is too long: at most %u bytes"), spec->name,
			    spec->max_len);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_option_check_strv(const CbOptionSpec *spec, const gchar *const *values, GError **error)
{
	if (g_strv_length((gchar **) values) > CB_OPTIONS_MAX_SOURCES) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “%s” has too many entries: at most %u"), spec->name,
			    CB_OPTIONS_MAX_SOURCES);
		return FALSE;
	}
	for (guint i = 0; values[i] != NULL; i++)
		if (!cb_option_check_string(spec, values[i], error))
			return FALSE;
	return TRUE;
}

static gboolean
cb_option_check_range(const gchar *name, guint value, guint min, guint max, GError **error)
{
	if (value != 0 && (value < min || value > max)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “%s” must be 0 or between %u and %u"), name, min, max);
		return FALSE;
	}
	return TRUE;
}

static gint
cb_option_take_fd(const gchar *name, GVariant *value, GUnixFDList *fds, GError **error)
{
	gint32 handle = g_variant_get_handle(value);
	gint fd;

	if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length(fds)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “%s” names no file descriptor of the message"), name);
		return -1;
	}
	fd = g_unix_fd_list_get(fds, handle, error);
	if (fd < 0)
		g_prefix_error(error, "%s: ", name);
	return fd;
}

/* the key file is read at the start of the job and, when it was empty,
 * written at its end: the client must have opened it for both */
static gint
cb_option_take_keyfile_fd(const gchar *name, GVariant *value, GUnixFDList *fds, GError **error)
{
	gint fd = cb_option_take_fd(name, value, fds, error);
	gint flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;

	if (fd >= 0 && (flags < 0 || (flags & O_ACCMODE) != O_RDWR)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “%s” must be a file descriptor open for reading and "
			      "writing"),
			    name);
		cb_client_fd_close(fd);
		return -1;
	}
	return fd;
}

/* stores one checked value; the reader's ISO options go to iso */
static gboolean
cb_job_options_store(CbJobOptions *self,
		     const CbOptionSpec *spec,
		     GVariant *value,
		     GUnixFDList *fds,
		     GVariantDict *iso,
		     GError **error)
{
	const gchar *name = spec->name;

	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) &&
	    !cb_option_check_string(spec, g_variant_get_string(value, NULL), error))
		return FALSE;
	if (g_strcmp0(name, "format") == 0) {
		const gchar *format = g_variant_get_string(value, NULL);
		if (cb_format_lookup(format, error) == NULL)
			return FALSE;
		self->format = g_strdup(format);
	} else if (g_strcmp0(name, "agent") == 0) {
		self->agent = g_variant_dup_string(value, NULL);
	} else if (g_strcmp0(name, "passphrase-fd") == 0) {
		self->passphrase_fd = cb_option_take_fd(name, value, fds, error);
		if (self->passphrase_fd < 0)
			return FALSE;
	} else if (g_strcmp0(name, "passphrase-hex") == 0) {
		self->passphrase_hex = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "keyfile-fd") == 0) {
		self->keyfile_fd = cb_option_take_keyfile_fd(name, value, fds, error);
		if (self->keyfile_fd < 0)
			return FALSE;
	} else if (g_strcmp0(name, "noinfo") == 0) {
		self->noinfo = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "checksum") == 0) {
		const gchar *type = g_variant_get_string(value, NULL);
		if (!cb_metadata_checksum_type_valid(type, error))
			return FALSE;
		g_clear_pointer(&self->checksum_type, g_free);
		if (g_strcmp0(type, "none") != 0)
			self->checksum_type = g_strdup(type);
	} else if (g_strcmp0(name, "allow-weak-passphrase") == 0) {
		self->allow_weak = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "volume-id") == 0) {
		self->volume_id = g_variant_dup_string(value, NULL);
		if (!g_utf8_validate(self->volume_id, -1, NULL) || self->volume_id[0] == '\0') {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” must be non-empty UTF-8"), name);
			return FALSE;
		}
		g_variant_dict_insert_value(iso, name, value);
	} else if (g_strcmp0(name, "serial") == 0) {
		self->serial = g_variant_dup_string(value, NULL);
	} else if (g_strcmp0(name, "grafts") == 0) {
		g_autofree const gchar **grafts = g_variant_get_strv(value, NULL);
		if (!cb_option_check_strv(spec, grafts, error))
			return FALSE;
		g_variant_dict_insert_value(iso, name, value);
	} else if (g_strcmp0(name, "iter-time") == 0) {
		self->iter_time = g_variant_get_uint32(value);
		return cb_option_check_range(name, self->iter_time, 1, CB_OPTIONS_MAX_ITER_TIME,
					     error);
	} else if (g_strcmp0(name, "pbkdf-memory") == 0) {
		self->pbkdf_memory = g_variant_get_uint32(value);
		return cb_option_check_range(name, self->pbkdf_memory, 32,
					     CB_OPTIONS_MAX_PBKDF_MEMORY, error);
	} else if (g_strcmp0(name, "pbkdf-force-iterations") == 0) {
		self->pbkdf_iterations = g_variant_get_uint32(value);
		/* the format may come later: its own range is checked after */
		return cb_option_check_range(name, self->pbkdf_iterations, 1,
					     CB_OPTIONS_MAX_PBKDF2_ITERATIONS, error);
	} else if (g_strcmp0(name, "eject") == 0) {
		self->eject = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "simulate") == 0) {
		self->simulate = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "verify") == 0) {
		self->verify = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "speed") == 0) {
		self->speed = g_variant_get_uint32(value);
	} else if (g_strcmp0(name, "image-size") == 0) {
		self->image_size = g_variant_get_uint64(value);
		if (self->image_size == 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” must not be 0"), name);
			return FALSE;
		}
	} else if (g_strcmp0(name, "blank") == 0) {
		self->blank = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "media-timeout") == 0) {
		self->media_timeout = g_variant_get_uint32(value);
		return cb_option_check_range(name, self->media_timeout, 0,
					     CB_OPTIONS_MAX_MEDIA_TIMEOUT, error);
	} else if (g_strcmp0(name, "copies") == 0) {
		self->copies = g_variant_get_uint32(value);
		if (self->copies < 1 || self->copies > CB_OPTIONS_MAX_COPIES) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” must be between %u and %u"), name, 1,
				    CB_OPTIONS_MAX_COPIES);
			return FALSE;
		}
	} else if (g_strcmp0(name, "spool") == 0) {
		self->spool = g_variant_get_boolean(value);
	} else if (g_strcmp0(name, "mode") == 0) {
		return cb_option_parse_blank_mode(g_variant_get_string(value, NULL),
						  &self->blank_mode, error);
	} else {
		/* application-id, publisher, preparer, system-id, no-md5, compress */
		g_variant_dict_insert_value(iso, name, value);
	}
	return TRUE;
}

/* a fixed cost is the format's key derivation's: pbkdf2 for luks1,
 * argon2id for luks2; the others ignore it */
static gboolean
cb_job_options_check_iterations(const CbJobOptions *self, const CbFormatDesc *desc, GError **error)
{
	guint min = CB_OPTIONS_MIN_PBKDF2_ITERATIONS;
	guint max = CB_OPTIONS_MAX_PBKDF2_ITERATIONS;
	const gchar *kdf = "pbkdf2";

	if (g_strcmp0(desc->name, "luks2") == 0) {
		min = CB_OPTIONS_MIN_ARGON2_ITERATIONS;
		max = CB_OPTIONS_MAX_ARGON2_ITERATIONS;
		kdf = "argon2id";
	} else if (g_strcmp0(desc->name, "luks1") != 0) {
		return TRUE;
	}
	if (self->pbkdf_iterations == 0 ||
	    (self->pbkdf_iterations >= min && self->pbkdf_iterations <= max))
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("option “%s” must be 0 or between %u and %u for %s (%s)"),
		    "pbkdf-force-iterations", min, max, desc->name, kdf);
	return FALSE;
}

/* what cannot go together, as cryptburn image refuses it
 * (client/cb-encrypt.c); what depends on the key file's content (reuse) is
 * checked by the job, which reads it */
static gboolean
cb_job_options_check(const CbJobOptions *self, CbOperation operation, GError **error)
{
	const CbFormatDesc *desc = cb_format_lookup(self->format, error);
	g_autoptr(CbMetadata) probe = cb_metadata_new();
	g_autoptr(GError) error_local = NULL;

	if (desc == NULL)
		return FALSE;
	if (self->noinfo && (self->serial != NULL || self->checksum_type != NULL)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “noinfo” records nothing readable without the "
				      "passphrase, so it cannot go with “serial” or “checksum”"));
		return FALSE;
	}
	if (self->keyfile_fd >= 0 && desc != &cb_format_loop_aes) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “keyfile-fd” is for the format loop-aes; %s keeps its keys "
			      "in its header"),
			    desc->name);
		return FALSE;
	}
	probe->serial = g_strdup(self->serial);
	probe->checksum_type = g_strdup(self->checksum_type);
	if (desc->check_metadata != NULL && !desc->check_metadata(probe, &error_local)) {
		error_local->code = CB_ERROR_INVALID_OPTION;
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	if (self->spool && self->copies < 2) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “spool” keeps the image for further copies: it "
				      "needs “copies” of 2 or more"));
		return FALSE;
	}
	return cb_job_options_check_iterations(self, desc, error);
}

gboolean
cb_job_options_needs_image_stat(const CbJobOptions *self)
{
	return (self->copies >= 2 && !self->spool) || cb_job_options_checksum_in_header(self);
}

gboolean
cb_job_options_check_image_stat(const CbJobOptions *self, const struct stat *st, GError **error)
{
	gboolean twice = cb_job_options_checksum_in_header(self);

	if (!cb_job_options_needs_image_stat(self) || S_ISREG(st->st_mode))
		return TRUE;
	if (twice) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("a checksum in a disc's header is of the encrypted data, known only once "
		      "the whole image was read: the image is read twice, which a pipe cannot "
		      "be; give a file, or record the checksum in a key file (keyfile-fd, "
		      "loop-aes)"));
		return FALSE;
	}
	g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("several copies of an image read from a pipe need option “spool”: "
			      "a pipe cannot be read again for the next disc"));
	return FALSE;
}

gboolean
cb_job_options_checksum_in_header(const CbJobOptions *self)
{
	return self->checksum_type != NULL && self->keyfile_fd < 0;
}

gboolean
cb_job_options_check_output(const CbJobOptions *self, gint fd, GError **error)
{
	gint flags = fcntl(fd, F_GETFL);

	if (!cb_job_options_checksum_in_header(self))
		return TRUE;
	/* pwrite() on an O_APPEND file appends instead of going back */
	if (flags < 0 || (flags & O_APPEND) != 0 || lseek(fd, 0, SEEK_CUR) < 0) {
		g_set_error_literal(
		    error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("a checksum is recorded in the image's header once the rest is "
		      "written, so the output must be a file that can be written "
		      "again at the image's start (seekable, not opened for "
		      "appending); use a file, or a separate key file (keyfile-fd, "
		      "loop-aes)"));
		return FALSE;
	}
	return TRUE;
}

CbJobOptions *
cb_job_options_parse(CbOperation operation, GVariant *options, GUnixFDList *fds, GError **error)
{
	g_autoptr(CbJobOptions) self = g_new0(CbJobOptions, 1);
	g_auto(GVariantDict) iso = G_VARIANT_DICT_INIT(NULL);
	GVariantIter iter;
	const gchar *name;
	GVariant *value_raw;
	guint64 seen = 0;

	self->passphrase_fd = -1;
	self->keyfile_fd = -1;
	self->blank_mode = CB_BLANK_FAST;
	self->verify = TRUE;
	self->copies = 1;
	self->media_timeout = CB_OPTIONS_DEFAULT_MEDIA_TIMEOUT;
	g_variant_iter_init(&iter, options);
	while (g_variant_iter_next(&iter, "{&sv}", &name, &value_raw)) {
		g_autoptr(GVariant) value = value_raw;
		const CbOptionSpec *spec = cb_option_spec_lookup(name);

		if (spec == NULL) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("unknown option “%s”"), name);
			return NULL;
		}
		/* an a{sv} may carry a key twice; a reader that takes the
		 * first (g_variant_lookup) and one that takes the last would
		 * decide differently, so a second one is refused outright */
		if ((seen & cb_option_spec_bit(spec)) != 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” is given more than once"), name);
			return NULL;
		}
		seen |= cb_option_spec_bit(spec);
		if ((spec->operations & (1u << operation)) == 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” does not apply to %s"), name,
				    cb_operation_to_string(operation));
			return NULL;
		}
		if (!g_variant_is_of_type(value, G_VARIANT_TYPE(spec->type))) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” must be of type “%s”, not “%s”"), name,
				    spec->type, g_variant_get_type_string(value));
			return NULL;
		}
		if (!cb_job_options_store(self, spec, value, fds, &iso, error))
			return NULL;
	}
	if (self->format == NULL)
		self->format = g_strdup(cb_format_default_name());
	if (!cb_job_options_check(self, operation, error))
		return NULL;
	self->iso_options = g_variant_ref_sink(g_variant_dict_end(&iso));
	return g_steal_pointer(&self);
}

gboolean
cb_options_check_sources(const gchar *const *sources, gboolean allow_empty, GError **error)
{
	guint n = g_strv_length((gchar **) sources);

	if (n == 0 && !allow_empty) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("no sources given"));
		return FALSE;
	}
	if (n > CB_OPTIONS_MAX_SOURCES) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("too many sources: %u, at most %u"), n, CB_OPTIONS_MAX_SOURCES);
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		if (strlen(sources[i]) > CB_OPTIONS_MAX_PATH) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("source path too long: at most %u bytes"),
				    CB_OPTIONS_MAX_PATH);
			return FALSE;
		}
		if (!g_path_is_absolute(sources[i])) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("source “%s” is not an absolute path"), sources[i]);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
cb_options_check_empty(GVariant *options, GError **error)
{
	GVariantIter iter;
	const gchar *name;

	g_variant_iter_init(&iter, options);
	if (g_variant_iter_next(&iter, "{&sv}", &name, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION, _("unknown option “%s”"),
			    name);
		return FALSE;
	}
	return TRUE;
}
