/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-metadata.h"

CbMetadata *
cb_metadata_new(void)
{
	CbMetadata *self = g_new0(CbMetadata, 1);
	self->created = g_date_time_new_now_utc();
	self->version = g_strdup(CB_VERSION);
	return self;
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
	g_free(self);
}

gchar *
cb_metadata_format_created(const CbMetadata *self)
{
	if (self->created == NULL)
		return NULL;
	return g_date_time_format(self->created, "%Y-%m-%dT%H:%M:%SZ");
}
