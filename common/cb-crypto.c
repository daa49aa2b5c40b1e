/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-crypto.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

#include <gcrypt.h>

static gpointer
cb_crypto_init_once(gpointer data)
{
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		return GINT_TO_POINTER(FALSE);
	/* libcryptsetup shares this libgcrypt: finish initialisation before it
	 * looks, so it does not set the library up differently */
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
		gcry_control(GCRYCTL_INIT_SECMEM, CB_CRYPTO_SECMEM_BYTES, 0);
		gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	return GINT_TO_POINTER(TRUE);
}

gboolean
cb_crypto_init(GError **error)
{
	static GOnce once = G_ONCE_INIT;

	if (!GPOINTER_TO_INT(g_once(&once, cb_crypto_init_once, NULL))) {
		g_set_error(error, CB_ERROR, CB_ERROR_CRYPTO,
			    _("libgcrypt is older than the %s this program was built with"),
			    GCRYPT_VERSION);
		return FALSE;
	}
	return TRUE;
}
