/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-metadata.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>
#include <string.h>

CbMetadata *
cb_metadata_new(void)
{
	CbMetadata *self = g_new0(CbMetadata, 1);
	self->created = g_date_time_new_now_utc();
	self->version = g_strdup(CB_VERSION);
	return self;
}

CbMetadata *
cb_metadata_copy(const CbMetadata *self)
{
	CbMetadata *copy = g_new0(CbMetadata, 1);

	copy->serial = g_strdup(self->serial);
	copy->volume_id = g_strdup(self->volume_id);
	copy->created = self->created != NULL ? g_date_time_ref(self->created) : NULL;
	copy->version = g_strdup(self->version);
	copy->checksum_type = g_strdup(self->checksum_type);
	copy->checksum = g_strdup(self->checksum);
	copy->checksum_size = self->checksum_size;
	return copy;
}

void
cb_metadata_free(CbMetadata *self)
{
	if (self == NULL)
		return;
	g_free(self->serial);
	g_free(self->volume_id);
	g_clear_pointer(&self->created, g_date_time_unref);
	g_free(self->version);
	g_free(self->checksum_type);
	g_free(self->checksum);
	g_free(self);
}

gchar *
cb_metadata_format_created(const CbMetadata *self)
{
	if (self->created == NULL)
		return NULL;
	return g_date_time_format(self->created, "%Y-%m-%dT%H:%M:%SZ");
}

static gsize
cb_metadata_digest_length(const gchar *type)
{
	if (g_strcmp0(type, "md5") == 0)
		return 16;
	if (g_strcmp0(type, "sha256") == 0)
		return 32;
	return 0;
}

gboolean
cb_metadata_checksum_type_valid(const gchar *type, GError **error)
{
	if (type == NULL || g_strcmp0(type, "none") == 0 || cb_metadata_digest_length(type) > 0)
		return TRUE;
	g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
		    _("unknown checksum “%s”; use md5, sha256 or none"), type);
	return FALSE;
}

gchar *
cb_metadata_format_checksum(const CbMetadata *self)
{
	if (self->checksum_type == NULL || self->checksum == NULL)
		return NULL;
	return g_strdup_printf("%s:%s", self->checksum_type, self->checksum);
}

gboolean
cb_metadata_parse_checksum(CbMetadata *self, const gchar *text, GError **error)
{
	const gchar *colon = strchr(text, ':');
	g_autofree gchar *type = NULL;
	gsize hex_len;

	if (colon == NULL) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("the recorded checksum “%s” has no type"), text);
		return FALSE;
	}
	type = g_ascii_strdown(text, colon - text);
	hex_len = 2 * cb_metadata_digest_length(type);
	if (hex_len == 0 || strlen(colon + 1) != hex_len ||
	    strspn(colon + 1, "0123456789abcdefABCDEF") != hex_len) {
		g_set_error(error, CB_ERROR, CB_ERROR_NOT_SUPPORTED,
			    _("the recorded checksum “%s” is not one cryptburn knows (md5 or "
			      "sha256 with a hex digest)"),
			    text);
		return FALSE;
	}
	g_free(self->checksum_type);
	self->checksum_type = g_steal_pointer(&type);
	g_free(self->checksum);
	self->checksum = g_ascii_strdown(colon + 1, -1);
	return TRUE;
}

gboolean
cb_metadata_parse_checksum_size(CbMetadata *self, const gchar *text, GError **error)
{
	guint64 size = 0;

	/* a header is anyone's to craft: strtoull would read "-5" as
	 * 18446744073709551611, and verify would hash to the end of the
	 * disc; off_t and a JSON integer end at G_MAXINT64 */
	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &size, NULL)) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("the recorded checksum covers “%s” bytes, which is not a size: the "
			      "header is damaged or was made to mislead"),
			    text);
		return FALSE;
	}
	self->checksum_size = size;
	return TRUE;
}
