// SPDX-License-Identifier: GPL-2.0
/* Backend file I/O from the worker, through the file's own iter methods. */
#include <linux/fs.h>

#include "vhost.h"

ssize_t rv_file_io(struct file *file, int dir, struct iov_iter *iter,
		   loff_t pos, bool nowait)
{
	struct kiocb kiocb;
	ssize_t r;

	if (dir == ITER_DEST) {
		if (!(file->f_mode & FMODE_READ) || !file->f_op->read_iter)
			return -EBADF;
	} else {
		if (!(file->f_mode & FMODE_WRITE) || !file->f_op->write_iter)
			return -EBADF;
	}
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = pos;
	if (nowait)
		kiocb.ki_flags |= IOCB_NOWAIT;
	if (dir == ITER_DEST)
		return file->f_op->read_iter(&kiocb, iter);
	/* Freeze protection for regular files, as a write(2) would take. */
	file_start_write(file);
	r = file->f_op->write_iter(&kiocb, iter);
	file_end_write(file);
	return r;
}
