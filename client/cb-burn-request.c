/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-burn-request.h"

#include "cb-agent.h"
#include "cb-client.h"
#include "cb-error.h"
#include "cb-format.h"
#include "cb-exit.h"
#include "cb-follow.h"
#include "cb-term-escape.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cb_burn_args_clear(CbBurnArgs *args)
{
	cb_crypt_args_clear(&args->crypt);
	g_free(args->drive);
}

void
cb_burn_args_add_entries(CbBurnArgs *args, GArray *entries)
{
	/* the array copies the table; the pointers into args stay */
	const GOptionEntry shared[] = {
		{ "drive", 0, 0, G_OPTION_ARG_STRING, &args->drive,
		  N_("The drive: its device, e.g. /dev/sr0, or its name in “cryptburn drives” "
		     "(default: the only drive)"),
		  N_("DEVICE") },
		{ "eject", 0, 0, G_OPTION_ARG_NONE, &args->eject,
		  N_("Eject the disc when the burn succeeded"), NULL },
		{ "speed", 0, 0, G_OPTION_ARG_INT, &args->speed,
		  N_("Write speed in kB/s (default: the fastest the disc allows)"), N_("N") },
		{ "simulate", 0, 0, G_OPTION_ARG_NONE, &args->simulate,
		  N_("Go through the motions with the laser off"), NULL },
		{ "no-verify", 0, 0, G_OPTION_ARG_NONE, &args->no_verify,
		  N_("Do not read the disc back after writing to compare it with what was written"),
		  NULL },
		{ "blank", 0, 0, G_OPTION_ARG_NONE, &args->blank,
		  N_("Blank a rewritable disc that holds data before writing (everything on it "
		     "is lost); without it such a disc is left alone"),
		  NULL },
		{ "copies", 0, 0, G_OPTION_ARG_INT, &args->copies,
		  N_("Write N discs with the same encrypted image, asking the passphrase once; "
		     "each is ejected when verified, then the next blank disc is waited for"),
		  N_("N") },
		{ "spool", 0, 0, G_OPTION_ARG_NONE, &args->spool,
		  N_("With --copies: keep the first disc's encrypted image in a temporary file "
		     "of the service and write the others from it"),
		  NULL },
		{ "media-timeout", 0, 0, G_OPTION_ARG_INT, &args->media_timeout,
		  N_("Wait at most this long for a suitable disc (default 1800; 0 fails at once "
		     "when there is none)"),
		  N_("SECONDS") },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &args->json,
		  N_("Print progress and the result as JSON, one object per line"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args->quiet, N_("No progress display"),
		  NULL },
	};
	g_array_append_vals(entries, shared, G_N_ELEMENTS(shared));
	cb_crypt_args_add_entries(&args->crypt, entries, TRUE);
}

static gboolean
cb_burn_args_validate(const CbBurnArgs *args, GError **error)
{
	if (!cb_crypt_args_validate(&args->crypt, error))
		return FALSE;
	if (args->speed < 0) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    _("--speed takes a positive number"));
		return FALSE;
	}
	if (args->copies != 0 && (args->copies < 1 || args->copies > 99)) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    _("--copies takes a number from 1 to 99"));
		return FALSE;
	}
	if (args->spool && args->copies < 2) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    _("--spool keeps the image for further copies: give --copies 2 "
				      "or more"));
		return FALSE;
	}
	if (args->media_timeout < -1 || args->media_timeout > 24 * 3600) {
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    _("--media-timeout takes seconds from 0 to 86400"));
		return FALSE;
	}
	if (args->crypt.format != NULL) {
		const CbFormatDesc *desc = cb_format_lookup(args->crypt.format, error);

		if (desc == NULL)
			return FALSE;
		if (desc->weak && !args->quiet)
			g_printerr(_("cryptburn: warning: %s: %s\n"), desc->name,
				   cb_format_weak_warning());
	}
	return TRUE;
}

/* the service never opens a path a client names: the passphrase file is
 * opened here, as the user, and only its descriptor crosses the bus */
static gint
cb_burn_add_passphrase_fd(const CbBurnArgs *args, GUnixFDList *fds, GError **error)
{
	gint index;

	if (args->crypt.passphrase_file != NULL) {
		int fd = open(args->crypt.passphrase_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
				    _("cannot open passphrase file %s: %s"),
				    args->crypt.passphrase_file, g_strerror(errno));
			return -1;
		}
		index = g_unix_fd_list_append(fds, fd, error);
		close(fd);
		return index;
	}
	if (fcntl(args->crypt.passphrase_fd, F_GETFD) < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_PASSPHRASE,
			    _("cannot read the passphrase: file descriptor %d is not open"),
			    args->crypt.passphrase_fd);
		return -1;
	}
	return g_unix_fd_list_append(fds, args->crypt.passphrase_fd, error);
}

/* only what was asked for: the service applies its own defaults */
static void
cb_burn_add_options(const CbBurnArgs *args, GVariantDict *options)
{
	if (args->crypt.format != NULL)
		g_variant_dict_insert(options, "format", "s", args->crypt.format);
	if (args->crypt.serial != NULL)
		g_variant_dict_insert(options, "serial", "s", args->crypt.serial);
	if (args->crypt.checksum != NULL)
		g_variant_dict_insert(options, "checksum", "s", args->crypt.checksum);
	if (args->crypt.noinfo)
		g_variant_dict_insert(options, "noinfo", "b", TRUE);
	if (args->crypt.passphrase_hex)
		g_variant_dict_insert(options, "passphrase-hex", "b", TRUE);
	if (args->crypt.allow_weak)
		g_variant_dict_insert(options, "allow-weak-passphrase", "b", TRUE);
	if (args->crypt.iter_time > 0)
		g_variant_dict_insert(options, "iter-time", "u", (guint32) args->crypt.iter_time);
	if (args->crypt.pbkdf_memory > 0)
		g_variant_dict_insert(options, "pbkdf-memory", "u",
				      (guint32) args->crypt.pbkdf_memory);
	if (args->crypt.pbkdf_iterations > 0)
		g_variant_dict_insert(options, "pbkdf-force-iterations", "u",
				      (guint32) args->crypt.pbkdf_iterations);
	if (args->eject)
		g_variant_dict_insert(options, "eject", "b", TRUE);
	if (args->speed > 0)
		g_variant_dict_insert(options, "speed", "u", (guint32) args->speed);
	if (args->simulate)
		g_variant_dict_insert(options, "simulate", "b", TRUE);
	if (args->no_verify)
		g_variant_dict_insert(options, "verify", "b", FALSE);
	if (args->blank)
		g_variant_dict_insert(options, "blank", "b", TRUE);
	if (args->copies > 1)
		g_variant_dict_insert(options, "copies", "u", (guint32) args->copies);
	if (args->spool)
		g_variant_dict_insert(options, "spool", "b", TRUE);
	if (args->media_timeout >= 0)
		g_variant_dict_insert(options, "media-timeout", "u", (guint32) args->media_timeout);
}

/* --keyfile FILE, opened here as the user: the service reads and writes
 * only the descriptor */
typedef struct {
	gint fd;
	gboolean created;
	dev_t dev;
	ino_t ino;
} CbBurnKeyFile;

static void
cb_burn_key_file_clear(CbBurnKeyFile *key)
{
	if (key->fd >= 0)
		close(key->fd);
	key->fd = -1;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CbBurnKeyFile, cb_burn_key_file_clear)

/* an existing file is the service's to judge (a key file to reuse, or an
 * empty one for the new keys); a missing one is made, and remembered as
 * ours */
static gboolean
cb_burn_key_file_open(CbBurnKeyFile *key, const gchar *path, GError **error)
{
	struct stat st;

	key->fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (key->fd < 0 && errno == ENOENT) {
		key->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
		key->created = key->fd >= 0;
	}
	if (key->fd < 0 || fstat(key->fd, &st) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot open the key file %s: %s"),
			    path, g_strerror(errno));
		return FALSE;
	}
	key->dev = st.st_dev;
	key->ino = st.st_ino;
	return TRUE;
}

/* a key file made by this run for a job that failed holds nothing; left
 * behind, an empty file would look like a place for new keys next time
 * while a disc was never written. Only the very file made here, still
 * empty, is removed: never one put in its place meanwhile. */
static void
cb_burn_key_file_discard(const CbBurnKeyFile *key, const gchar *path)
{
	struct stat st;

	if (key->created && stat(path, &st) == 0 && st.st_dev == key->dev &&
	    st.st_ino == key->ino && st.st_size == 0)
		(void) unlink(path);
}

static GVariant *
cb_burn_params(CbBurnCall *call, const gchar *drive, GUnixFDList *fds, GError **error)
{
	gint index;

	if (call->image_fd < 0)
		return g_variant_new("(o^as@a{sv})", drive, call->sources,
				     g_variant_dict_end(call->options));
	index = g_unix_fd_list_append(fds, call->image_fd, error);
	if (index < 0)
		return NULL;
	return g_variant_new("(oh@a{sv})", drive, index, g_variant_dict_end(call->options));
}

/* starts the job, running the main loop so that the agent and polkit can
 * be asked meanwhile; a signal now cancels the job once it exists.
 * *failed: the service refused the job or said it failed, so it is done
 * with what it was given (not when this process stopped waiting) */
static int
cb_burn_start_and_follow(const CbBurnArgs *args,
			 CbBurnCall *call,
			 CbClient *client,
			 CbAgent *agent,
			 GUnixFDList *fds,
			 const gchar *drive,
			 gboolean *failed)
{
	int rc;

	CbFollowFlags flags = CB_FOLLOW_CANCEL_ON_SIGNAL | (args->json ? CB_FOLLOW_JSON : 0) |
			      (args->quiet ? CB_FOLLOW_QUIET : 0);
	g_autoptr(CbFollow) follow = cb_follow_new(client, agent, flags);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *job = NULL;
	GVariant *params = cb_burn_params(call, drive, fds, &error);

	*failed = TRUE;
	if (params == NULL)
		return cb_follow_fail(follow, error);
	if (agent != NULL)
		cb_agent_set_starting(agent, TRUE);
	job = cb_follow_start_job(follow, CB_MANAGER_PATH, CB_MANAGER_INTERFACE, call->method,
				  params, fds, failed, &error);
	if (agent != NULL) {
		if (job != NULL)
			cb_agent_add_job(agent, job);
		cb_agent_set_starting(agent, FALSE);
	}
	if (job == NULL)
		return cb_follow_fail(follow, error);
	if (!args->quiet && isatty(STDERR_FILENO)) {
		g_autofree gchar *device = cb_client_describe_drive(client, drive);
		g_autofree gchar *safe = cb_term_escape(device, CB_TERM_ESCAPE_FIELD);
		g_printerr(_("Started job %s on %s.\n"), strrchr(job, '/') + 1, safe);
	}
	rc = cb_follow_run(follow, job);
	*failed = cb_follow_job_failed(follow);
	return rc;
}

int
cb_burn_request_run(const CbBurnArgs *args, CbBurnCall *call)
{
	CbFollowFlags flags = args->json ? CB_FOLLOW_JSON : CB_FOLLOW_NONE;
	g_autoptr(GUnixFDList) fds = g_unix_fd_list_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(CbClient) client = NULL;
	g_autoptr(CbDBusDrive) drive = NULL;
	g_autoptr(CbAgent) agent = NULL;
	g_auto(CbBurnKeyFile) key = { .fd = -1 };
	gboolean use_fd = args->crypt.passphrase_file != NULL || args->crypt.passphrase_fd >= 0;
	gboolean failed = FALSE;
	int rc;

	if (!cb_burn_args_validate(args, &error))
		return cb_exit_report(error);
	cb_burn_add_options(args, call->options);
	if (use_fd) {
		gint index = cb_burn_add_passphrase_fd(args, fds, &error);
		if (index < 0)
			return cb_follow_report_failure(flags, error);
		g_variant_dict_insert(call->options, "passphrase-fd", "h", index);
	}
	client = cb_client_new(CB_CLIENT_AUTHORIZE, &error);
	if (client == NULL)
		return cb_follow_report_failure(flags, error);
	drive = cb_client_find_drive(client, args->drive, &error);
	if (drive == NULL)
		return cb_follow_report_failure(flags, error);
	if (!use_fd) {
		agent = cb_agent_new(client, &error);
		if (agent == NULL)
			return cb_follow_report_failure(flags, error);
		g_variant_dict_insert(call->options, "agent", "o", cb_agent_get_path(agent));
	}
	/* last, so that nothing but the job itself can fail after a new
	 * key file is made */
	if (args->crypt.keyfile != NULL) {
		gint index;

		if (!cb_burn_key_file_open(&key, args->crypt.keyfile, &error))
			return cb_follow_report_failure(flags, error);
		index = g_unix_fd_list_append(fds, key.fd, &error);
		if (index < 0) {
			cb_burn_key_file_discard(&key, args->crypt.keyfile);
			return cb_follow_report_failure(flags, error);
		}
		g_variant_dict_insert(call->options, "keyfile-fd", "h", index);
	}
	rc = cb_burn_start_and_follow(args, call, client, agent, fds,
				      g_dbus_proxy_get_object_path(G_DBUS_PROXY(drive)), &failed);
	if (failed && args->crypt.keyfile != NULL)
		cb_burn_key_file_discard(&key, args->crypt.keyfile);
	return rc;
}
