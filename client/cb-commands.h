/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* each subcommand parses its own options and returns an exit status */
int
cb_cmd_image(int argc, char **argv);
int
cb_cmd_info(int argc, char **argv);
int
cb_cmd_encrypt_image(int argc, char **argv);
int
cb_cmd_extract_key(int argc, char **argv);
int
cb_cmd_verify(int argc, char **argv);
/* the commands that talk to the cryptburnd service */
int
cb_cmd_drives(int argc, char **argv);
int
cb_cmd_burn(int argc, char **argv);
int
cb_cmd_burn_image(int argc, char **argv);
int
cb_cmd_jobs(int argc, char **argv);
int
cb_cmd_watch(int argc, char **argv);
int
cb_cmd_cancel(int argc, char **argv);
int
cb_cmd_eject(int argc, char **argv);
int
cb_cmd_blank(int argc, char **argv);
