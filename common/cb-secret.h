/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A buffer for passphrases and keys: its pages are locked in RAM (never
 * swapped), left out of core dumps, and wiped before they are returned.
 */
typedef struct _CbSecret CbSecret;

/* capacity is the most bytes it may ever hold; size starts at 0 */
CbSecret *
cb_secret_new(gsize capacity, GError **error);
CbSecret *
cb_secret_new_random(gsize size, GError **error);
void
cb_secret_free(CbSecret *self);

const guint8 *
cb_secret_peek(const CbSecret *self);
gsize
cb_secret_size(const CbSecret *self);
/* appends one byte; FALSE when full */
gboolean
cb_secret_append(CbSecret *self, guint8 byte);
void
cb_secret_set_size(CbSecret *self, gsize size);
/* NUL-terminated view, for APIs that want C strings */
const gchar *
cb_secret_as_string(CbSecret *self);
gboolean
cb_secret_equal(const CbSecret *a, const CbSecret *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbSecret, cb_secret_free)

G_END_DECLS
