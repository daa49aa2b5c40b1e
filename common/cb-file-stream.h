/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/stat.h>

#include <libisofs/libisofs.h>

G_BEGIN_DECLS

/*
 * The contents of a local file as a libisofs stream, read in large
 * chunks. libisofs' own local-file stream asks the kernel for 2 KiB per
 * read(): half a million system calls per GiB, a tenth of the time it
 * takes to make an image. Identity (device, inode) is the file's, so
 * libisofs still stores hard-linked files once and links them.
 *
 * Its methods run on libisofs' writer thread.
 */
IsoStream *
cb_file_stream_new(const gchar *path, const struct stat *st);

G_END_DECLS
