/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs on the caller's thread, usually a job's worker: every call has its
 * own gpgme context and GnuPG home, nothing is shared but gpgme's init. */
#include "cb-gpg-key.h"

#include "cb-armor.h"
#include "cb-error.h"
#include "cb-gpg-home.h"

#include <glib/gi18n-lib.h>
#include <gpgme.h>

#include <errno.h>
#include <string.h>

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gpgme_ctx_t, gpgme_release, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(gpgme_data_t, gpgme_data_release, NULL)

/* gpgme has no call for s2k parameters, so they go into the gpg.conf of a
 * home only our gpg reads. enciso's values: AES256, SHA512 and 65011712
 * iterations, the most s2k mode 3 can encode (count byte 255). The armor
 * gets no Version or Comment line: cb_armor_set_comments() writes
 * enciso's info there. No keyring and no random seed file: fewer files
 * for nothing, symmetric encryption needs neither. No agent but the one
 * cb-gpg-home.c starts: one gpg started itself would detach and outlive
 * us. */
static const gchar cb_gpg_key_conf[] = "s2k-mode 3\n"
				       "s2k-cipher-algo AES256\n"
				       "s2k-digest-algo SHA512\n"
				       "s2k-count 65011712\n"
				       "cipher-algo AES256\n"
				       "no-emit-version\n"
				       "no-comments\n"
				       "no-keyring\n"
				       "no-random-seed-file\n"
				       "no-autostart\n";

static void
cb_gpg_key_init_library(void)
{
	static gsize done = 0;

	/* gpgme_check_version() initialises gpgme and must come before any
	 * other call, once; it also sets SIGPIPE to ignored if it was default,
	 * so a gpg that dies mid-write does not kill us */
	if (g_once_init_enter(&done)) {
		gpgme_check_version(NULL);
		g_once_init_leave(&done, 1);
	}
}

static gboolean
cb_gpg_key_fail(gpgme_error_t err, CbError code, const gchar *what, GError **error)
{
	gchar reason[256];

	/* the _r one: gpgme_strerror() may share a buffer between threads */
	gpgme_strerror_r(err, reason, sizeof(reason));
	g_set_error(error, CB_ERROR, code, "%s: %s", what, reason);
	return FALSE;
}

typedef struct {
	const CbSecret *passphrase;
	guint asked;
	gboolean was_bad;
} CbGpgPassphrase;

/* never logs: the passphrase goes from its locked pages to gpg's pipe */
static gpgme_error_t
cb_gpg_key_passphrase_cb(
    void *hook, const char *uid_hint, const char *passphrase_info, int prev_was_bad, int fd)
{
	CbGpgPassphrase *pp = hook;
	const guint8 *data = cb_secret_peek(pp->passphrase);
	gsize size = cb_secret_size(pp->passphrase);

	pp->asked++;
	/* gpg asks again after a wrong one; we would only repeat it */
	if (prev_was_bad) {
		pp->was_bad = TRUE;
		return gpgme_error(GPG_ERR_BAD_PASSPHRASE);
	}
	/* the bytes as they are, like gpg --passphrase-fd: no charset
	 * conversion, so other loop-AES tools derive the same key */
	if (gpgme_io_writen(fd, data, size) != 0 || gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error_from_syserror();
	return 0;
}

static gboolean
cb_gpg_key_check_passphrase(const CbSecret *passphrase, GError **error)
{
	const guint8 *data = cb_secret_peek(passphrase);
	gsize size = cb_secret_size(passphrase);

	/* gpg takes the passphrase as one line and a C string: a line break
	 * or NUL would silently cut it short, and the key would be guarded by
	 * less than the user typed */
	if (memchr(data, '\n', size) != NULL || memchr(data, '\0', size) != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("the passphrase contains a line break or a NUL byte, which GnuPG "
			      "cannot take"));
		return FALSE;
	}
	return TRUE;
}

static gpgme_ctx_t
cb_gpg_key_new_context(const CbGpgHome *home, CbGpgPassphrase *pp, GError **error)
{
	g_auto(gpgme_ctx_t) ctx = NULL;
	gpgme_error_t err;

	cb_gpg_key_init_library();
	err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_NOT_SUPPORTED,
				_("GnuPG is not usable (is gnupg installed?)"), error);
		return NULL;
	}
	err = gpgme_new(&ctx);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_FAILED, _("cannot start gpgme"), error);
		return NULL;
	}
	err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home->path);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_FAILED, _("cannot give gpg its home"), error);
		return NULL;
	}
	/* loopback: gpg-agent asks us through gpg instead of a pinentry,
	 * which a service has no screen for */
	err = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_FAILED, _("cannot ask GnuPG for loopback pinentry"),
				error);
		return NULL;
	}
	/* the agent lives on for some milliseconds after gpg: it must not
	 * hold the passphrase meanwhile */
	err = gpgme_set_ctx_flag(ctx, "no-symkey-cache", "1");
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_FAILED,
				_("cannot keep gpg-agent from caching the passphrase"), error);
		return NULL;
	}
	gpgme_set_armor(ctx, 1);
	gpgme_set_passphrase_cb(ctx, cb_gpg_key_passphrase_cb, pp);
	return g_steal_pointer(&ctx);
}

GBytes *
cb_gpg_key_encrypt(const CbSecret *key_text, const CbSecret *passphrase, GError **error)
{
	/* the home first: cleanups run in reverse, so gpgme is done with gpg
	 * before the agent is stopped and the home removed */
	g_auto(CbGpgHome) home = CB_GPG_HOME_INIT;
	CbGpgPassphrase pp = { .passphrase = passphrase };
	g_auto(gpgme_ctx_t) ctx = NULL;
	g_auto(gpgme_data_t) plain = NULL;
	g_auto(gpgme_data_t) cipher = NULL;
	gpgme_error_t err;
	gchar *armored;
	size_t len = 0;
	GBytes *bytes;

	if (cb_secret_size(key_text) > CB_GPG_KEY_MAX) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("key text too long: %zu bytes, at most %d"), cb_secret_size(key_text),
			    CB_GPG_KEY_MAX);
		return NULL;
	}
	if (!cb_gpg_key_check_passphrase(passphrase, error))
		return NULL;
	cb_gpg_key_init_library();
	if (!cb_gpg_home_open(&home, cb_gpg_key_conf, error))
		return NULL;
	ctx = cb_gpg_key_new_context(&home, &pp, error);
	if (ctx == NULL)
		return NULL;

	/* copy 0: gpgme reads the key text from its locked pages straight
	 * into gpg's pipe, no heap copy */
	err = gpgme_data_new_from_mem(&plain, (const char *) cb_secret_peek(key_text),
				      cb_secret_size(key_text), 0);
	if (err == 0)
		err = gpgme_data_new(&cipher);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_FAILED, _("cannot set up gpgme buffers"), error);
		return NULL;
	}
	/* no recipients: passphrase only. Compression is left to gpg (ZIP by
	 * default) like the loop-AES README's "gpg --symmetric -a"; every
	 * reader decompresses */
	err = gpgme_op_encrypt(ctx, NULL, GPGME_ENCRYPT_SYMMETRIC, plain, cipher);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_CRYPTO, _("cannot encrypt the key file with GnuPG"),
				error);
		return NULL;
	}

	armored = gpgme_data_release_and_get_mem(g_steal_pointer(&cipher), &len);
	if (armored == NULL || len < strlen(CB_ARMOR_BEGIN) ||
	    memcmp(armored, CB_ARMOR_BEGIN, strlen(CB_ARMOR_BEGIN)) != 0) {
		gpgme_free(armored);
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("GnuPG did not give an ASCII-armored message"));
		return NULL;
	}
	bytes = g_bytes_new(armored, len);
	gpgme_free(armored);
	return bytes;
}

/* gpgme's output goes straight into locked memory: a gpgme_data_new()
 * buffer would grow by realloc and leave unwiped copies of the key */
typedef struct {
	CbSecret *secret;
	gsize capacity;
	GError *error;
} CbGpgSink;

static void
cb_gpg_sink_clear(CbGpgSink *self)
{
	g_clear_pointer(&self->secret, cb_secret_free);
	g_clear_error(&self->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbGpgSink, cb_gpg_sink_clear)

static gboolean
cb_gpg_sink_reserve(CbGpgSink *self, gsize size)
{
	gsize used = cb_secret_size(self->secret);
	gsize capacity = self->capacity;
	g_autoptr(CbSecret) bigger = NULL;

	if (size <= capacity - used)
		return TRUE;
	if (size > CB_GPG_KEY_MAX - used) {
		g_set_error(&self->error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("the key file holds more than %d bytes, too much for a key text"),
			    CB_GPG_KEY_MAX);
		return FALSE;
	}
	while (capacity - used < size)
		capacity *= 2;
	capacity = MIN(capacity, CB_GPG_KEY_MAX);
	bigger = cb_secret_new(capacity, &self->error);
	if (bigger == NULL)
		return FALSE;
	for (gsize i = 0; i < used; i++)
		cb_secret_append(bigger, cb_secret_peek(self->secret)[i]);
	cb_secret_free(self->secret);
	self->secret = g_steal_pointer(&bigger);
	self->capacity = capacity;
	return TRUE;
}

static gpgme_ssize_t
cb_gpg_sink_write(void *handle, const void *buffer, size_t size)
{
	CbGpgSink *self = handle;
	const guint8 *bytes = buffer;

	if (self->error != NULL || !cb_gpg_sink_reserve(self, size)) {
		errno = EFBIG;
		return -1;
	}
	for (gsize i = 0; i < size; i++)
		cb_secret_append(self->secret, bytes[i]);
	return (gpgme_ssize_t) size;
}

static struct gpgme_data_cbs cb_gpg_sink_cbs = { .write = cb_gpg_sink_write };

/* which failures of gpgme_op_decrypt() mean what, found by experiment
 * with gpg 2.2 and gpgme 1.18 */
static void
cb_gpg_key_decrypt_error(gpgme_error_t err, const CbGpgPassphrase *pp, GError **error)
{
	switch (gpgme_err_code(err)) {
	case GPG_ERR_BAD_PASSPHRASE:
		/* gpg says "ERROR symkey_decrypt.maybe_error 11_BAD_PASSPHRASE"
		 * when the session key it derived fails the check bytes */
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("wrong passphrase for the key file"));
		return;
	case GPG_ERR_NO_DATA:
		/* after the passphrase: a message cut short. Before it: no
		 * encrypted packet at all, be it text, an image, a key, or what
		 * gpg --store makes, which needs no passphrase */
		if (pp->asked > 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
				    _("the key file is damaged: its encrypted part is incomplete"));
			return;
		}
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("not a GnuPG-encrypted key file"));
		return;
	case GPG_ERR_NO_SECKEY:
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("the key file is encrypted to a public key, not with a passphrase"));
		return;
	default:
		if (pp->was_bad) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("wrong passphrase for the key file"));
			return;
		}
		cb_gpg_key_fail(err, CB_ERROR_CRYPTO, _("cannot decrypt the key file"), error);
	}
}

CbSecret *
cb_gpg_key_decrypt(GBytes *armored, const CbSecret *passphrase, GError **error)
{
	/* declared in the order they must go away in reverse: the data
	 * objects that call into the sink, the context, the home last */
	g_auto(CbGpgHome) home = CB_GPG_HOME_INIT;
	CbGpgPassphrase pp = { .passphrase = passphrase };
	g_auto(CbGpgSink) sink = { NULL };
	g_auto(gpgme_ctx_t) ctx = NULL;
	g_auto(gpgme_data_t) cipher = NULL;
	g_auto(gpgme_data_t) plain = NULL;
	gpgme_decrypt_result_t result;
	gpgme_error_t err;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(armored, &len);

	if (len == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("the key file is empty"));
		return NULL;
	}
	if (!cb_gpg_key_check_passphrase(passphrase, error))
		return NULL;
	/* a loop-AES key text is about 8 KB: room for it without growing */
	sink.capacity = 16 * 1024;
	sink.secret = cb_secret_new(sink.capacity, error);
	if (sink.secret == NULL)
		return NULL;
	cb_gpg_key_init_library();
	if (!cb_gpg_home_open(&home, cb_gpg_key_conf, error))
		return NULL;
	ctx = cb_gpg_key_new_context(&home, &pp, error);
	if (ctx == NULL)
		return NULL;

	err = gpgme_data_new_from_mem(&cipher, data, len, 0);
	if (err == 0)
		err = gpgme_data_new_from_cbs(&plain, &cb_gpg_sink_cbs, &sink);
	if (err != 0) {
		cb_gpg_key_fail(err, CB_ERROR_FAILED, _("cannot set up gpgme buffers"), error);
		return NULL;
	}
	err = gpgme_op_decrypt(ctx, cipher, plain);
	if (sink.error != NULL) {
		g_propagate_error(error, g_steal_pointer(&sink.error));
		return NULL;
	}
	if (err != 0) {
		cb_gpg_key_decrypt_error(err, &pp, error);
		return NULL;
	}
	result = gpgme_op_decrypt_result(ctx);
	if (result != NULL && result->unsupported_algorithm != NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("the key file uses a cipher GnuPG does not support: %s"),
			    result->unsupported_algorithm);
		return NULL;
	}
	return g_steal_pointer(&sink.secret);
}
