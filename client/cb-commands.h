/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* each subcommand parses its own options and returns an exit status */
int
cb_cmd_image(int argc, char **argv);
int
cb_cmd_info(int argc, char **argv);
