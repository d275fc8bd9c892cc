// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk requests against a file or block device: IN, OUT, FLUSH and
 * GET_ID, each answered with a status byte.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "vhost.h"

#define RV_BLK_T_IN		0
#define RV_BLK_T_OUT		1
#define RV_BLK_T_FLUSH		4
#define RV_BLK_T_GET_ID		8
#define RV_BLK_S_OK		0
#define RV_BLK_S_IOERR		1
#define RV_BLK_S_UNSUPP		2
#define RV_BLK_SECTOR_SHIFT	9

struct rv_blk_outhdr {
	__le32 type;
	__le32 ioprio;
	__le64 sector;
};

static loff_t rv_blk_size(struct file *file)
{
	return i_size_read(file->f_mapping->host);
}

/* The data bytes of a request, or a negative status when out of range. */
static int rv_blk_check_range(struct file *file, u64 sector, size_t len,
			      loff_t *pos)
{
	u64 size = rv_blk_size(file);

	if (len & ((1 << RV_BLK_SECTOR_SHIFT) - 1))
		return -EINVAL;
	if (sector > (U64_MAX >> RV_BLK_SECTOR_SHIFT))
		return -EINVAL;
	if ((sector << RV_BLK_SECTOR_SHIFT) > size ||
	    len > size - (sector << RV_BLK_SECTOR_SHIFT))
		return -EINVAL;
	*pos = sector << RV_BLK_SECTOR_SHIFT;
	return 0;
}

static u8 rv_blk_rw(struct rv_vq *vq, bool write, u64 sector, size_t *moved)
{
	struct rv_chain *c = &vq->chain;
	struct file *file = vq->dev->backend;
	struct iov_iter it;
	size_t len;
	loff_t pos;
	ssize_t r;

	if (write) {
		len = c->out_len - sizeof(struct rv_blk_outhdr);
		iov_iter_init(&it, ITER_SOURCE, c->iov, c->nout, c->out_len);
		iov_iter_advance(&it, sizeof(struct rv_blk_outhdr));
	} else {
		len = c->in_len - 1;
		iov_iter_init(&it, ITER_DEST, c->iov + c->nout, c->nin, len);
	}
	if (rv_blk_check_range(file, sector, len, &pos))
		return RV_BLK_S_IOERR;
	if (!len)
		return RV_BLK_S_OK;
	r = rv_file_io(file, write ? ITER_SOURCE : ITER_DEST, &it, pos);
	if (r != len)
		return RV_BLK_S_IOERR;
	*moved = len;
	return RV_BLK_S_OK;
}

static int rv_blk_one(struct rv_vq *vq, u32 *written)
{
	struct rv_chain *c = &vq->chain;
	struct rv_blk_outhdr hdr;
	struct iov_iter it;
	struct iovec *last;
	size_t moved = 0;
	u8 status;

	/* A header to read and a status byte to write, or no request at all. */
	if (c->out_len < sizeof(hdr) || c->in_len < 1) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_LAYOUT);
		return -EINVAL;
	}
	iov_iter_init(&it, ITER_SOURCE, c->iov, c->nout, c->out_len);
	if (copy_from_iter(&hdr, sizeof(hdr), &it) != sizeof(hdr)) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}

	switch (le32_to_cpu(hdr.type)) {
	case RV_BLK_T_IN:
		status = rv_blk_rw(vq, false, le64_to_cpu(hdr.sector), &moved);
		*written = moved;
		break;
	case RV_BLK_T_OUT:
		status = rv_blk_rw(vq, true, le64_to_cpu(hdr.sector), &moved);
		break;
	case RV_BLK_T_FLUSH:
		if (!rv_has_feature(vq->dev, RINGVM_VHOST_F_BLK_FLUSH))
			status = RV_BLK_S_UNSUPP;
		else
			status = vfs_fsync(vq->dev->backend, 0) ?
				 RV_BLK_S_IOERR : RV_BLK_S_OK;
		break;
	case RV_BLK_T_GET_ID:
		moved = min_t(size_t, c->in_len - 1, sizeof(vq->dev->blk_id));
		iov_iter_init(&it, ITER_DEST, c->iov + c->nout, c->nin, moved);
		if (copy_to_iter(vq->dev->blk_id, moved, &it) != moved) {
			rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
			return -EFAULT;
		}
		*written = moved;
		status = RV_BLK_S_OK;
		break;
	default:
		status = RV_BLK_S_UNSUPP;
		break;
	}

	/* The status is the last device-writable byte of the chain. */
	last = &c->iov[c->nout + c->nin - 1];
	if (put_user(status, (u8 __user *)last->iov_base + last->iov_len - 1)) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}
	*written += 1;
	vq->bytes += moved;
	return RV_DONE;
}

static bool rv_blk_handle(struct rv_vq *vq)
{
	if (!vq->dev->backend)
		return false;
	return rv_vq_serve(vq, rv_blk_one);
}

static int rv_blk_set_backend(struct rv_dev *dev, struct file *file,
			      struct socket **sockp)
{
	umode_t mode = file_inode(file)->i_mode;

	if (!S_ISREG(mode) && !S_ISBLK(mode))
		return -EINVAL;
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	/* Requests write at their sector, never at the end of the file. */
	if (file->f_flags & O_APPEND)
		return -EINVAL;
	return 0;
}

const struct rv_dev_ops rv_blk_ops = {
	.handle		= rv_blk_handle,
	.set_backend	= rv_blk_set_backend,
	.nqueues	= RINGVM_VHOST_MAX_QUEUES,
	.features	= 1ULL << RINGVM_VHOST_F_BLK_FLUSH,
};
