/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The drives, through the backend installed at start-up (see
 * cb-drive-backend.h): libburn in the installed daemon, behind one
 * process-wide lock for its control calls (scan, grab, release, write
 * start, erase start, eject). Writing and status polling of one drive run
 * without the lock, so several drives can burn at once.
 *
 * A device is "/dev/srN" for a real drive or "stdio:PATH" for a test drive
 * that writes PATH byte for byte as a drive writes a disc.
 *
 * cb_burner_init/shutdown run on the main thread; everything else on a
 * job's worker thread (or any thread), never on the main thread while it
 * serves D-Bus, because grabbing a real drive can take seconds.
 */

gboolean
cb_burner_init(GError **error);
void
cb_burner_shutdown(void);

/* kinds of disc a drive writes (CbMediaInfo.writable_kinds) */
typedef enum {
	CB_MEDIA_KIND_CD = 1 << 0,
	CB_MEDIA_KIND_DVD = 1 << 1,
	CB_MEDIA_KIND_BD = 1 << 2,
} CbMediaKind;

/* a disc as the drive sees it */
typedef struct {
	gboolean present;
	gchar *media;  /* udisks' name: "cd_r", "dvd_plus_rw", "bd_r", ...; "file" for stdio */
	gchar *status; /* "blank", "appendable", "full", "unsuitable", "none" */
	guint64 capacity;
	guint64 free_bytes;
	GArray *write_speeds; /* guint32 kB/s, fastest first */
	gboolean erasable;
	/* written in place (DVD+RW, DVD-RAM, BD-RE, restricted-overwrite
	 * DVD-RW): no session to close, "full" when it holds data */
	gboolean overwritable;
	/* an overwritable disc that must be formatted before its first write */
	gboolean unformatted;
	/* a disc can be taken out and another put in; FALSE for a test
	 * drive's file, whose "disc" never changes */
	gboolean removable;
	guint writable_kinds; /* CbMediaKind bits; 0 when unknown */
	gchar *vendor;
	gchar *model;
} CbMediaInfo;

void
cb_media_info_free(CbMediaInfo *info);
CbMediaInfo *
cb_media_info_copy(const CbMediaInfo *info);

typedef struct _CbBurn CbBurn;

/* grabs the drive; stdio_capacity emulates a disc of that many bytes on a
 * test drive (0: the free space of the file system, as libburn does) */
CbBurn *
cb_burn_open(const gchar *device, guint64 stdio_capacity, GError **error);
/* releases the drive, ejecting the disc when asked */
void
cb_burn_close(CbBurn *self, gboolean eject);

/* the device it was opened on */
const gchar *
cb_burn_get_device(CbBurn *self);

/* what is in the drive now */
CbMediaInfo *
cb_burn_get_media(CbBurn *self);

/* grab, look, release */
CbMediaInfo *
cb_burner_query(const gchar *device, guint64 stdio_capacity, GError **error);

typedef struct {
	gboolean simulate;
	guint speed_kbs;  /* 0: the drive's best */
	gsize fifo_bytes; /* 0: 32 MiB; 4 MiB starves a fast drive (DESIGN 7) */
} CbBurnOptions;

typedef enum {
	CB_BURN_PHASE_WRITING,
	CB_BURN_PHASE_FIXATING,
	CB_BURN_PHASE_VERIFYING,
} CbBurnPhase;

typedef struct {
	CbBurnPhase phase;
	guint64 bytes_done;	/* bytes the drive accepted, or read back */
	gdouble fifo_fill;	/* 0..1 */
	guint fifo_empty_count; /* times the fifo ran empty after the pre-fill */
	/* while writing: how ("sao", "tao", "raw", "packet"; "stdio" for a
	 * test drive), a static string; "" while reading back */
	const gchar *write_mode;
	gboolean underrun_proof; /* the drive's buffer underrun protection is on */
} CbBurnStatus;

/* called on the writing thread a few times a second */
typedef void (*CbBurnProgressFunc)(const CbBurnStatus *status, gpointer user_data);

/*
 * Writes exactly size bytes read from fd (usually a pipe) as one track in
 * one session, closing the disc, in the write type libburn advises for the
 * disc (SAO/DAO where it takes one, TAO otherwise). Fails before writing
 * anything when the disc is missing (CB_ERROR_NO_MEDIA), not writable in
 * any write type or, with options->simulate, not able to simulate
 * (UNSUPPORTED_MEDIA) or too small (MEDIA_TOO_SMALL, naming both sizes).
 * The drive starts only once the buffer holds min(buffer, size) bytes;
 * progress is called while it fills, too. Cancelling stops the drive
 * (CB_ERROR_CANCELLED). fd is not closed.
 */
gboolean
cb_burn_write(CbBurn *self,
	      int fd,
	      guint64 size,
	      const CbBurnOptions *options,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error);

typedef enum {
	/* CD-RW, DVD-RW: the table of contents only; an overwritable disc:
	 * its first 2 MiB (every header and file system start) zeroed */
	CB_BLANK_FAST,
	/* CD-RW, DVD-RW: every block; an overwritable disc: formatted anew */
	CB_BLANK_FULL,
	/* DVD+RW, DVD-RAM, BD-RE, DVD-RW: formatted (overwritable from then on) */
	CB_BLANK_FORMAT,
} CbBlankMode;

/* blanks or formats a rewritable disc; progress reports bytes_done out of
 * capacity. Fails with UNSUPPORTED_MEDIA for a disc that cannot be (a
 * write-once disc, FORMAT on a CD-RW, a test drive's file), NO_MEDIA
 * without one. A blank disc is left as it is, unless FORMAT is asked of an
 * unformatted one. */
gboolean
cb_burn_blank(CbBurn *self,
	      CbBlankMode mode,
	      CbBurnProgressFunc progress,
	      gpointer user_data,
	      GCancellable *cancellable,
	      GError **error);

/*
 * What was written, in 64 KiB windows of 32 blocks (a CRC-32 each), so
 * that a read-back that differs can say where: about 64 bytes per MiB,
 * 1.6 MB for a 25 GB BD. Fed in order by one thread at a time.
 */
typedef struct _CbBurnRecord CbBurnRecord;

CbBurnRecord *
cb_burn_record_new(void);
void
cb_burn_record_free(CbBurnRecord *self);
void
cb_burn_record_add(CbBurnRecord *self, const guint8 *buf, gsize len);

/*
 * Reads the first size bytes of the disc back (never more: the last two
 * blocks of a CD TAO track may be unreadable run-out blocks) and compares
 * them with what was written: sha256, the hex SHA-256 of those bytes, and
 * written, their record (finished here: add nothing to it afterwards).
 * Grab the drive again after writing before calling this: a real drive
 * reads the new table of contents only then. A difference fails with
 * CB_ERROR_CHECKSUM_MISMATCH naming the first differing blocks (or both
 * checksums), a read error with CB_ERROR_FAILED naming the block;
 * cancelling stops between reads (CB_ERROR_CANCELLED). progress reports
 * CB_BURN_PHASE_VERIFYING with the bytes read so far.
 */
/* sees every chunk read back, in order, once it compared equal: the job
 * decrypts it and checks the ISO's MD5 tags (cb-readback-check.c) */
typedef gboolean (*CbBurnReadBackFunc)(
    guint64 offset, const guint8 *buf, gsize len, gpointer user_data, GError **error);

gboolean
cb_burn_verify(CbBurn *self,
	       guint64 size,
	       const gchar *sha256,
	       CbBurnRecord *written,
	       CbBurnReadBackFunc read_back,
	       CbBurnProgressFunc progress,
	       gpointer user_data,
	       GCancellable *cancellable,
	       GError **error);

/* a test hook (cryptburnd --test-corrupt-after-write): flips the byte at
 * offset of what a test drive wrote, as a disc that reads back wrong
 * would; refuses real drives */
gboolean
cb_burner_test_corrupt(const gchar *device, guint64 offset, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbMediaInfo, cb_media_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CbBurnRecord, cb_burn_record_free)

G_END_DECLS
