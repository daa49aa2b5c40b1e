/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The installed drive backend, and the cb-burner.h calls that go to it.
 * The backend is chosen once by main() before any thread runs and never
 * changes, so reading the pointer needs no lock. Without one installed
 * (unit tests) libburn's is used.
 */

#include "cb-drive-backend.h"

static const CbDriveBackend *drive_backend;

void
cb_drive_backend_install(const CbDriveBackend *backend)
{
	g_return_if_fail(backend != NULL);
	drive_backend = backend;
	g_debug("drive backend: %s", backend->name);
}

const CbDriveBackend *
cb_drive_backend_get(void)
{
	return drive_backend != NULL ? drive_backend : &cb_libburn_backend;
}

guint
cb_drive_backend_watch(const gchar *device, CbMediaEventFunc func, gpointer user_data)
{
	const CbDriveBackend *backend = cb_drive_backend_get();

	return backend->watch != NULL ? backend->watch(device, func, user_data) : 0;
}

void
cb_drive_backend_unwatch(guint id)
{
	const CbDriveBackend *backend = cb_drive_backend_get();

	if (id != 0 && backend->unwatch != NULL)
		backend->unwatch(id);
}

gboolean
cb_burner_init(GError **error)
{
	return cb_drive_backend_get()->init(error);
}

void
cb_burner_shutdown(void)
{
	cb_drive_backend_get()->shutdown();
}

CbBurn *
cb_burn_open(const gchar *device, guint64 stdio_capacity, GError **error)
{
	return cb_drive_backend_get()->open(device, stdio_capacity, error);
}

void
cb_burn_close(CbBurn *self, gboolean eject)
{
	if (self != NULL)
		cb_drive_backend_get()->close(self, eject);
}

const gchar *
cb_burn_get_device(CbBurn *self)
{
	return cb_drive_backend_get()->device(self);
}

CbMediaInfo *
cb_burn_get_media(CbBurn *self)
{
	return cb_drive_backend_get()->get_media(self);
}

CbMediaInfo *
cb_burner_query(const gchar *device, guint64 stdio_capacity, GError **error)
{
	CbBurn *burn = cb_burn_open(device, stdio_capacity, error);
	CbMediaInfo *info;

	if (burn == NULL)
		return NULL;
	info = cb_burn_get_media(burn);
	cb_burn_close(burn, FALSE);
	return info;
}

gboolean
cb_burn_write(CbBurn *self,
	      int fd,
	      guint64 size,
	      const CbBurnOptions *options,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error)
{
	return cb_drive_backend_get()->write(self, fd, size, options, progress, user_data,
					     cancellable, error);
}

gboolean
cb_burn_blank(CbBurn *self,
	      CbBlankMode mode,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error)
{
	return cb_drive_backend_get()->blank(self, mode, progress, user_data, cancellable, error);
}

gboolean
cb_burner_test_corrupt(const gchar *device, guint64 offset, GError **error)
{
	return cb_drive_backend_get()->corrupt(device, offset, error);
}

void
cb_media_info_free(CbMediaInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->media);
	g_free(info->status);
	g_clear_pointer(&info->write_speeds, g_array_unref);
	g_free(info->vendor);
	g_free(info->model);
	g_free(info);
}

CbMediaInfo *
cb_media_info_copy(const CbMediaInfo *info)
{
	CbMediaInfo *copy = g_memdup2(info, sizeof(*info));

	copy->media = g_strdup(info->media);
	copy->status = g_strdup(info->status);
	copy->vendor = g_strdup(info->vendor);
	copy->model = g_strdup(info->model);
	copy->write_speeds = info->write_speeds != NULL ? g_array_copy(info->write_speeds) : NULL;
	return copy;
}
