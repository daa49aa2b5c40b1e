/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * libburn behind one lock: its message queue, init and shutdown, the
 * media in a drive, and grabbing and releasing drives. Writing is in
 * cb-burn-write.c (with the track source in cb-burn-source.c), reading
 * back in cb-burn-verify.c, blanking in cb-burn-blank.c.
 *
 * Threads: cb_burner_init() and cb_burner_shutdown() run on the main
 * thread. Everything else runs on a job's worker thread (grabbing a real
 * drive can take seconds). libburn adds one thread of its own per busy
 * drive, its writer or erase thread, which drains the track source
 * (cb-burn-source.c); that source's filler thread is ours.
 *
 * libburn keeps process-wide state (the drive array, the whitelist used by
 * burn_drive_scan_and_grab(), the list of its worker threads), so every
 * control call that touches it runs under burner_lock: grab, release,
 * starting a write or an erase, cancelling. A burn holds the lock only for
 * those moments; polling burn_drive_get_status() reads the drive's own
 * progress record, so several drives burn at once.
 *
 * libburn's worker threads unlink themselves from that list, unlocked,
 * when they end, and libburn refuses to start an operation on a drive the
 * list still holds ("A drive operation is still going on"). We keep to one
 * libburn thread per busy drive (no libburn fifo, see cb-burn-source.c);
 * threads of two drives that end at the same moment can still race.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - libburn installs no signal handler unless burn_set_signal_handling()
 *   is called, and its writer and erase threads block all signals
 *   themselves. Calling burn_set_signal_handling() at all would hurt the
 *   daemon: mode 0 installs an abort handler that exit()s, mode 1 resets
 *   every signal to SIG_DFL (undoing GLib's unix signal sources and the
 *   ignored SIGPIPE), mode 2 ignores them all. So we never call it.
 * - A "stdio:" drive on a regular file or a path that does not exist yet
 *   (drive role 2) always reports BURN_DISC_BLANK with profile 0xffff
 *   "stdio file", is not erasable, and offers the free space of the file
 *   system plus the current size of the file. It is opened without O_TRUNC,
 *   so it is re-writable job after job like a DVD+RW.
 * - libburn 1.5.4 has no call to make a stdio drive pretend a smaller
 *   disc, and it does not refuse an image larger than the space it
 *   reports; we emulate the capacity and check the size ourselves.
 */

#include "cb-burner-private.h"

#include "cb-error.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <string.h>

/* the head of an overwritable disc looked at for data: a LUKS header,
 * a loop-aes key area and ISO 9660's descriptors start there */
#define CB_BURN_HEAD_BYTES (64 * 1024)
/* burn_disc_get_status() may say "unready" for a moment after a grab */
#define CB_BURN_UNREADY_TRIES 20
/* libburn's refusal to start an operation on a drive for which its list of
 * worker threads still holds one: "A drive operation is still going on" */
#define CB_BURN_MSG_STILL_GOING 0x00020102

GMutex burner_lock;
static gboolean burner_ready;
/* devices grabbed by us, so that a second job gets BUSY and not a
 * libburn "already registered" failure */
static GHashTable *burner_open_devices;

/* --- libburn's message queue --- */

static gboolean
burner_severity_is_error(const gchar *severity)
{
	return g_strcmp0(severity, "SORRY") == 0 || g_strcmp0(severity, "FAILURE") == 0 ||
	       g_strcmp0(severity, "FATAL") == 0 || g_strcmp0(severity, "ABORT") == 0;
}

/*
 * Empties libburn's queue into the log. The queue is process-wide, so with
 * two drives busy a message may be drained by the other job's thread; the
 * text is still logged. Returns the error-grade messages, "; "-separated,
 * which the caller puts into its GError or logs, or NULL.
 */
static gchar *
burner_drain_messages(int *os_errno, gboolean *still_going)
{
	g_autoptr(GString) errors = NULL;
	char text[BURN_MSGS_MESSAGE_LEN];
	char severity[80];
	int code = 0;
	int err = 0;

	if (os_errno != NULL)
		*os_errno = 0;
	while (burn_msgs_obtain("ALL", &code, text, &err, severity) == 1) {
		g_debug("libburn %s 0x%x: %s%s%s", severity, (guint) code, text,
			err != 0 ? ": " : "", err != 0 ? g_strerror(err) : "");
		if (still_going != NULL && code == CB_BURN_MSG_STILL_GOING)
			*still_going = TRUE;
		if (!burner_severity_is_error(severity))
			continue;
		if (errors == NULL)
			errors = g_string_new(NULL);
		else
			g_string_append(errors, "; ");
		g_string_append(errors, text);
		if (err != 0)
			g_string_append_printf(errors, ": %s", g_strerror(err));
		/* a later message without an errno does not undo the reason */
		if (os_errno != NULL && err != 0)
			*os_errno = err;
	}
	return errors != NULL ? g_string_free(g_steal_pointer(&errors), FALSE) : NULL;
}

/* the messages were logged for debugging; their news is in our GError */
void
burner_discard_messages(void)
{
	g_free(burner_drain_messages(NULL, NULL));
}

/* logs what nobody will read in a GError */
void
burner_log_messages(void)
{
	g_autofree gchar *errors = burner_drain_messages(NULL, NULL);
	if (errors != NULL)
		g_message("libburn: %s", errors);
}

/* empties the queue into the log and hands its error-grade text, and the
 * errno of the last of them that had one, to the caller; *still_going
 * tells whether libburn refused to start an operation because it still
 * counts one as going on for the drive */
gchar *
burner_take_messages(gboolean *still_going, int *os_errno)
{
	*still_going = FALSE;
	return burner_drain_messages(os_errno, still_going);
}

/* "…: reason" or just "…". A stdio drive's file system that fills up
 * while the image is written (after the space was checked, or a drive
 * that is a device such as /dev/full) reaches libburn as the ENOSPC of
 * write(2): that is a full drive, not a failure */
void
burner_set_error_reason(
    GError **error, gint code, const gchar *what, const gchar *reason, int os_errno)
{
	if (os_errno == ENOSPC || os_errno == EDQUOT)
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SPACE, _("%s: the drive is full: %s"),
			    what, reason);
	else if (reason != NULL)
		g_set_error(error, CB_ERROR, code, "%s: %s", what, reason);
	else
		g_set_error_literal(error, CB_ERROR, code, what);
}

/* with the reason from libburn's queue */
void
burner_set_error(GError **error, gint code, const gchar *what)
{
	int os_errno = 0;
	g_autofree gchar *reason = burner_drain_messages(&os_errno, NULL);

	burner_set_error_reason(error, code, what, reason, os_errno);
}

/* --- init --- */

static gboolean
cb_libburn_init(GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
	int major = 0;
	int minor = 0;
	int micro = 0;

	if (burner_ready)
		return TRUE;
	if (!burn_initialize()) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED,
				    _("cannot initialise libburn"));
		return FALSE;
	}
	/* libburn is as old as the header we were built with or newer */
	burn_version(&major, &minor, &micro);
	if (major < burn_header_version_major ||
	    (major == burn_header_version_major &&
	     (minor < burn_header_version_minor ||
	      (minor == burn_header_version_minor && micro < burn_header_version_micro)))) {
		burn_finish();
		g_set_error(
		    error, CB_ERROR, CB_ERROR_FAILED,
		    _("libburn %d.%d.%d is older than %d.%d.%d, which cryptburn was built with"),
		    major, minor, micro, burn_header_version_major, burn_header_version_minor,
		    burn_header_version_micro);
		return FALSE;
	}
	/* queue everything, print nothing: by default libburn prints FATAL
	 * messages to stderr and keeps no queue */
	burn_msgs_set_severities("ALL", "NEVER", "libburn: ");
	/* no burn_set_signal_handling(), see the top of this file */
	burner_open_devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	burner_ready = TRUE;
	g_debug("libburn %d.%d.%d ready", major, minor, micro);
	return TRUE;
}

static void
cb_libburn_shutdown(void)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);

	if (!burner_ready)
		return;
	if (g_hash_table_size(burner_open_devices) > 0)
		g_warning("libburn shut down with %u drives still grabbed",
			  g_hash_table_size(burner_open_devices));
	burner_log_messages();
	burn_finish();
	g_clear_pointer(&burner_open_devices, g_hash_table_unref);
	burner_ready = FALSE;
}

/* --- media --- */

/* udisks' optical media names without their "optical_" prefix */
static const gchar *
burner_profile_to_media(int profile)
{
	switch (profile) {
	case 0x08:
		return "cd";
	case 0x09:
		return "cd_r";
	case 0x0a:
		return "cd_rw";
	case 0x10:
		return "dvd";
	case 0x11: /* DVD-R sequential */
	case 0x15: /* DVD-R DL sequential: udisks has no name of its own */
	case 0x16: /* DVD-R DL jump */
		return "dvd_r";
	case 0x12:
		return "dvd_ram";
	case 0x13: /* DVD-RW restricted overwrite */
	case 0x14: /* DVD-RW sequential */
	case 0x17: /* DVD-RW DL */
		return "dvd_rw";
	case 0x1a:
		return "dvd_plus_rw";
	case 0x1b:
		return "dvd_plus_r";
	case 0x2a:
		return "dvd_plus_rw_dl";
	case 0x2b:
		return "dvd_plus_r_dl";
	case 0x40:
		return "bd";
	case 0x41: /* BD-R sequential */
	case 0x42: /* BD-R random */
		return "bd_r";
	case 0x43:
		return "bd_re";
	case 0x50:
		return "hddvd";
	case 0x51:
	case 0x58:
		return "hddvd_r";
	case 0x52:
	case 0x53:
	case 0x5a:
		return "hddvd_rw";
	case 0xffff: /* libburn's own profile for stdio drives */
		return "file";
	default:
		return "";
	}
}

static const gchar *
burner_status_to_string(enum burn_disc_status status)
{
	switch (status) {
	case BURN_DISC_BLANK:
		return "blank";
	case BURN_DISC_APPENDABLE:
		return "appendable";
	case BURN_DISC_FULL:
		return "full";
	case BURN_DISC_UNSUITABLE:
		return "unsuitable";
	default:
		return "none";
	}
}

gboolean
burner_status_is_present(enum burn_disc_status status)
{
	return status == BURN_DISC_BLANK || status == BURN_DISC_APPENDABLE ||
	       status == BURN_DISC_FULL || status == BURN_DISC_UNSUITABLE;
}

/* lock held */
enum burn_disc_status
cb_burn_disc_status(CbBurn *self)
{
	enum burn_disc_status status = burn_disc_get_status(self->drive);

	for (guint i = 0; status == BURN_DISC_UNREADY && i < CB_BURN_UNREADY_TRIES; i++) {
		g_usleep(100 * 1000);
		status = burn_disc_get_status(self->drive);
	}
	return status;
}

/* the space a write can use, with a test drive's emulated size; lock held */
guint64
cb_burn_free_bytes(CbBurn *self, struct burn_write_opts *opts)
{
	off_t avail = burn_disc_available_space(self->drive, opts);
	guint64 bytes = avail > 0 ? (guint64) avail : 0;

	if (self->is_stdio && self->stdio_capacity > 0)
		return MIN(bytes, self->stdio_capacity);
	return bytes;
}

/* bytes already on the disc; lock held */
guint64
cb_burn_used_bytes(CbBurn *self)
{
	int sectors = 0;

	if (self->is_stdio)
		return 0;
	if (burn_get_read_capacity(self->drive, &sectors, 0) <= 0 || sectors < 0)
		return 0;
	return (guint64) sectors * CB_BURN_SECTOR;
}

gboolean
cb_burn_profile_is_overwritable(int profile)
{
	return profile == 0x12 || profile == 0x13 || profile == 0x1a || profile == 0x2a ||
	       profile == 0x43;
}

/* lock held */
gboolean
cb_burn_is_unformatted(CbBurn *self)
{
	int status = 0;
	off_t size = 0;
	unsigned block = 0;
	int formats = 0;

	if (self->is_stdio)
		return FALSE;
	return burn_disc_get_formats(self->drive, &status, &size, &block, &formats) == 1 &&
	       status == BURN_FORMAT_IS_UNFORMATTED;
}

/* libburn calls an overwritable disc blank whatever it holds: one whose
 * first blocks are not all zero holds data a burn would destroy; lock
 * held */
static gboolean
cb_burn_holds_data(CbBurn *self)
{
	g_autofree gchar *buf = g_malloc(CB_BURN_HEAD_BYTES);
	off_t got = 0;

	if (burn_read_data(self->drive, 0, buf, CB_BURN_HEAD_BYTES, &got, 1) <= 0)
		return FALSE;
	for (off_t i = 0; i < got; i++)
		if (buf[i] != 0)
			return TRUE;
	return FALSE;
}

/* the kinds of disc the drive writes, from its profile list; lock held */
static guint
cb_burn_writable_kinds(CbBurn *self)
{
	int profiles[64];
	char current[64];
	int n = 0;
	guint kinds = 0;

	if (self->is_stdio)
		return 0;
	burn_drive_get_all_profiles(self->drive, &n, profiles, current);
	for (int i = 0; i < n && i < 64; i++) {
		if (profiles[i] == 0x09 || profiles[i] == 0x0a)
			kinds |= CB_MEDIA_KIND_CD;
		else if (profiles[i] >= 0x11 && profiles[i] <= 0x2b)
			kinds |= CB_MEDIA_KIND_DVD;
		else if (profiles[i] >= 0x41 && profiles[i] <= 0x43)
			kinds |= CB_MEDIA_KIND_BD;
	}
	return kinds;
}

static gint
cb_burn_speed_cmp(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *) a;
	guint32 y = *(const guint32 *) b;
	return x < y ? 1 : (x > y ? -1 : 0);
}

/* lock held */
static GArray *
cb_burn_write_speeds(CbBurn *self, int profile)
{
	GArray *speeds = g_array_new(FALSE, FALSE, sizeof(guint32));
	struct burn_speed_descriptor *list = NULL;

	if (burn_drive_get_speedlist(self->drive, &list) != 1)
		return speeds;
	for (struct burn_speed_descriptor *d = list; d != NULL; d = d->next) {
		guint32 speed = (guint32) d->write_speed;
		gboolean seen = FALSE;

		if (d->write_speed <= 0)
			continue;
		/* descriptors of other media are the drive's, not the disc's */
		if (d->profile_loaded >= 0 && d->profile_loaded != profile)
			continue;
		for (guint i = 0; i < speeds->len; i++)
			seen |= g_array_index(speeds, guint32, i) == speed;
		if (!seen)
			g_array_append_val(speeds, speed);
	}
	burn_drive_free_speedlist(&list);
	g_array_sort(speeds, cb_burn_speed_cmp);
	return speeds;
}

static CbMediaInfo *
cb_libburn_get_media(CbBurn *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
	CbMediaInfo *info = g_new0(CbMediaInfo, 1);
	enum burn_disc_status status = cb_burn_disc_status(self);
	char profile_name[80] = "";
	int profile = 0;

	burn_disc_get_profile(self->drive, &profile, profile_name);
	info->present = burner_status_is_present(status);
	info->media = g_strdup(info->present ? burner_profile_to_media(profile) : "");
	info->status = g_strdup(burner_status_to_string(status));
	if (status == BURN_DISC_BLANK || status == BURN_DISC_APPENDABLE)
		info->free_bytes = cb_burn_free_bytes(self, NULL);
	if (self->is_stdio && self->stdio_capacity > 0)
		info->capacity = self->stdio_capacity;
	else if (info->present)
		info->capacity = cb_burn_used_bytes(self) + info->free_bytes;
	info->write_speeds = cb_burn_write_speeds(self, profile);
	info->overwritable = info->present && cb_burn_profile_is_overwritable(profile);
	info->unformatted = info->overwritable && cb_burn_is_unformatted(self);
	info->erasable = info->present && (info->overwritable || burn_disc_erasable(self->drive));
	if (info->overwritable && !info->unformatted && cb_burn_holds_data(self)) {
		g_free(info->status);
		info->status = g_strdup("full");
	}
	info->removable = !self->is_stdio;
	info->writable_kinds = cb_burn_writable_kinds(self);
	info->vendor = g_strstrip(g_strndup(self->info->vendor, sizeof(self->info->vendor)));
	info->model = g_strstrip(g_strndup(self->info->product, sizeof(self->info->product)));
	burner_log_messages();
	return info;
}

/* --- open, close --- */

static gboolean
burner_device_is_valid(const gchar *device)
{
	if (device == NULL || strlen(device) >= BURN_DRIVE_ADR_LEN)
		return FALSE;
	if (g_str_has_prefix(device, "stdio:"))
		return g_path_is_absolute(device + strlen("stdio:"));
	return g_str_has_prefix(device, "/dev/");
}

static CbBurn *
cb_libburn_open(const gchar *device, guint64 stdio_capacity, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
	g_autofree gchar *adr = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *reason = NULL;
	struct burn_drive_info *info = NULL;
	CbBurn *self;
	int os_errno = 0;
	int ret;

	if (!burner_ready) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED,
				    _("libburn has not been initialised"));
		return NULL;
	}
	if (!burner_device_is_valid(device)) {
		g_set_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE,
			    _("“%s” is not a drive: expected /dev/srN or stdio:/absolute/path"),
			    device != NULL ? device : "");
		return NULL;
	}
	burner_log_messages();
	adr = g_malloc0(BURN_DRIVE_ADR_LEN);
	if (g_str_has_prefix(device, "stdio:")) {
		g_strlcpy(adr, device, BURN_DRIVE_ADR_LEN);
	} else {
		/* resolves links such as /dev/cdrom to the drive's own address */
		path = g_strdup(device);
		ret = burn_drive_convert_fs_adr(path, adr);
		burner_log_messages();
		if (ret <= 0) {
			g_set_error(error, CB_ERROR, CB_ERROR_NO_SUCH_DRIVE,
				    _("there is no optical drive at %s"), device);
			return NULL;
		}
	}
	if (g_hash_table_contains(burner_open_devices, adr)) {
		g_set_error(error, CB_ERROR, CB_ERROR_BUSY, _("drive %s is in use by another job"),
			    device);
		return NULL;
	}

	/* load=0: an open tray stays open. Every media query grabs the
	 * drive (cb-drive.c), one right after an eject among them, and a job
	 * waiting for the next copy's disc must not pull the tray back in
	 * before the person took the last disc out; a closed tray is a
	 * media change that wakes the job */
	ret = burn_drive_scan_and_grab(&info, adr, 0);
	reason = burner_drain_messages(&os_errno, NULL);
	if (ret != 1) {
		/* libburn leaves nothing to free when the grab fails */
		if (os_errno == EBUSY) {
			g_set_error(error, CB_ERROR, CB_ERROR_BUSY,
				    _("drive %s is in use by another program"), device);
		} else {
			g_set_error(error, CB_ERROR,
				    ret == 0 ? CB_ERROR_NO_SUCH_DRIVE : CB_ERROR_FAILED,
				    _("cannot open drive %s: %s"), device,
				    reason != NULL ? reason : _("unknown libburn error"));
		}
		return NULL;
	}
	if (reason != NULL)
		g_message("libburn: %s", reason);

	self = g_new0(CbBurn, 1);
	self->device = g_strdup(device);
	self->is_stdio = burn_drive_get_drive_role(info[0].drive) != 1;
	self->stdio_capacity = self->is_stdio ? stdio_capacity : 0;
	self->info = info;
	self->drive = info[0].drive;
	self->key = g_strdup(adr);
	g_hash_table_add(burner_open_devices, g_steal_pointer(&adr));
	g_debug("grabbed %s", device);
	return self;
}

static void
cb_libburn_close(CbBurn *self, gboolean eject)
{
	g_autoptr(GMutexLocker) locker = NULL;
	locker = g_mutex_locker_new(&burner_lock);
	/* the writers wait for an idle drive before they return, so this
	 * only guards against a libburn thread that outlived its job */
	while (burn_drive_get_status(self->drive, NULL) != BURN_DRIVE_IDLE) {
		burn_drive_cancel(self->drive);
		g_usleep(CB_BURN_POLL_USEC);
	}
	g_hash_table_remove(burner_open_devices, self->key);
	burn_drive_release(self->drive, eject ? 1 : 0);
	/* frees libburn's drive object too, so the address can be grabbed
	 * again; without it the next grab fails with "already registered" */
	burn_drive_info_free(self->info);
	burner_log_messages();
	g_debug("released %s", self->device);
	g_free(self->device);
	g_free(self->key);
	g_free(self);
}

static const gchar *
cb_libburn_device(CbBurn *self)
{
	return self->device;
}

const CbDriveBackend cb_libburn_backend = {
	.name = "libburn",
	.init = cb_libburn_init,
	.shutdown = cb_libburn_shutdown,
	.open = cb_libburn_open,
	.close = cb_libburn_close,
	.device = cb_libburn_device,
	.get_media = cb_libburn_get_media,
	.write = cb_libburn_write,
	.blank = cb_libburn_blank,
	.read_start = cb_libburn_read_start,
	.read = cb_libburn_read,
	.corrupt = cb_libburn_corrupt,
	/* udev tells of media events (cb-udev.c); a stdio drive has none */
	.watch = NULL,
	.unwatch = NULL,
};
