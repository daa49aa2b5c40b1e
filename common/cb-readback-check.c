/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-readback-check.h"

#include "cb-error.h"
#include "cb-iso-check.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define CB_READBACK_BLOCK 2048
/* decrypted in pieces of at most this: the caller's chunks may be large,
 * our copy stays small; a multiple of every format's sector */
#define CB_READBACK_SCRATCH (1024 * 1024)

struct _CbReadbackCheck {
	CbFormat *format;
	guint64 header_size;
	guint64 offset; /* where the next chunk must start */
	guint8 *scratch;
	CbIsoCheck *iso;
};

CbReadbackCheck *
cb_readback_check_new(CbFormat *format, guint64 header_size)
{
	CbReadbackCheck *self;

	g_return_val_if_fail(header_size % CB_READBACK_BLOCK == 0, NULL);
	self = g_new0(CbReadbackCheck, 1);
	self->format = format;
	self->header_size = header_size;
	self->scratch = g_malloc(CB_READBACK_SCRATCH);
	self->iso = cb_iso_check_new();
	return self;
}

void
cb_readback_check_free(CbReadbackCheck *self)
{
	if (self == NULL)
		return;
	cb_iso_check_free(self->iso);
	g_free(self->scratch);
	g_free(self);
}

guint
cb_readback_check_get_tags(CbReadbackCheck *self)
{
	return cb_iso_check_get_tags(self->iso);
}

gboolean
cb_readback_check_feed(
    CbReadbackCheck *self, guint64 offset, const guint8 *buf, gsize len, GError **error)
{
	gsize skip = 0;

	if (offset != self->offset || len % CB_READBACK_BLOCK != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot check %zu bytes read back at byte %llu: the check needs "
			      "whole 2048-byte blocks in order, from byte %llu"),
			    len, (unsigned long long) offset, (unsigned long long) self->offset);
		return FALSE;
	}
	self->offset += len;
	if (offset < self->header_size)
		skip = (gsize) MIN(self->header_size - offset, (guint64) len);

	/* decrypted in a copy: buf may be what the caller also hashes */
	for (gsize done = skip; done < len;) {
		gsize n = MIN(len - done, CB_READBACK_SCRATCH);
		guint64 payload_offset = offset + done - self->header_size;

		memcpy(self->scratch, buf + done, n);
		if (!cb_format_decrypt(self->format, payload_offset, self->scratch, n, error) ||
		    !cb_iso_check_feed(self->iso, self->scratch, n, error))
			return FALSE;
		done += n;
	}
	return TRUE;
}

gboolean
cb_readback_check_finish(CbReadbackCheck *self, GError **error)
{
	return cb_iso_check_finish(self->iso, error);
}
