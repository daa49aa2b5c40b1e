/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-job-crypt.h"
#include "cb-reader.h"

G_BEGIN_DECLS

/* BurnFiles and BurnImage: every copy written, verified and ejected in
 * turn (cb-job-burn.c); the job's worker thread */
gboolean
cb_job_burn(CbJob *self, CbJobCrypt *crypt, GError **error);

/* the reader helper started as the caller on the job's sources, and the
 * image size it announced (cb-job-work.c) */
CbReader *
cb_job_start_reader(CbJob *self, guint64 *size, GError **error);

G_END_DECLS
