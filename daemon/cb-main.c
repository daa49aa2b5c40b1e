/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburnd's life from the command line to SIGTERM, on whichever drive
 * backend its main() installs: libburn's in the installed daemon
 * (cryptburnd.c), a scripted one in the tests' daemon (tests/backend/).
 * Main thread: the GMainLoop, D-Bus objects, udev events; each job runs
 * on a worker thread of its own.
 */
#include "cb-main.h"

#include "cb-burner.h"
#include "cb-client-fds.h"
#include "cb-crypto.h"
#include "cb-daemon.h"
#include "cb-derive.h"
#include "cb-error.h"
#include "cb-gpg-home.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <stdio.h>
#include <unistd.h>

#define CB_BUS_NAME "org.cryptburn.CryptBurn1"
#define CB_DEFAULT_CONFIG SYSCONFDIR "/cryptburn/cryptburnd.conf"
#define CB_DEFAULT_IDLE_S 60
#define CB_DEFAULT_AGENT_TIMEOUT_S 120
#define CB_DEFAULT_FIFO_MB 32

typedef struct {
	GMainLoop *loop;
	CbDaemon *daemon;
	GDBusConnection *bus;
	guint owner_id;
	gint exit_status;
	gboolean stopping;
} CbMain;

/* [Daemon] key, when present: a whole number from min to max, or an error
 * naming the file and key (a typo must not turn into 0) */
static gboolean
cb_main_config_number(GKeyFile *file,
		      const gchar *path,
		      const gchar *key,
		      guint min,
		      guint max,
		      guint *value,
		      GError **error)
{
	g_autofree gchar *text = g_key_file_get_value(file, "Daemon", key, NULL);
	guint64 number = 0;
	g_autoptr(GError) error_local = NULL;

	if (text == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(g_strstrip(text), 10, min, max, &number, &error_local)) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION, _("%s: %s: %s"), path, key,
			    error_local->message);
		return FALSE;
	}
	*value = (guint) number;
	return TRUE;
}

/* the config file may name test drives, which write files as root: it
 * counts only when root owns it and nobody else may write it */
static gboolean
cb_main_load_config(const gchar *path, gboolean explicit, CbDaemonConfig *config, GError **error)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	struct stat st;

	if (stat(path, &st) != 0) {
		if (!explicit)
			return TRUE;
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION, _("cannot read %s: %s"), path,
			    g_strerror(errno));
		return FALSE;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
			    _("%s must be owned by root and writable by root only"), path);
		return FALSE;
	}
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, error))
		return FALSE;
	return cb_main_config_from_key_file(file, path, config, error);
}

gboolean
cb_main_config_from_key_file(GKeyFile *file,
			     const gchar *path,
			     CbDaemonConfig *config,
			     GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_auto(GStrv) drives = NULL;
	guint fifo_mib = 0;

	if (!cb_main_config_number(file, path, "IdleTimeout", 0, G_MAXUINT, &config->idle_timeout_s,
				   error) ||
	    !cb_main_config_number(file, path, "AgentTimeout", 1, G_MAXUINT,
				   &config->agent_timeout_s, error))
		return FALSE;
	if (!cb_main_config_number(file, path, "FifoMiB", 1, 1024, &fifo_mib, error))
		return FALSE;
	if (fifo_mib > 0)
		config->fifo_bytes = (gsize) fifo_mib * 1024 * 1024;
	drives = g_key_file_get_string_list(file, "Daemon", "TestDrives", NULL, &local_error);
	if (drives != NULL) {
		g_autoptr(GStrvBuilder) all = g_strv_builder_new();
		if (config->test_drives != NULL)
			g_strv_builder_addv(all, (const gchar **) config->test_drives);
		g_strv_builder_addv(all, (const gchar **) drives);
		g_strfreev(config->test_drives);
		config->test_drives = g_strv_builder_end(all);
	}
	return TRUE;
}

/* a hook for the tests of verify, which must not reach a real disc: only
 * root's command line sets it, it needs a test drive there, and it acts
 * on test drives only (cb_burner_test_corrupt) */
static gboolean
cb_main_parse_corrupt_offset(const gchar *text,
			     gchar **test_drives,
			     CbDaemonConfig *config,
			     GError **error)
{
	guint64 offset = 0;

	if (test_drives == NULL || test_drives[0] == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("--test-corrupt-after-write is for test drives: give "
				      "--test-drive too"));
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &offset, error)) {
		g_prefix_error(error, "--test-corrupt-after-write: ");
		return FALSE;
	}
	config->test_corrupt_offset = (gint64) offset;
	g_message("test hook: byte %" G_GUINT64_FORMAT " of a test drive's file is flipped "
		  "after each write",
		  offset);
	return TRUE;
}

static gboolean
cb_main_on_watchdog(gpointer data)
{
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

static void
cb_main_on_idle(gpointer data)
{
	CbMain *m = data;

	g_message("no jobs for a while; exiting (D-Bus activation starts us again)");
	g_main_loop_quit(m->loop);
}

static gboolean
cb_main_on_signal(gpointer data)
{
	CbMain *m = data;

	/* jobs are cancelled and the drives released on the way out */
	g_message("stopping on request");
	sd_notify(0, "STOPPING=1");
	m->stopping = TRUE;
	g_main_loop_quit(m->loop);
	return G_SOURCE_REMOVE;
}

static void
cb_main_on_name_acquired(GDBusConnection *bus, const gchar *name, gpointer data)
{
	g_message("ready on %s", name);
	sd_notify(0, "READY=1\nSTATUS=Waiting for jobs");
}

static void
cb_main_on_name_lost(GDBusConnection *bus, const gchar *name, gpointer data)
{
	CbMain *m = data;

	g_warning("lost or could not own %s on the system bus", name);
	m->exit_status = 1;
	g_main_loop_quit(m->loop);
}

int
cb_main_run(int argc, char **argv, const CbDriveBackend *backend)
{
	g_auto(GStrv) test_drives = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *reader_path = NULL;
	g_autofree gchar *corrupt_offset = NULL;
	gint idle_timeout = -1;
	gint agent_timeout = -1;
	gint fifo_mb = -1;
	gboolean verbose = FALSE;
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{ "test-drive", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &test_drives,
		  N_("Add a test drive writing the file PATH, optionally emulating a disc of "
		     "SIZE bytes (K, M, G, T suffixes); repeatable"),
		  N_("PATH[:SIZE]") },
		{ "test-corrupt-after-write", 0, 0, G_OPTION_ARG_STRING, &corrupt_offset,
		  N_("For tests: flip the byte at OFFSET of a test drive's file after each "
		     "write, before it is read back; only with --test-drive"),
		  N_("OFFSET") },
		{ "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
		  N_("Read this configuration file (default " CB_DEFAULT_CONFIG ")"), N_("FILE") },
		{ "reader", 0, 0, G_OPTION_ARG_FILENAME, &reader_path,
		  N_("The reader helper (default " LIBEXECDIR "/cryptburn-reader)"), N_("PATH") },
		{ "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
		  N_("Exit after this many seconds without jobs; 0 never (default 60)"),
		  N_("SECONDS") },
		{ "agent-timeout", 0, 0, G_OPTION_ARG_INT, &agent_timeout,
		  N_("Give up on a passphrase agent after this many seconds (default 120)"),
		  N_("SECONDS") },
		{ "fifo-size", 0, 0, G_OPTION_ARG_INT, &fifo_mb,
		  N_("The drive buffer in MiB (default 32)"), N_("MIB") },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages"), NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version"), NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	CbDaemonConfig config = {
		.idle_timeout_s = CB_DEFAULT_IDLE_S,
		.agent_timeout_s = CB_DEFAULT_AGENT_TIMEOUT_S,
		.fifo_bytes = CB_DEFAULT_FIFO_MB * 1024 * 1024,
		.test_corrupt_offset = -1,
	};
	CbMain m = { 0 };
	guint64 watchdog_usec = 0;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	/* secrets pass through this process: no core dumps, no ptrace by
	 * other users (sanitizer builds need to stay dumpable) */
#ifndef __SANITIZE_ADDRESS__
	prctl(PR_SET_DUMPABLE, 0);
#endif
	/* a client that closes its output pipe must not kill the daemon */
	signal(SIGPIPE, SIG_IGN);

	context = g_option_context_new(NULL);
	g_option_context_set_summary(context,
				     _("The cryptburn service: burns encrypted discs for clients "
				       "on the system bus."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("cryptburnd: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print("cryptburnd %s\n", CB_VERSION);
		return 0;
	}
	if (verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	if (corrupt_offset != NULL &&
	    !cb_main_parse_corrupt_offset(corrupt_offset, test_drives, &config, &error)) {
		g_printerr("cryptburnd: %s\n", error->message);
		return 2;
	}

	config.test_drives = g_steal_pointer(&test_drives);
	if (!cb_main_load_config(config_path != NULL ? config_path : CB_DEFAULT_CONFIG,
				 config_path != NULL, &config, &error)) {
		g_printerr("cryptburnd: %s\n", error->message);
		g_strfreev(config.test_drives);
		return 2;
	}
	if (idle_timeout >= 0)
		config.idle_timeout_s = (guint) idle_timeout;
	if (agent_timeout > 0)
		config.agent_timeout_s = (guint) agent_timeout;
	if (fifo_mb > 0)
		config.fifo_bytes = (gsize) fifo_mb * 1024 * 1024;
	config.reader_path =
	    reader_path != NULL ? g_strdup(reader_path) : g_strdup(LIBEXECDIR "/cryptburn-reader");

	cb_drive_backend_install(backend);
	/* a cryptburnd killed during a loop-aes job left its GnuPG home (its
	 * agent died with it); under systemd, RuntimeDirectory= goes with the
	 * service anyway */
	cb_gpg_home_remove_stale();
	if (!cb_crypto_init(&error) || !cb_burner_init(&error)) {
		g_printerr("cryptburnd: %s\n", error->message);
		g_strfreev(config.test_drives);
		g_free(config.reader_path);
		return 1;
	}
	m.daemon = cb_daemon_new(&config, &error);
	g_strfreev(config.test_drives);
	g_free(config.reader_path);
	if (m.daemon == NULL) {
		g_printerr("cryptburnd: %s\n", error->message);
		cb_burner_shutdown();
		return 2;
	}

	m.loop = g_main_loop_new(NULL, FALSE);
	m.bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (m.bus != NULL)
		cb_client_fds_install(m.bus);
	if (m.bus == NULL || !cb_daemon_export(m.daemon, m.bus, cb_main_on_idle, &m, &error)) {
		g_printerr("cryptburnd: %s\n", error->message);
		cb_daemon_free(m.daemon);
		cb_burner_shutdown();
		return 1;
	}
	/* objects first, then the name: a caller activated by its first
	 * call finds everything in place */
	m.owner_id =
	    g_bus_own_name_on_connection(m.bus, CB_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
					 cb_main_on_name_acquired, cb_main_on_name_lost, &m, NULL);
	g_unix_signal_add(SIGTERM, cb_main_on_signal, &m);
	g_unix_signal_add(SIGINT, cb_main_on_signal, &m);
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
		g_timeout_add((guint) (watchdog_usec / 2 / 1000), cb_main_on_watchdog, NULL);

	g_main_loop_run(m.loop);

	g_bus_unown_name(m.owner_id);
	cb_daemon_free(m.daemon);
	cb_burner_shutdown();
	g_dbus_connection_flush_sync(m.bus, NULL, NULL);
	g_object_unref(m.bus);
	g_main_loop_unref(m.loop);
	/* a cancelled job's key derivation cannot be stopped and is not
	 * waited for (cb-derive.h); exit() would run the libraries'
	 * destructors under it */
	if (cb_derive_running() > 0) {
		g_message("stopping with %u abandoned key derivations unfinished",
			  cb_derive_running());
		fflush(NULL);
		_exit(m.exit_status);
	}
	return m.exit_status;
}
