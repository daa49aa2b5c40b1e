/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb_derive_format() on the caller's thread (a job's worker); the
 * derivation on a detached thread of its own, which nobody joins */
#include "cb-derive.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

/* one lock and condition for every derivation: the count of running ones
 * and each one's end are waited for together, and a derivation touches
 * nothing of its own after it has let go of the lock */
static GMutex cb_derive_lock;
static GCond cb_derive_cond;
static guint cb_derive_count;

typedef struct {
	const CbFormatDesc *desc;
	CbFormatParams params; /* pointing at the copies below */
	CbSecret *passphrase;
	CbMetadata *metadata;
	GBytes *key_file;
	/* under cb_derive_lock */
	gboolean done;
	gboolean abandoned;
	CbFormat *format;
	GError *error;
} CbDerive;

static void
cb_derive_free(CbDerive *self)
{
	/* cb_secret_free wipes it */
	g_clear_pointer(&self->passphrase, cb_secret_free);
	g_clear_pointer(&self->metadata, cb_metadata_free);
	g_clear_pointer(&self->key_file, g_bytes_unref);
	g_clear_pointer(&self->format, cb_format_free);
	g_clear_error(&self->error);
	g_free(self);
}

static CbSecret *
cb_derive_copy_secret(const CbSecret *secret, GError **error)
{
	g_autoptr(CbSecret) copy = cb_secret_new(MAX(cb_secret_size(secret), 1), error);
	const guint8 *bytes = cb_secret_peek(secret);

	if (copy == NULL)
		return NULL;
	for (gsize i = 0; i < cb_secret_size(secret); i++)
		cb_secret_append(copy, bytes[i]);
	return g_steal_pointer(&copy);
}

static CbDerive *
cb_derive_new(const CbFormatDesc *desc, const CbFormatParams *params, GError **error)
{
	CbDerive *self = g_new0(CbDerive, 1);

	self->desc = desc;
	self->params = *params;
	if (params->passphrase != NULL) {
		self->passphrase = cb_derive_copy_secret(params->passphrase, error);
		if (self->passphrase == NULL) {
			cb_derive_free(self);
			return NULL;
		}
	}
	if (params->metadata != NULL)
		self->metadata = cb_metadata_copy(params->metadata);
	if (params->key_file != NULL)
		self->key_file = g_bytes_ref(params->key_file);
	self->params.passphrase = self->passphrase;
	self->params.metadata = self->metadata;
	self->params.key_file = self->key_file;
	return self;
}

static gpointer
cb_derive_thread(gpointer data)
{
	CbDerive *self = data;
	GError *error = NULL;
	CbFormat *format = self->desc->create(&self->params, &error);
	gboolean abandoned;

	/* nobody needs the passphrase any more, whoever waits or not */
	g_clear_pointer(&self->passphrase, cb_secret_free);
	g_mutex_lock(&cb_derive_lock);
	cb_derive_count--;
	abandoned = self->abandoned;
	if (!abandoned) {
		self->format = format;
		self->error = error;
		self->done = TRUE;
	}
	g_cond_broadcast(&cb_derive_cond);
	g_mutex_unlock(&cb_derive_lock);
	if (abandoned) {
		g_debug("an abandoned key derivation has ended");
		g_clear_pointer(&format, cb_format_free);
		g_clear_error(&error);
		cb_derive_free(self);
	}
	return NULL;
}

/* runs on the thread that cancels */
static void
cb_derive_on_cancelled(GCancellable *cancellable, gpointer data)
{
	g_mutex_lock(&cb_derive_lock);
	g_cond_broadcast(&cb_derive_cond);
	g_mutex_unlock(&cb_derive_lock);
}

static gboolean
cb_derive_cancelled(GError **error)
{
	g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
			    _("cancelled during the key derivation"));
	return FALSE;
}

/* under cb_derive_lock: waits for a free turn, then takes it */
static gboolean
cb_derive_take_turn(GCancellable *cancellable, GError **error)
{
	while (cb_derive_count >= CB_DERIVE_MAX_RUNNING) {
		if (g_cancellable_is_cancelled(cancellable))
			return cb_derive_cancelled(error);
		g_cond_wait(&cb_derive_cond, &cb_derive_lock);
	}
	if (g_cancellable_is_cancelled(cancellable))
		return cb_derive_cancelled(error);
	cb_derive_count++;
	return TRUE;
}

/* under cb_derive_lock: the derivation's result, or FALSE when cancelled,
 * after which self belongs to the derivation's thread */
static CbFormat *
cb_derive_wait(CbDerive *self, GCancellable *cancellable, GError **error)
{
	while (!self->done) {
		if (g_cancellable_is_cancelled(cancellable)) {
			self->abandoned = TRUE;
			cb_derive_cancelled(error);
			return NULL;
		}
		g_cond_wait(&cb_derive_cond, &cb_derive_lock);
	}
	if (self->error != NULL)
		g_propagate_error(error, g_steal_pointer(&self->error));
	return g_steal_pointer(&self->format);
}

static CbFormat *
cb_derive_run(CbDerive *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(GThread) thread = NULL;
	CbFormat *format;

	g_mutex_lock(&cb_derive_lock);
	if (!cb_derive_take_turn(cancellable, error)) {
		g_mutex_unlock(&cb_derive_lock);
		cb_derive_free(self);
		return NULL;
	}
	g_mutex_unlock(&cb_derive_lock);
	thread = g_thread_try_new("cb-derive", cb_derive_thread, self, error);
	if (thread == NULL) {
		g_mutex_lock(&cb_derive_lock);
		cb_derive_count--;
		g_cond_broadcast(&cb_derive_cond);
		g_mutex_unlock(&cb_derive_lock);
		cb_derive_free(self);
		return NULL;
	}
	g_mutex_lock(&cb_derive_lock);
	format = cb_derive_wait(self, cancellable, error);
	if (self->done) {
		g_mutex_unlock(&cb_derive_lock);
		cb_derive_free(self);
		return format;
	}
	g_mutex_unlock(&cb_derive_lock);
	return NULL;
}

CbFormat *
cb_derive_format(const CbFormatDesc *desc,
		 const CbFormatParams *params,
		 GCancellable *cancellable,
		 GError **error)
{
	CbDerive *self;
	CbFormat *format;
	gulong handler = 0;

	if (g_cancellable_set_error_if_cancelled(cancellable, error))
		return NULL;
	self = cb_derive_new(desc, params, error);
	if (self == NULL)
		return NULL;
	/* not under the lock: connect calls back at once when cancelled
	 * already, and disconnect waits for a callback that runs */
	if (cancellable != NULL)
		handler = g_cancellable_connect(cancellable, G_CALLBACK(cb_derive_on_cancelled),
						NULL, NULL);
	format = cb_derive_run(self, cancellable, error);
	if (cancellable != NULL)
		g_cancellable_disconnect(cancellable, handler);
	return format;
}

guint
cb_derive_running(void)
{
	guint n;

	g_mutex_lock(&cb_derive_lock);
	n = cb_derive_count;
	g_mutex_unlock(&cb_derive_lock);
	return n;
}
