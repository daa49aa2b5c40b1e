/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cb-commands.h"

#include "cb-burn-request.h"
#include "cb-config.h"
#include "cb-error.h"
#include "cb-exit.h"
#include "cb-image-input.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* the image is opened here, as the user; the service gets the descriptor */
/* the size when the descriptor can tell it: from where it stands to the end */
static gboolean
cb_burn_image_size(int fd, const gchar *name, guint64 *size, GError **error)
{
	struct stat st;
	guint64 total = 0;
	off_t pos;

	*size = 0;
	if (fstat(fd, &st) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read %s: %s"), name,
			    g_strerror(errno));
		return FALSE;
	}
	if (S_ISDIR(st.st_mode)) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("%s is a folder; “cryptburn burn” burns folders"), name);
		return FALSE;
	}
	if (S_ISREG(st.st_mode))
		total = (guint64) st.st_size;
	else if (!S_ISBLK(st.st_mode) || ioctl(fd, BLKGETSIZE64, &total) != 0)
		return TRUE; /* a pipe: the service reads the ISO 9660 descriptor */
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos > 0 && (guint64) pos <= total)
		total -= (guint64) pos;
	if (total == 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("%s is empty"), name);
		return FALSE;
	}
	*size = total;
	return TRUE;
}

int
cb_cmd_burn_image(int argc, char **argv)
{
	g_auto(CbBurnArgs) args = CB_BURN_ARGS_INIT;
	g_auto(GStrv) files = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
	g_autoptr(GError) error = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	CbBurnCall call = { .method = "BurnImage", .options = &options };
	const gchar *name;
	guint64 size;
	gint64 given_size = 0;
	int rc;
	const GOptionEntry files_entry = {
		G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL
	};
	const GOptionEntry size_entry = {
		"size",
		0,
		0,
		G_OPTION_ARG_INT64,
		&given_size,
		N_("The image's size in bytes, for a stream that is not an ISO 9660 image"),
		N_("BYTES")
	};

	context = g_option_context_new(_("FILE|-"));
	g_option_context_set_summary(
	    context,
	    _("Encrypts a plain disc image (e.g. an ISO 9660 image) and burns it through the\n"
	      "cryptburn service. FILE is read with your own rights; - reads standard input,\n"
	      "which may be a pipe from another program. The passphrase is asked twice on\n"
	      "the terminal (once for an existing --keyfile) unless --passphrase-file or\n"
	      "--passphrase-fd is given."));
	g_option_context_set_description(context, cb_exit_help());
	g_array_append_val(entries, files_entry);
	g_array_append_val(entries, size_entry);
	cb_burn_args_add_entries(&args, entries);
	if (!cb_config_parse(context, (const GOptionEntry *) entries->data, &argc, &argv, &error))
		return cb_exit_report(error);
	if (files == NULL || files[0] == NULL || files[1] != NULL || files[0][0] == '\0') {
		g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("name exactly one image FILE, or - for standard input"));
		return cb_exit_report(error);
	}
	if (given_size < 0) {
		g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
				    _("--size takes a positive number of bytes"));
		return cb_exit_report(error);
	}
	name = g_strcmp0(files[0], "-") == 0 ? _("standard input") : files[0];
	call.image_fd = cb_image_input_open(files[0], args.crypt.passphrase_fd, &error);
	if (call.image_fd < 0)
		return cb_exit_report(error);
	if (given_size > 0) {
		size = (guint64) given_size;
	} else if (!cb_burn_image_size(call.image_fd, name, &size, &error)) {
		close(call.image_fd);
		return cb_exit_report(error);
	}
	if (size > 0)
		g_variant_dict_insert(&options, "image-size", "t", size);
	rc = cb_burn_request_run(&args, &call);
	close(call.image_fd);
	return rc;
}
