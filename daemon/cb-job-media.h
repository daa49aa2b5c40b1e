/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-job-private.h"

#include "cb-burner.h"

G_BEGIN_DECLS

/* grabs the job's drive, waiting out a media query of the drive's own
 * that holds it for a moment */
CbBurn *
cb_job_open_drive(CbJob *self, GError **error);

/*
 * The job's drive, grabbed, with a disc that takes total bytes: blanked
 * first where the blank option allows (phase blanking), formatted when it
 * never was, and otherwise waited for (state waiting-for-media with
 * Job.Message) until the media-timeout. copy counts from 1; for copy > 1,
 * since is the drive's media generation taken before the last disc was
 * ejected, and a disc is taken only once the drive has seen a change
 * since. Worker thread. NULL with NO_MEDIA, MEDIA_TOO_SMALL or
 * UNSUPPORTED_MEDIA (why the last disc would not do), CANCELLED, or the
 * drive's own error.
 */
CbBurn *
cb_job_media_acquire(CbJob *self, guint64 total, guint copy, guint since, GError **error);

/* blanks or formats the disc in burn, in phase blanking; a burn's
 * progress is put back afterwards */
gboolean
cb_job_media_blank(CbJob *self, CbBurn *burn, CbBlankMode mode, GError **error);

G_END_DECLS
