/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * libburn behind one lock.
 *
 * Threads: cb_burner_init() and cb_burner_shutdown() run on the main
 * thread. Everything else runs on a job's worker thread (grabbing a real
 * drive can take seconds). libburn adds threads of its own: a writer
 * thread per burning drive and a fifo thread per track; the pipe source
 * below is read on the fifo thread.
 *
 * libburn keeps process-wide state (the drive array, the whitelist used by
 * burn_drive_scan_and_grab(), the list of its worker threads), so every
 * control call that touches it runs under burner_lock: grab, release,
 * starting the fifo thread, starting a write or an erase, cancelling. A
 * burn holds the lock only for those moments; polling
 * burn_drive_get_status() reads the drive's own progress record, so
 * several drives burn at once. One race stays libburn's own: a worker
 * thread unlinks itself from that list, unlocked, when it ends.
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - libburn installs no signal handler unless burn_set_signal_handling()
 *   is called, and its writer, fifo and erase threads block all signals
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
 * - burn_fd_source_new() closes its fd when freed, and its read() blocks in
 *   the fifo thread, which burn_source_free() of the fifo joins: a stalled
 *   pipe writer would hang the job. We use our own burn_source instead.
 * - In SAO/DAO (CD, DVD-R) libburn pads a stream that ends early with
 *   zeros and reports success; only TAO (what it picks for stdio drives)
 *   notices. We count the bytes ourselves, for every write type.
 * - The fifo sleeps 50 ms whenever its reader finds it empty or its filler
 *   finds it full. When the pipe and the drive are both faster than that,
 *   they take turns: throughput is about one fifo per 50 ms. Measured from
 *   a pipe into a stdio file on tmpfs: 4 MiB 78 MB/s, 16 MiB 314 MB/s,
 *   32 MiB 550 MB/s, 64 MiB 1.1 GB/s (DESIGN 7: 4 MiB ~73 MB/s). Hence the
 *   32 MiB default, and the pre-fill: a fifo that starts empty sleeps too.
 */

#include "cb-burner.h"

#include "cb-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <libburn/libburn.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CB_BURN_SECTOR 2048
#define CB_BURN_FIFO_DEFAULT (32 * 1024 * 1024)
/* libburn refuses fifos above 1 GiB; below 1 MiB it only costs speed */
#define CB_BURN_FIFO_MIN (1024 * 1024)
#define CB_BURN_FIFO_MAX (1024 * 1024 * 1024)
/* the fifo reads its input in 32 KiB pieces (flag bit0) */
#define CB_BURN_FIFO_READ (32 * 1024)
#define CB_BURN_POLL_USEC (150 * 1000)
/* how long a pipe read waits before looking at the abort flag */
#define CB_BURN_PIPE_POLL_MS 100
/* burn_disc_get_status() may say "unready" for a moment after a grab */
#define CB_BURN_UNREADY_TRIES 20

static GMutex burner_lock;
static gboolean burner_ready;
/* devices grabbed by us, so that a second job gets BUSY and not a
 * libburn "already registered" failure */
static GHashTable *burner_open_devices;

struct _CbBurn {
	gchar *device;
	gchar *key; /* in burner_open_devices */
	gboolean is_stdio;
	guint64 stdio_capacity;
	struct burn_drive_info *info;
	struct burn_drive *drive;
};

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
burner_drain_messages(int *os_errno)
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
		if (!burner_severity_is_error(severity))
			continue;
		if (errors == NULL)
			errors = g_string_new(NULL);
		else
			g_string_append(errors, "; ");
		g_string_append(errors, text);
		if (err != 0)
			g_string_append_printf(errors, ": %s", g_strerror(err));
		if (os_errno != NULL)
			*os_errno = err;
	}
	return errors != NULL ? g_string_free(g_steal_pointer(&errors), FALSE) : NULL;
}

/* the messages were logged for debugging; their news is in our GError */
static void
burner_discard_messages(void)
{
	g_free(burner_drain_messages(NULL));
}

/* logs what nobody will read in a GError */
static void
burner_log_messages(void)
{
	g_autofree gchar *errors = burner_drain_messages(NULL);
	if (errors != NULL)
		g_message("libburn: %s", errors);
}

/* "…: libburn's reason" or just "…" */
static void
burner_set_error(GError **error, gint code, const gchar *what)
{
	g_autofree gchar *reason = burner_drain_messages(NULL);
	if (reason != NULL)
		g_set_error(error, CB_ERROR, code, "%s: %s", what, reason);
	else
		g_set_error_literal(error, CB_ERROR, code, what);
}

/* --- init --- */

gboolean
cb_burner_init(GError **error)
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

void
cb_burner_shutdown(void)
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

static gboolean
burner_status_is_present(enum burn_disc_status status)
{
	return status == BURN_DISC_BLANK || status == BURN_DISC_APPENDABLE ||
	       status == BURN_DISC_FULL || status == BURN_DISC_UNSUITABLE;
}

/* lock held */
static enum burn_disc_status
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
static guint64
cb_burn_free_bytes(CbBurn *self, struct burn_write_opts *opts)
{
	off_t avail = burn_disc_available_space(self->drive, opts);
	guint64 bytes = avail > 0 ? (guint64) avail : 0;

	if (self->is_stdio && self->stdio_capacity > 0)
		return MIN(bytes, self->stdio_capacity);
	return bytes;
}

/* bytes already on the disc; lock held */
static guint64
cb_burn_used_bytes(CbBurn *self)
{
	int sectors = 0;

	if (self->is_stdio)
		return 0;
	if (burn_get_read_capacity(self->drive, &sectors, 0) <= 0 || sectors < 0)
		return 0;
	return (guint64) sectors * CB_BURN_SECTOR;
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
cb_burn_get_media(CbBurn *self)
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
	info->erasable = info->present && burn_disc_erasable(self->drive);
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

CbBurn *
cb_burn_open(const gchar *device, guint64 stdio_capacity, GError **error)
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

	/* load=1: close the tray so that a disc in it can be seen */
	ret = burn_drive_scan_and_grab(&info, adr, 1);
	reason = burner_drain_messages(&os_errno);
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

void
cb_burn_close(CbBurn *self, gboolean eject)
{
	g_autoptr(GMutexLocker) locker = NULL;
	if (self == NULL)
		return;
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

/* --- the track source: exactly `size` bytes from a pipe --- */

typedef struct {
	int fd; /* our dup, closed with the source */
	off_t size;
	gint64 done;	  /* bytes read, atomic */
	gint abort;	  /* set on cancel: reads fail at once, atomic */
	gint ended_short; /* EOF before size, atomic */
	gint read_errno;  /* read(2) failed, atomic */
} CbPipeSource;

static gint64
cb_pipe_source_get_done(CbPipeSource *ps)
{
	return __atomic_load_n(&ps->done, __ATOMIC_SEQ_CST);
}

/*
 * libburn's contract: deliver the full buffer, or EOF (0) / failure (-1)
 * now or at the next call. Runs on the fifo thread. The poll() timeout lets
 * an abort through even when the pipe's writer neither writes nor closes.
 */
static int
cb_pipe_source_read(struct burn_source *src, unsigned char *buffer, int size)
{
	CbPipeSource *ps = src->data;
	int got = 0;

	while (got < size) {
		gint64 left = ps->size - cb_pipe_source_get_done(ps);
		struct pollfd pfd = { .fd = ps->fd, .events = POLLIN };
		ssize_t n;
		int ret;

		if (left <= 0)
			break;
		if (g_atomic_int_get(&ps->abort))
			return -1;
		ret = poll(&pfd, 1, CB_BURN_PIPE_POLL_MS);
		if (ret < 0 && errno != EINTR) {
			g_atomic_int_set(&ps->read_errno, errno);
			return -1;
		}
		if (ret <= 0)
			continue;
		n = read(ps->fd, buffer + got, (size_t) MIN((gint64) (size - got), left));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			g_atomic_int_set(&ps->read_errno, errno);
			return -1;
		}
		if (n == 0) {
			g_atomic_int_set(&ps->ended_short, TRUE);
			break;
		}
		got += (int) n;
		__atomic_add_fetch(&ps->done, (gint64) n, __ATOMIC_SEQ_CST);
	}
	return got;
}

static off_t
cb_pipe_source_get_size(struct burn_source *src)
{
	CbPipeSource *ps = src->data;
	return ps->size;
}

/* the size is ours; libburn pads or truncates around it by itself */
static int
cb_pipe_source_set_size(struct burn_source *src, off_t size)
{
	return 1;
}

static void
cb_pipe_source_free_data(struct burn_source *src)
{
	CbPipeSource *ps = src->data;

	if (ps->fd >= 0)
		close(ps->fd);
	g_free(ps);
}

/* libburn's cancel: the writer stopped reading */
static int
cb_pipe_source_cancel(struct burn_source *src)
{
	CbPipeSource *ps = src->data;
	g_atomic_int_set(&ps->abort, TRUE);
	return 1;
}

/* libburn frees the struct with free(): it must come from malloc() */
static struct burn_source *
cb_pipe_source_new(int fd, guint64 size, CbPipeSource **ps_out, GError **error)
{
	struct burn_source *src;
	CbPipeSource *ps;
	int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (dupfd < 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot use the image stream: %s"),
			    g_strerror(errno));
		return NULL;
	}
	src = calloc(1, sizeof(struct burn_source));
	if (src == NULL) {
		close(dupfd);
		g_set_error_literal(error, CB_ERROR, CB_ERROR_FAILED, _("out of memory"));
		return NULL;
	}
	ps = g_new0(CbPipeSource, 1);
	ps->fd = dupfd;
	ps->size = (off_t) size;
	src->refcount = 1;
	src->read = NULL; /* version 1: read_xt and cancel */
	src->version = 1;
	src->read_xt = cb_pipe_source_read;
	src->cancel = cb_pipe_source_cancel;
	src->get_size = cb_pipe_source_get_size;
	src->set_size = cb_pipe_source_set_size;
	src->free_data = cb_pipe_source_free_data;
	src->data = ps;
	*ps_out = ps;
	return src;
}

/* --- one write job's libburn objects, freed on every path --- */

typedef struct {
	struct burn_source *pipe_src;
	CbPipeSource *pipe; /* pipe_src->data, alive while we hold pipe_src */
	struct burn_source *fifo;
	struct burn_track *track;
	struct burn_session *session;
	struct burn_disc *disc;
	struct burn_write_opts *opts;
	GCancellable *cancellable;
	gulong cancel_id;
} CbWriteJob;

static void
cb_write_job_free(CbWriteJob *job)
{
	if (job->cancel_id != 0)
		g_cancellable_disconnect(job->cancellable, job->cancel_id);
	/* freeing the fifo joins its thread; an aborted source lets that
	 * thread out of a read even if the pipe's writer is stuck */
	if (job->pipe != NULL)
		g_atomic_int_set(&job->pipe->abort, TRUE);
	if (job->opts != NULL)
		burn_write_opts_free(job->opts);
	if (job->fifo != NULL)
		burn_source_free(job->fifo);
	if (job->track != NULL)
		burn_track_free(job->track);
	if (job->session != NULL)
		burn_session_free(job->session);
	if (job->disc != NULL)
		burn_disc_free(job->disc);
	if (job->pipe_src != NULL)
		burn_source_free(job->pipe_src);
	g_clear_object(&job->cancellable);
	g_free(job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbWriteJob, cb_write_job_free)

/* runs on the thread that cancels */
static void
cb_write_job_cancelled(GCancellable *cancellable, gpointer user_data)
{
	CbPipeSource *ps = user_data;
	g_atomic_int_set(&ps->abort, TRUE);
}

/* "812 MB"; sizes a person compares, rounded so that "needs" > "holds"
 * never reads as equal when it is not */
static gchar *
burner_format_mb(guint64 bytes, gboolean round_up)
{
	guint64 unit = bytes < 10000000 ? 1000 : 1000000;
	g_autofree gchar *n = g_strdup_printf("%" G_GUINT64_FORMAT,
					      bytes / unit + (round_up && bytes % unit ? 1 : 0));

	/* TRANSLATORS: a size in decimal kilobytes or megabytes */
	return g_strdup_printf(unit == 1000 ? _("%s kB") : _("%s MB"), n);
}

/* a disc we may write from its first sector; lock held */
static gboolean
cb_burn_check_disc(CbBurn *self, GError **error)
{
	switch (cb_burn_disc_status(self)) {
	case BURN_DISC_BLANK:
		break;
	case BURN_DISC_EMPTY:
	case BURN_DISC_UNREADY:
	case BURN_DISC_UNGRABBED:
		g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, _("no disc in %s"), self->device);
		return FALSE;
	case BURN_DISC_APPENDABLE:
		/* cryptsetup and loop-AES read the device from sector 0, so an
		 * encrypted image appended as a later session is unreadable */
		g_set_error(
		    error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
		    _("the disc in %s already holds a session; an encrypted image must "
		      "start at the beginning of a disc: use a blank disc or blank this one"),
		    self->device);
		return FALSE;
	case BURN_DISC_FULL:
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    burn_disc_erasable(self->drive)
				? _("the disc in %s is full: blank it first")
				: _("the disc in %s is full or cannot be written"),
			    self->device);
		return FALSE;
	case BURN_DISC_UNSUITABLE:
	default:
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("the disc in %s cannot be written by this drive"), self->device);
		return FALSE;
	}
	return TRUE;
}

/* libburn does not refuse an oversized image on a stdio drive and would
 * fill the file system instead: check here, for every drive; lock held */
static gboolean
cb_burn_check_space(CbBurn *self, guint64 size, struct burn_write_opts *opts, GError **error)
{
	guint64 need = (size + CB_BURN_SECTOR - 1) / CB_BURN_SECTOR * CB_BURN_SECTOR;
	guint64 avail = cb_burn_free_bytes(self, opts);

	if (need > avail) {
		g_autofree gchar *need_str = burner_format_mb(need, TRUE);
		g_autofree gchar *avail_str = burner_format_mb(avail, FALSE);
		g_set_error(error, CB_ERROR, CB_ERROR_MEDIA_TOO_SMALL,
			    _("disc too small: image needs %s, disc holds %s"), need_str,
			    avail_str);
		return FALSE;
	}
	return TRUE;
}

static gsize
burner_fifo_bytes(const CbBurnOptions *options)
{
	gsize bytes = options->fifo_bytes != 0 ? options->fifo_bytes : CB_BURN_FIFO_DEFAULT;

	bytes = CLAMP(bytes, CB_BURN_FIFO_MIN, CB_BURN_FIFO_MAX);
	return bytes / CB_BURN_FIFO_READ * CB_BURN_FIFO_READ;
}

/* builds disc → session → track ← fifo ← pipe, and the write options */
static CbWriteJob *
cb_write_job_new(CbBurn *self,
		 int fd,
		 guint64 size,
		 const CbBurnOptions *options,
		 GCancellable *cancellable,
		 GError **error)
{
	g_autoptr(CbWriteJob) job = g_new0(CbWriteJob, 1);
	gsize fifo_bytes = burner_fifo_bytes(options);

	job->pipe_src = cb_pipe_source_new(fd, size, &job->pipe, error);
	if (job->pipe_src == NULL)
		return NULL;
	if (cancellable != NULL) {
		job->cancellable = g_object_ref(cancellable);
		job->cancel_id = g_cancellable_connect(
		    cancellable, G_CALLBACK(cb_write_job_cancelled), job->pipe, NULL);
	}
	/* flag bit0: our source delivers any amount per call, so the fifo
	 * reads 32 KiB at a time instead of one sector */
	job->fifo = burn_fifo_source_new(job->pipe_src, CB_BURN_SECTOR,
					 (int) (fifo_bytes / CB_BURN_SECTOR), 1);
	if (job->fifo == NULL) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot create the write buffer"));
		return NULL;
	}
	job->disc = burn_disc_create();
	job->session = burn_session_create();
	job->track = burn_track_create();
	if (job->disc == NULL || job->session == NULL || job->track == NULL) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot describe the disc to libburn"));
		return NULL;
	}
	/* data track, no offset, no tail padding, pad the last sector */
	burn_track_define_data(job->track, 0, 0, 1, BURN_MODE1);
	if (burn_track_set_source(job->track, job->fifo) != BURN_SOURCE_OK ||
	    burn_track_set_size(job->track, (off_t) size) <= 0 ||
	    burn_session_add_track(job->session, job->track, BURN_POS_END) == 0 ||
	    burn_disc_add_session(job->disc, job->session, BURN_POS_END) == 0) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot describe the disc to libburn"));
		return NULL;
	}

	job->opts = burn_write_opts_new(self->drive);
	if (job->opts == NULL) {
		burner_set_error(error, CB_ERROR_FAILED, _("cannot set up writing"));
		return NULL;
	}
	/* one session, and the disc is closed after it */
	burn_write_opts_set_multi(job->opts, 0);
	burn_write_opts_set_simulate(job->opts, options->simulate ? 1 : 0);
	burn_write_opts_set_underrun_proof(job->opts, 1);
	burn_write_opts_set_fillup(job->opts, 0);
	return g_steal_pointer(&job);
}

/* waits until the fifo holds what it can, or the input ended; cancelling
 * aborts the source, which ends the wait too */
static gboolean
cb_write_job_prefill(CbWriteJob *job, guint64 size, GError **error)
{
	int fifo_size = 0;
	int free_bytes = 0;
	char *status_text = NULL;

	burn_fifo_inquire_status(job->fifo, &fifo_size, &free_bytes, &status_text);
	burn_fifo_fill(job->fifo, (int) MIN(size, (guint64) fifo_size), 0);
	if (g_cancellable_is_cancelled(job->cancellable)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
				    _("burning cancelled before writing"));
		return FALSE;
	}
	return TRUE;
}

/* the input's verdict, once its reading has stopped */
static gboolean
cb_write_job_check_input(CbWriteJob *job, guint64 size, GError **error)
{
	gint err = g_atomic_int_get(&job->pipe->read_errno);

	if (err != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE, _("cannot read the image stream: %s"),
			    g_strerror(err));
		return FALSE;
	}
	if (g_atomic_int_get(&job->pipe->ended_short)) {
		g_autofree gchar *done =
		    g_strdup_printf("%" G_GINT64_FORMAT, cb_pipe_source_get_done(job->pipe));
		g_autofree gchar *total = g_strdup_printf("%" G_GUINT64_FORMAT, size);
		g_set_error(error, CB_ERROR, CB_ERROR_SOURCE,
			    _("the image stream ended after %s of %s bytes"), done, total);
		return FALSE;
	}
	return TRUE;
}

static CbBurnPhase
burner_phase(enum burn_drive_status status, guint64 done, guint64 size)
{
	if (status == BURN_DRIVE_WRITING_LEADOUT || status == BURN_DRIVE_CLOSING_TRACK ||
	    status == BURN_DRIVE_CLOSING_SESSION || done >= size)
		return CB_BURN_PHASE_FIXATING;
	return CB_BURN_PHASE_WRITING;
}

/* polls the drive until it is idle; returns whether we had to stop it */
static gboolean
cb_write_job_wait(
    CbBurn *self, CbWriteJob *job, guint64 size, CbBurnProgressFunc progress, gpointer user_data)
{
	struct burn_progress p = { 0 };
	gboolean stopped = FALSE;
	int min_fill;
	int interval_min_fill;
	int puts;
	int gets;
	int empty_base = 0;
	int full;

	burn_fifo_get_statistics(job->fifo, &min_fill, &interval_min_fill, &puts, &gets,
				 &empty_base, &full);
	while (TRUE) {
		enum burn_drive_status status = burn_drive_get_status(self->drive, &p);
		CbBurnStatus st = { 0 };
		int fifo_size = 0;
		int free_bytes = 0;
		int empty = 0;
		char *status_text = NULL;

		if (status == BURN_DRIVE_IDLE)
			break;
		/* cancel again on every round: the writer clears the flag when
		 * it starts, so a cancel during BURN_DRIVE_SPAWNING is lost */
		if (g_cancellable_is_cancelled(job->cancellable) ||
		    g_atomic_int_get(&job->pipe->ended_short) ||
		    g_atomic_int_get(&job->pipe->read_errno) != 0) {
			g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
			burn_drive_cancel(self->drive);
			stopped = TRUE;
		}
		if (progress != NULL && status != BURN_DRIVE_SPAWNING) {
			burn_fifo_inquire_status(job->fifo, &fifo_size, &free_bytes, &status_text);
			burn_fifo_get_statistics(job->fifo, &min_fill, &interval_min_fill, &puts,
						 &gets, &empty, &full);
			st.bytes_done = MIN((guint64) MAX(p.sector, 0) * CB_BURN_SECTOR, size);
			st.phase = burner_phase(status, st.bytes_done, size);
			st.fifo_fill =
			    fifo_size > 0 ? (gdouble) (fifo_size - free_bytes) / fifo_size : 0;
			st.fifo_empty_count = (guint) MAX(empty - empty_base, 0);
			progress(&st, user_data);
		}
		g_usleep(CB_BURN_POLL_USEC);
	}
	return stopped;
}

/* libburn opens a stdio file without O_TRUNC: a shorter image would keep
 * the tail of the last one, and the file would no longer be "the disc" */
static gboolean
cb_burn_trim_stdio(CbBurn *self, guint64 size, GError **error)
{
	const gchar *path = self->device + strlen("stdio:");
	guint64 written = (size + CB_BURN_SECTOR - 1) / CB_BURN_SECTOR * CB_BURN_SECTOR;
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (guint64) st.st_size <= written)
		return TRUE;
	if (truncate(path, (off_t) written) != 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_FAILED,
			    _("cannot cut %s to the image size: %s"), path, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
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
	CbBurnOptions defaults = { 0 };
	g_autoptr(CbWriteJob) job = NULL;
	char reasons[BURN_REASONS_LEN] = "";
	enum burn_write_types type;
	gboolean stopped;
	gboolean wrote_well;
	gboolean cancelled;
	gboolean input_ok;

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(fd >= 0, FALSE);

	if (options == NULL)
		options = &defaults;
	if (size == 0) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("nothing to burn: the image is empty"));
		return FALSE;
	}
	if (size > (guint64) G_MAXINT64) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_INVALID_OPTION,
				    _("the image is too large"));
		return FALSE;
	}
	if (g_cancellable_is_cancelled(cancellable)) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED, _("burning cancelled"));
		return FALSE;
	}

	job = cb_write_job_new(self, fd, size, options, cancellable, error);
	if (job == NULL)
		return FALSE;

	/* check the disc before anything reads the pipe or writes the disc */
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
		burner_log_messages();
		if (!cb_burn_check_disc(self, error) ||
		    !cb_burn_check_space(self, size, NULL, error))
			return FALSE;
		/* on a stdio drive this throttles writing to the same speed */
		burn_drive_set_speed(self->drive, 0, (int) MIN(options->speed_kbs, G_MAXINT));
		/* SAO/DAO where the media wants the size up front (CD,
		 * DVD-R), TAO otherwise; stdio drives get TAO */
		type = burn_write_opts_auto_write_type(job->opts, job->disc, reasons, 0);
		if (type == BURN_WRITE_NONE) {
			burner_log_messages();
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
				    _("the disc in %s cannot be written this way: %s"),
				    self->device, g_strstrip(reasons));
			return FALSE;
		}
		/* with the write type known: on CD, TAO costs run-out blocks */
		if (!cb_burn_check_space(self, size, job->opts, error))
			return FALSE;
		/* fill 0 bytes: only starts the fifo thread, which registers
		 * with libburn's worker list */
		burn_fifo_fill(job->fifo, 0, 0);
	}
	g_debug("%s: writing %s", self->device,
		type == BURN_WRITE_SAO ? "SAO/DAO"
				       : (type == BURN_WRITE_TAO ? "TAO" : "raw/packet"));

	/* an input that dies now fails the job before the disc is touched */
	if (!cb_write_job_prefill(job, size, error) ||
	    !cb_write_job_check_input(job, size, error)) {
		g_clear_pointer(&job, cb_write_job_free);
		burner_discard_messages();
		return FALSE;
	}

	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
		burner_log_messages();
		burn_disc_write(job->opts, job->disc);
	}
	g_debug("writing %" G_GUINT64_FORMAT " bytes to %s", size, self->device);
	stopped = cb_write_job_wait(self, job, size, progress, user_data);

	/* a cancel also aborts the source, and libburn pads an aborted
	 * source with zeros: only a complete, well written image counts */
	wrote_well = burn_drive_wrote_well(self->drive);
	cancelled = g_cancellable_is_cancelled(cancellable) &&
		    (stopped || cb_pipe_source_get_done(job->pipe) < (gint64) size || !wrote_well);
	input_ok = cancelled || cb_write_job_check_input(job, size, error);
	/* joins the fifo thread, which may queue messages until then */
	g_clear_pointer(&job, cb_write_job_free);

	/* libburn's complaints about the input we stopped are no news */
	if (cancelled) {
		burner_discard_messages();
		g_set_error(error, CB_ERROR, CB_ERROR_CANCELLED, _("burning to %s cancelled"),
			    self->device);
		return FALSE;
	}
	if (!input_ok) {
		burner_discard_messages();
		g_prefix_error(error, _("burning to %s stopped: "), self->device);
		return FALSE;
	}
	if (!wrote_well) {
		g_autofree gchar *what = g_strdup_printf(_("burning to %s failed"), self->device);
		burner_set_error(error, CB_ERROR_FAILED, what);
		return FALSE;
	}
	burner_log_messages();
	if (self->is_stdio && !options->simulate && !cb_burn_trim_stdio(self, size, error))
		return FALSE;
	if (progress != NULL) {
		CbBurnStatus st = { .phase = CB_BURN_PHASE_FIXATING, .bytes_done = size };
		progress(&st, user_data);
	}
	return TRUE;
}

/* --- blanking --- */

gboolean
cb_burn_blank(CbBurn *self,
	      gboolean fast,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error)
{
	struct burn_progress p = { 0 };
	guint64 capacity;

	g_return_val_if_fail(self != NULL, FALSE);

	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&burner_lock);
		enum burn_disc_status status;

		if (self->is_stdio) {
			g_set_error(
			    error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("%s is a test drive writing a file; it cannot be blanked, the "
			      "next burn overwrites it"),
			    self->device);
			return FALSE;
		}
		status = cb_burn_disc_status(self);
		if (!burner_status_is_present(status)) {
			g_set_error(error, CB_ERROR, CB_ERROR_NO_MEDIA, _("no disc in %s"),
				    self->device);
			return FALSE;
		}
		if (!burn_disc_erasable(self->drive)) {
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
				    _("the disc in %s is not rewritable and cannot be blanked"),
				    self->device);
			return FALSE;
		}
		/* libburn reports overwritable discs (DVD+RW, DVD-RAM, BD-RE,
		 * formatted DVD-RW) as blank; there is nothing to erase */
		if (status == BURN_DISC_BLANK) {
			g_debug("%s is blank already", self->device);
			return TRUE;
		}
		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error_literal(error, CB_ERROR, CB_ERROR_CANCELLED,
					    _("blanking cancelled"));
			return FALSE;
		}
		capacity = cb_burn_used_bytes(self) + cb_burn_free_bytes(self, NULL);
		burner_log_messages();
		burn_disc_erase(self->drive, fast ? 1 : 0);
	}

	/* libburn hands erasing to the drive and cannot interrupt it: a
	 * cancel after this point is ignored, the disc ends up blank */
	while (burn_drive_get_status(self->drive, &p) != BURN_DRIVE_IDLE) {
		if (progress != NULL && p.sectors > 0) {
			CbBurnStatus st = { .phase = CB_BURN_PHASE_WRITING };
			st.bytes_done = (guint64) ((gdouble) capacity *
						   CLAMP(p.sector, 0, p.sectors) / p.sectors);
			progress(&st, user_data);
		}
		g_usleep(CB_BURN_POLL_USEC);
	}
	if (!burn_drive_wrote_well(self->drive)) {
		g_autofree gchar *what = g_strdup_printf(_("blanking %s failed"), self->device);
		burner_set_error(error, CB_ERROR_FAILED, what);
		return FALSE;
	}
	burner_log_messages();
	return TRUE;
}
