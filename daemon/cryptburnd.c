/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cryptburnd: owns the optical drives and runs encrypt-and-burn jobs for
 * clients on the system bus, through libburn.
 */
#include "cb-main.h"

int
main(int argc, char **argv)
{
	return cb_main_run(argc, argv, &cb_libburn_backend);
}
