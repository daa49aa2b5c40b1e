/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * How a write is done, chosen once the disc is in and the image size is
 * known: speed, simulation, stream recording, underrun protection and the
 * write type. Every check here fails before the disc is touched.
 *
 * Threads: a job's worker thread, with burner_lock held (the calls below
 * read and set the grabbed drive's state).
 *
 * libburn facts this file relies on (libburn 1.5.4):
 * - burn_write_opts_auto_write_type() takes SAO/DAO where the medium
 *   offers it with a size known in advance (CD, blank DVD-R) and TAO
 *   where SAO is offered only as "not to be chosen automatically" (DVD+R,
 *   BD-R, overwritable media, stdio drives). It refuses a simulation the
 *   medium cannot do, but names it only among its reasons.
 * - burn_disc_get_multi_caps() says might_simulate = 1 for every stdio
 *   drive role, and 0 for DVD+R, DVD+R DL, BD and overwritable DVD.
 * - burn_write_opts_set_underrun_proof() returns 1 only when the drive
 *   announces buffer underrun protection (mode page 2Ah, BUFE), and for
 *   every stdio drive (a file never runs dry).
 * - Stream recording (WRITE12 with the Streaming bit) matters only where
 *   the drive does defect management while writing: DVD-RAM and BD.
 */

#include "cb-burner-private.h"

#include "cb-error.h"

#include <glib/gi18n-lib.h>

/* DVD-RAM, BD-R sequential, BD-R random, BD-RE: without stream recording
 * the drive verifies as it writes and runs at half speed or less */
static gboolean
cb_burn_strategy_profile_streams(int profile)
{
	return profile == 0x12 || profile == 0x41 || profile == 0x42 || profile == 0x43;
}

/* "DVD+R", "BD-R sequential recording", …: libburn's name of the medium */
static gchar *
cb_burn_strategy_media_name(CbBurn *self, int *profile)
{
	char name[80] = "";

	*profile = 0;
	burn_disc_get_profile(self->drive, profile, name);
	return g_strstrip(g_strdup(name[0] != '\0' ? name : _("this disc")));
}

/* a test write that the medium cannot do would write for real: refuse
 * it here, by name, rather than among libburn's write type reasons */
static gboolean
cb_burn_strategy_check_simulate(CbBurn *self, const CbBurnOptions *options, GError **error)
{
	struct burn_multi_caps *caps = NULL;
	g_autofree gchar *media = NULL;
	gboolean can_simulate;
	int profile;

	if (!options->simulate)
		return TRUE;
	can_simulate = burn_disc_get_multi_caps(self->drive, BURN_WRITE_NONE, &caps, 0) >= 0 &&
		       caps != NULL && caps->might_simulate;
	burn_disc_free_multi_caps(&caps);
	if (can_simulate)
		return TRUE;
	media = cb_burn_strategy_media_name(self, &profile);
	g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
		    _("the drive %s cannot simulate writing on this disc (%s): burn without "
		      "simulate"),
		    self->device, media);
	return FALSE;
}

/* on a stdio drive this throttles writing to the same speed; 0 lets the
 * drive choose its best */
static void
cb_burn_strategy_set_speed(CbBurn *self, const CbBurnOptions *options)
{
	burn_drive_set_speed(self->drive, 0, (int) MIN(options->speed_kbs, G_MAXINT));
}

/* libburn 1.5.4 throttles a stdio drive where it syncs, by default every
 * 16 MiB: it writes 16 MiB at once, then sleeps for them in one usleep()
 * that a cancel cannot cut short (4 s at 4000 kB/s). Syncing every MiB
 * makes the sleeps, and the wait for a Cancel, a sixteenth; only for a
 * throttled test drive, which stands in for a slow disc anyway */
#define CB_BURN_STDIO_THROTTLED_SYNC_BLOCKS 512

static void
cb_burn_strategy_set_stdio_rhythm(CbBurn *self,
				  struct burn_write_opts *opts,
				  const CbBurnOptions *options)
{
	if (self->is_stdio && options->speed_kbs > 0 && !options->simulate)
		burn_write_opts_set_stdio_fsync(opts, CB_BURN_STDIO_THROTTLED_SYNC_BLOCKS);
}

static gboolean
cb_burn_strategy_set_stream_recording(CbBurn *self, struct burn_write_opts *opts)
{
	int profile = 0;
	char name[80] = "";

	burn_disc_get_profile(self->drive, &profile, name);
	if (!cb_burn_strategy_profile_streams(profile))
		return FALSE;
	burn_write_opts_set_stream_recording(opts, 1);
	return TRUE;
}

static const gchar *
cb_burn_strategy_mode_name(CbBurn *self, enum burn_write_types type)
{
	/* libburn picks TAO for a file too, but there it only means "in
	 * sequence": no run-out blocks, no track-at-once on any disc */
	if (self->is_stdio)
		return "stdio";
	switch (type) {
	case BURN_WRITE_SAO:
		return "sao";
	case BURN_WRITE_TAO:
		return "tao";
	case BURN_WRITE_RAW:
		return "raw";
	case BURN_WRITE_PACKET:
		return "packet";
	case BURN_WRITE_NONE:
	default:
		return "";
	}
}

/* the write type libburn advises for this medium and a track of known
 * size: SAO/DAO where the medium takes it, TAO otherwise */
static gboolean
cb_burn_strategy_set_write_type(CbBurn *self,
				struct burn_write_opts *opts,
				struct burn_disc *disc,
				CbBurnStrategy *strategy,
				GError **error)
{
	char reasons[BURN_REASONS_LEN] = "";
	enum burn_write_types type = burn_write_opts_auto_write_type(opts, disc, reasons, 0);

	if (type == BURN_WRITE_NONE) {
		/* the reasons say it better than its "no suitable write mode" */
		burner_discard_messages();
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA,
			    _("the disc in %s cannot be written this way: %s"), self->device,
			    g_strstrip(reasons));
		return FALSE;
	}
	strategy->write_mode = cb_burn_strategy_mode_name(self, type);
	return TRUE;
}

gboolean
cb_burn_strategy_choose(CbBurn *self,
			struct burn_write_opts *opts,
			struct burn_disc *disc,
			const CbBurnOptions *options,
			CbBurnStrategy *strategy,
			GError **error)
{
	*strategy = (CbBurnStrategy){ .write_mode = "" };
	if (!cb_burn_strategy_check_simulate(self, options, error))
		return FALSE;
	cb_burn_strategy_set_speed(self, options);
	cb_burn_strategy_set_stdio_rhythm(self, opts, options);
	burn_write_opts_set_simulate(opts, options->simulate ? 1 : 0);
	strategy->stream_recording = cb_burn_strategy_set_stream_recording(self, opts);
	strategy->underrun_proof = burn_write_opts_set_underrun_proof(opts, 1) == 1;
	/* last: it looks at all the other options */
	if (!cb_burn_strategy_set_write_type(self, opts, disc, strategy, error))
		return FALSE;
	g_debug("%s: writing %s%s%s%s", self->device, strategy->write_mode,
		strategy->underrun_proof ? ", underrun protection" : "",
		strategy->stream_recording ? ", stream recording" : "",
		options->simulate ? ", simulated" : "");
	return TRUE;
}
