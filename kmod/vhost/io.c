// SPDX-License-Identifier: GPL-2.0
/*
 * Backend file I/O from the worker, through the VFS entry points a
 * read(2) or write(2) would reach: rw_verify_area (mandatory locks, LSM
 * file_permission, fanotify permission events), fsnotify, freeze
 * protection.
 */
#include <linux/fs.h>

#include "vhost.h"
#include "compat.h"

ssize_t rv_file_io(struct file *file, int dir, struct iov_iter *iter,
		   loff_t pos)
{
	ssize_t r;

	if (dir == ITER_DEST)
		return vfs_iter_read(file, iter, &pos, 0);
	/*
	 * Every write names its offset; an O_APPEND file would put each at its
	 * end instead.  Refused at SET_BACKEND, and here because fcntl() can
	 * set O_APPEND on the open file afterwards.
	 */
	if (file->f_flags & O_APPEND)
		return -EINVAL;
	rv_file_start_write(file);
	r = vfs_iter_write(file, iter, &pos, 0);
	rv_file_end_write(file);
	return r;
}
