/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburnd.conf: GLib's key file reader, then the [Daemon] keys
 * (daemon/cb-main.c), over defaults as cb_main_run() sets them and a test
 * drive from the command line.
 */
#include "cb-main.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) error = NULL;
	const gchar *const command_line[] = { "/tmp/drive.iso:700M", NULL };
	CbDaemonConfig config = {
		.test_drives = g_strdupv((gchar **) command_line),
		.idle_timeout_s = 60,
		.agent_timeout_s = 120,
		.fifo_bytes = 32 * 1024 * 1024,
		.test_corrupt_offset = -1,
	};

	if (g_key_file_load_from_data(file, (const gchar *) data, size, G_KEY_FILE_NONE, NULL)) {
		if (cb_main_config_from_key_file(file, "cryptburnd.conf", &config, &error)) {
			g_assert_cmpuint(config.agent_timeout_s, >=, 1);
			g_assert_cmpuint(config.fifo_bytes, >=, 1024 * 1024);
			g_assert_cmpuint(config.fifo_bytes, <=, (gsize) 1024 * 1024 * 1024);
			/* the command line's drive stays, the file's come after it */
			g_assert_cmpstr(config.test_drives[0], ==, command_line[0]);
		} else {
			g_assert_nonnull(error);
		}
	}
	g_strfreev(config.test_drives);
	return 0;
}
