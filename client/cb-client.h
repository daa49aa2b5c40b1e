/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-dbus-generated.h"

#include <gio/gunixfdlist.h>

G_BEGIN_DECLS

#define CB_BUS_NAME "org.cryptburn.CryptBurn1"
#define CB_OBJECT_MANAGER_PATH "/org/cryptburn/CryptBurn1"
#define CB_MANAGER_PATH CB_OBJECT_MANAGER_PATH "/Manager"
#define CB_JOBS_PATH CB_OBJECT_MANAGER_PATH "/jobs"
#define CB_MANAGER_INTERFACE "org.cryptburn.CryptBurn1.Manager"
#define CB_DRIVE_INTERFACE "org.cryptburn.CryptBurn1.Drive"
#define CB_JOB_INTERFACE "org.cryptburn.CryptBurn1.Job"

/*
 * The client's view of cryptburnd: a system bus connection and the
 * service's object manager, whose Drive and Job proxies follow the
 * service's signals. Main thread only.
 */
typedef struct _CbClient CbClient;

typedef enum {
	CB_CLIENT_NONE = 0,
	/* the command calls methods that polkit may ask about: with a
	 * terminal on stdin, answer polkit there and let methods wait for it */
	CB_CLIENT_AUTHORIZE = 1 << 0,
} CbClientFlags;

/* connects, starting the service if the bus can; fails when it is not there */
CbClient *
cb_client_new(CbClientFlags flags, GError **error);
void
cb_client_free(CbClient *self);

GDBusConnection *
cb_client_get_connection(CbClient *self);
GDBusObjectManager *
cb_client_get_object_manager(CbClient *self);
/* the service's unique bus name now; NULL once it left the bus */
gchar *
cb_client_dup_owner(CbClient *self);

/* the proxies of one interface (CB_DRIVE_INTERFACE, CB_JOB_INTERFACE),
 * sorted by object path, numbers in numeric order; free with g_list_free_full
 * and g_object_unref */
GList *
cb_client_list(CbClient *self, const gchar *interface);
/* spec: the Device ("/dev/sr0", "stdio:/path"), the object path or its
 * last element; NULL picks the only drive */
CbDBusDrive *
cb_client_find_drive(CbClient *self, const gchar *spec, GError **error);
/* spec: the object path or its number */
CbDBusJob *
cb_client_find_job(CbClient *self, const gchar *spec, GError **error);
/* the Device of a Drive object, its path if it is gone, NULL for "/" */
gchar *
cb_client_describe_drive(CbClient *self, const gchar *drive_path);

/* a method call to the service, with interactive authorization when the
 * client was made for it; errors come back without the GDBus prefix */
void
cb_client_call(CbClient *self,
	       const gchar *object_path,
	       const gchar *interface,
	       const gchar *method,
	       GVariant *parameters,
	       const GVariantType *reply_type,
	       GUnixFDList *fd_list,
	       GCancellable *cancellable,
	       GAsyncReadyCallback callback,
	       gpointer user_data);
GVariant *
cb_client_call_finish(CbClient *self, GAsyncResult *result, GError **error);
GVariant *
cb_client_call_sync(CbClient *self,
		    const gchar *object_path,
		    const gchar *interface,
		    const gchar *method,
		    GVariant *parameters,
		    const GVariantType *reply_type,
		    GError **error);

/* the D-Bus error name to report for error, e.g. in --json output */
gchar *
cb_client_error_name(const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbClient, cb_client_free)

G_END_DECLS
