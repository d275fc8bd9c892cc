// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net over a tap fd: queue 0 receives (frames read from the tap land
 * in posted buffers behind a virtio_net_hdr), queue 1 transmits (the header
 * is dropped and the frame written to the tap).  No offloads are offered,
 * so the header carries nothing the tap would need.
 *
 * Frames go through a bounce buffer so that a receive buffer is only taken
 * once a frame is known to exist, and a frame larger than the buffer is
 * dropped without consuming it.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/poll.h>

#include "vhost.h"

static size_t rv_net_hdr_len(struct rv_dev *dev)
{
	/* VERSION_1 always carries num_buffers. */
	return rv_has_feature(dev, RINGVM_VHOST_F_VERSION_1) ? 12 : 10;
}

static int rv_net_tx_one(struct rv_vq *vq, u32 *written)
{
	struct rv_dev *dev = vq->dev;
	struct rv_chain *c = &vq->chain;
	size_t hlen = rv_net_hdr_len(dev), len;
	struct iov_iter it;
	struct kvec kv;

	if (c->out_len < hlen || c->nin) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_LAYOUT);
		return -EINVAL;
	}
	len = c->out_len - hlen;
	*written = 0;
	/* Too big or empty for any tap: dropped, the buffer still returns. */
	if (!len || len > RV_NET_FRAME_MAX)
		return RV_DONE;
	iov_iter_init(&it, ITER_SOURCE, c->iov, c->nout, c->out_len);
	iov_iter_advance(&it, hlen);
	if (copy_from_iter(dev->bounce, len, &it) != len) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}
	kv.iov_base = dev->bounce;
	kv.iov_len = len;
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	if (rv_file_io(dev->backend, ITER_SOURCE, &it, 0, true) == len)
		vq->bytes += len;
	return RV_DONE;
}

static int rv_net_rx_one(struct rv_vq *vq, u32 *written)
{
	struct rv_dev *dev = vq->dev;
	struct rv_chain *c = &vq->chain;
	size_t hlen = rv_net_hdr_len(dev);
	u8 hdr[12] = { 0 };
	struct iov_iter it;
	struct kvec kv;
	ssize_t len;

	if (c->nout) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_LAYOUT);
		return -EINVAL;
	}
	/* Never block the worker, whether or not the tap honours NOWAIT. */
	if (!(vfs_poll(dev->backend, NULL) & EPOLLIN))
		return RV_STOP;
	kv.iov_base = dev->bounce;
	kv.iov_len = RV_NET_FRAME_MAX;
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, RV_NET_FRAME_MAX);
	len = rv_file_io(dev->backend, ITER_DEST, &it, 0, true);
	if (len <= 0)
		return RV_STOP;
	if (c->in_len < hlen + len)
		return RV_RETRY;
	if (hlen == 12)
		hdr[10] = 1;	/* num_buffers, little endian */
	iov_iter_init(&it, ITER_DEST, c->iov, c->nin, c->in_len);
	if (copy_to_iter(hdr, hlen, &it) != hlen ||
	    copy_to_iter(dev->bounce, len, &it) != len) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_ACCESS);
		return -EFAULT;
	}
	*written = hlen + len;
	vq->bytes += len;
	return RV_DONE;
}

static bool rv_net_handle(struct rv_vq *vq)
{
	if (!vq->dev->backend)
		return false;
	if (vq->index == RINGVM_VHOST_NET_RX)
		return rv_vq_serve(vq, rv_net_rx_one);
	return rv_vq_serve(vq, rv_net_tx_one);
}

/*
 * Any character device with read_iter, write_iter and poll that moves one
 * frame per call fits; the tap must be IFF_TAP | IFF_NO_PI without
 * IFF_VNET_HDR.
 */
static int rv_net_set_backend(struct rv_dev *dev, struct file *file)
{
	if (!S_ISCHR(file_inode(file)->i_mode) || !file->f_op->read_iter ||
	    !file->f_op->write_iter || !file->f_op->poll)
		return -EINVAL;
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		return -EBADF;
	if (!dev->bounce) {
		dev->bounce = kvmalloc(RV_NET_FRAME_MAX, GFP_KERNEL);
		if (!dev->bounce)
			return -ENOMEM;
	}
	return 0;
}

const struct rv_dev_ops rv_net_ops = {
	.handle		= rv_net_handle,
	.set_backend	= rv_net_set_backend,
	.nqueues	= 2,
	.features	= 0,
};
