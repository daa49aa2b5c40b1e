/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburn-reader: turns the caller's files into an ISO 9660 stream for
 * cryptburnd. The daemon starts it with the caller's uid, gid and groups,
 * so the kernel decides what it may read, exactly as for the caller's own
 * programs; the protocol is described in cb-reader.h.
 *
 * Everything here runs on the main thread; libisofs adds its writer
 * thread behind cb_iso_stream_read(). The reader is deliberately dumb:
 * it reads one request, refuses anything it does not understand, writes
 * the size and the image, and reports the first error as its last line.
 * It trusts its input no more than the daemon trusts its output: the
 * caller may attach a debugger to a process of their own uid.
 */
#include "cb-error.h"
#include "cb-iso.h"
#include "cb-reader-request.h"
#include "cb-volume-id.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* large writes keep the pipe, and the daemon reading it, busy */
#define CB_READER_CHUNK (1024 * 1024)

typedef struct {
	gchar **sources;
	gchar **grafts;
	CbIsoOptions iso;
} CbReaderRequest;

static void
cb_reader_request_clear(CbReaderRequest *req)
{
	g_strfreev(req->sources);
	g_strfreev(req->grafts);
	g_free(req->iso.volume_id);
	g_free(req->iso.application_id);
	g_free(req->iso.publisher);
	g_free(req->iso.preparer);
	g_free(req->iso.system_id);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbReaderRequest, cb_reader_request_clear)

static gboolean
cb_reader_read_full(int fd, guint8 *buf, gsize len, GError **error)
{
	gsize got = 0;

	while (got < len) {
		gssize n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot read the request: %s"), g_strerror(errno));
			return FALSE;
		}
		if (n == 0) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED,
					    _("the request ended early"));
			return FALSE;
		}
		got += (gsize) n;
	}
	return TRUE;
}

/* writes all of buf, through short writes and signals */
static gboolean
cb_reader_write_all(int fd, const guint8 *buf, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		buf += n;
		len -= (gsize) n;
	}
	return TRUE;
}

/* one line on stderr; a newline inside would start a line of its own
 * that the daemon could take for part of the protocol */
static void
cb_reader_report(const gchar *prefix, const gchar *text)
{
	g_autofree gchar *line = g_strdup_printf("%s%s\n", prefix, text);

	for (gchar *p = line; p[1] != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	cb_reader_write_all(STDERR_FILENO, (const guint8 *) line, strlen(line));
}

static void
cb_reader_on_warning(const gchar *message, gpointer data)
{
	cb_reader_report("warning: ", message);
}

static GVariant *
cb_reader_read_request(GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GVariant) request = NULL;
	guint32 len_le;
	guint32 len;
	guint8 *data;

	if (!cb_reader_read_full(STDIN_FILENO, (guint8 *) &len_le, sizeof(len_le), error))
		return NULL;
	len = GUINT32_FROM_LE(len_le);
	if (len == 0 || len > CB_READER_MAX_REQUEST) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("the request has %u bytes, but 1 to %u are allowed"), len,
			    (guint) CB_READER_MAX_REQUEST);
		return NULL;
	}
	data = g_malloc(len);
	bytes = g_bytes_new_take(data, len);
	if (!cb_reader_read_full(STDIN_FILENO, data, len, error))
		return NULL;
	request =
	    g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE("(asa{sv})"), bytes, FALSE));
	/* GVariant reads damaged data safely, as defaults; but a request
	 * that is not exactly what the daemon sends is refused, not guessed */
	if (!g_variant_is_normal_form(request)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("the request is not a valid (asa{sv}) message"));
		return NULL;
	}
	return g_steal_pointer(&request);
}

static gboolean
cb_reader_check_type(const gchar *key, GVariant *value, const gchar *type, GError **error)
{
	if (!g_variant_is_of_type(value, G_VARIANT_TYPE(type))) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("option “%s” must be of type “%s”, not “%s”"), key, type,
			    g_variant_get_type_string(value));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_reader_parse_option(CbReaderRequest *req, const gchar *key, GVariant *value, GError **error)
{
	const struct {
		const gchar *key;
		gchar **target;
	} strings[] = {
		{ "volume-id", &req->iso.volume_id },
		{ "application-id", &req->iso.application_id },
		{ "publisher", &req->iso.publisher },
		{ "preparer", &req->iso.preparer },
		{ "system-id", &req->iso.system_id },
	};

	for (guint i = 0; i < G_N_ELEMENTS(strings); i++) {
		if (g_strcmp0(key, strings[i].key) != 0)
			continue;
		if (!cb_reader_check_type(key, value, "s", error))
			return FALSE;
		*strings[i].target = g_variant_dup_string(value, NULL);
		return TRUE;
	}
	if (g_strcmp0(key, "grafts") == 0) {
		if (!cb_reader_check_type(key, value, "as", error))
			return FALSE;
		req->grafts = g_variant_dup_strv(value, NULL);
		return TRUE;
	}
	if (g_strcmp0(key, "no-md5") == 0) {
		if (!cb_reader_check_type(key, value, "b", error))
			return FALSE;
		req->iso.no_md5 = g_variant_get_boolean(value);
		return TRUE;
	}
	if (g_strcmp0(key, "compress") == 0) {
		if (!cb_reader_check_type(key, value, "b", error))
			return FALSE;
		req->iso.compress = g_variant_get_boolean(value);
		return TRUE;
	}
	if (g_strcmp0(key, "creation-time") == 0) {
		if (!cb_reader_check_type(key, value, "x", error))
			return FALSE;
		req->iso.creation_time = g_variant_get_int64(value);
		return TRUE;
	}
	g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION, _("unknown option “%s”"), key);
	return FALSE;
}

/* the LOCAL part of "DISC/PATH=LOCAL", with cb-iso's escapes; NULL when
 * there is none, which cb_iso_builder_add_graft_spec() reports */
static const gchar *
cb_reader_graft_local(const gchar *spec)
{
	const gchar *p;

	for (p = spec; *p != '\0' && *p != '='; p++) {
		if (p[0] == '\\' && (p[1] == '=' || p[1] == '\\'))
			p++;
	}
	return *p == '=' ? p + 1 : NULL;
}

/* the reader runs in "/", so a relative path would silently mean
 * something other than what the caller meant */
static gboolean
cb_reader_check_paths(const CbReaderRequest *req, GError **error)
{
	for (guint i = 0; req->sources[i] != NULL; i++) {
		if (!g_path_is_absolute(req->sources[i])) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("source “%s” is not an absolute path"), req->sources[i]);
			return FALSE;
		}
	}
	for (guint i = 0; req->grafts != NULL && req->grafts[i] != NULL; i++) {
		const gchar *local = cb_reader_graft_local(req->grafts[i]);
		if (local != NULL && !g_path_is_absolute(local)) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("graft “%s” does not name an absolute path"), req->grafts[i]);
			return FALSE;
		}
	}
	if (req->sources[0] == NULL && (req->grafts == NULL || req->grafts[0] == NULL)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("no sources to put in the image"));
		return FALSE;
	}
	return TRUE;
}

static gboolean
cb_reader_parse_request(GVariant *request, CbReaderRequest *req, GError **error)
{
	g_autoptr(GVariant) options = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	GVariantIter iter;
	const gchar *key;
	GVariant *value;

	g_variant_get(request, "(^as@a{sv})", &req->sources, &options);
	g_variant_iter_init(&iter, options);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autoptr(GVariant) owned = value;
		if (!g_hash_table_add(seen, (gpointer) key)) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("option “%s” is given twice"), key);
			return FALSE;
		}
		if (!cb_reader_parse_option(req, key, value, error))
			return FALSE;
	}
	if (!cb_reader_check_paths(req, error))
		return FALSE;
	if (req->iso.volume_id == NULL)
		req->iso.volume_id = cb_volume_id_default((const gchar *const *) req->sources);
	return TRUE;
}

static CbIsoStream *
cb_reader_build(const CbReaderRequest *req, GError **error)
{
	g_autoptr(CbIsoBuilder) builder = cb_iso_builder_new(&req->iso, error);

	if (builder == NULL)
		return NULL;
	cb_iso_builder_set_warning_func(builder, cb_reader_on_warning, NULL);
	for (guint i = 0; req->sources[i] != NULL; i++) {
		if (!cb_iso_builder_add_source(builder, req->sources[i], error))
			return NULL;
	}
	for (guint i = 0; req->grafts != NULL && req->grafts[i] != NULL; i++) {
		if (!cb_iso_builder_add_graft_spec(builder, req->grafts[i], error))
			return NULL;
	}
	/* the stream keeps its own reference to the image */
	return cb_iso_builder_start(builder, error);
}

static gboolean
cb_reader_write_error(GError **error)
{
	g_set_error(error, CB_ERROR, CB_ERROR_FAILED, _("cannot write the image: %s"),
		    g_strerror(errno));
	return FALSE;
}

static gboolean
cb_reader_stream(CbIsoStream *stream, GError **error)
{
	guint64 size_le = GUINT64_TO_LE(cb_iso_stream_get_size(stream));
	g_autofree guint8 *buf = g_malloc(CB_READER_CHUNK);
	gssize n;

	if (!cb_reader_write_all(STDOUT_FILENO, (const guint8 *) &size_le, sizeof(size_le)))
		return cb_reader_write_error(error);
	while ((n = cb_iso_stream_read(stream, buf, CB_READER_CHUNK, error)) > 0) {
		if (!cb_reader_write_all(STDOUT_FILENO, buf, (gsize) n))
			return cb_reader_write_error(error);
	}
	return n == 0;
}

static gboolean
cb_reader_run(GError **error)
{
	g_auto(CbReaderRequest) req = { 0 };
	g_autoptr(GVariant) request = cb_reader_read_request(error);
	g_autoptr(CbIsoStream) stream = NULL;

	if (request == NULL || !cb_reader_parse_request(request, &req, error))
		return FALSE;
	stream = cb_reader_build(&req, error);
	if (stream == NULL)
		return FALSE;
	return cb_reader_stream(stream, error);
}

/* the protocol's last line, and the exit status that goes with it */
static int
cb_reader_fail(const GError *error)
{
	g_autofree gchar *prefix = g_strdup_printf(
	    "error: %d ", error->domain == CB_ERROR ? error->code : CB_ERROR_FAILED);
	cb_reader_report(prefix, error->message);
	return 1;
}

int
main(void)
{
	g_autoptr(GError) error = NULL;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	/* a daemon that stopped reading is an error to report, not a death */
	signal(SIGPIPE, SIG_IGN);
	/* started with the caller's rights, never to gain any through exec */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		g_set_error(&error, CB_ERROR, CB_ERROR_FAILED, _("cannot drop privileges: %s"),
			    g_strerror(errno));
		return cb_reader_fail(error);
	}
	if (!cb_reader_run(&error))
		return cb_reader_fail(error);
	return 0;
}
