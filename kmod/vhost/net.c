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
 *
 * Only a tun/tap file is a backend, reached through the socket tun.ko or
 * tap.ko hands out for it, as vhost-net does: an arbitrary pollable file
 * (a pty, say) can register several wait queues and has no frame semantics.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/socket.h>
#include <linux/if_tun.h>
#include <linux/if_tap.h>
#include <linux/mman.h>
#include <linux/security.h>

#include "vhost.h"

static size_t rv_net_hdr_len(struct rv_dev *dev)
{
	/* VERSION_1 always carries num_buffers. */
	return rv_has_feature(dev, RINGVM_VHOST_F_VERSION_1) ? 12 : 10;
}

/*
 * One frame between the bounce buffer and the tap's socket, never blocking;
 * on receive, the frame's whole length even when it did not fit.
 */
static ssize_t rv_net_xfer(struct rv_dev *dev, int dir, size_t len)
{
	struct socket *sock = dev->backend_sock;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec kv = { .iov_base = dev->bounce, .iov_len = len };

	iov_iter_kvec(&msg.msg_iter, dir, &kv, 1, len);
	if (dir == ITER_SOURCE)
		return sock->ops->sendmsg(sock, &msg, len);
	return sock->ops->recvmsg(sock, &msg, len, MSG_DONTWAIT | MSG_TRUNC);
}

static int rv_net_tx_one(struct rv_vq *vq, u32 *written)
{
	struct rv_dev *dev = vq->dev;
	struct rv_chain *c = &vq->chain;
	size_t hlen = rv_net_hdr_len(dev), len;
	struct iov_iter it;

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
	if (rv_net_xfer(dev, ITER_SOURCE, len) == len)
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
	ssize_t len;

	if (c->nout) {
		rv_vq_fail(vq, RINGVM_VHOST_ERR_LAYOUT);
		return -EINVAL;
	}
	/* Never block the worker, whether or not the tap honours NOWAIT. */
	if (!(vfs_poll(dev->backend, NULL) & EPOLLIN))
		return RV_STOP;
	len = rv_net_xfer(dev, ITER_DEST, RV_NET_FRAME_MAX);
	if (len <= 0)
		return RV_STOP;
	/* Consumed but unusable: too big for us or for the buffer. */
	if (len > RV_NET_FRAME_MAX || c->in_len < hlen + len)
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

/* The socket behind a tun or tap file, as vhost-net finds it; NULL otherwise. */
static struct socket *rv_net_tap_socket(struct file *file)
{
	struct socket *(*get)(struct file *file);
	struct socket *sock = ERR_PTR(-ENOTSOCK);

	/*
	 * Looked up at run time so that ringvm_vhost loads without tun.ko and
	 * tap.ko; a file of theirs pins its module, so the socket outlives
	 * symbol_put().
	 */
	get = symbol_get(tun_get_socket);
	if (get) {
		sock = get(file);
		symbol_put(tun_get_socket);
	}
	if (IS_ERR(sock)) {
		get = symbol_get(tap_get_socket);
		if (get) {
			sock = get(file);
			symbol_put(tap_get_socket);
		}
	}
	return IS_ERR(sock) ? NULL : sock;
}

/*
 * The tap's IFF_* flags, asked of the tap itself with TUNGETIFF (tun and
 * tap both answer it) as its owner would.  Its answer goes to user memory,
 * so a scratch page is mapped in the caller's mm for the call: the ioctl
 * runs in the owner's context.
 */
static int rv_net_tap_flags(struct file *file, unsigned int *flags)
{
	struct ifreq __user *ifr;
	unsigned long addr;
	short f;
	long r;

	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	ifr = (struct ifreq __user *)addr;
	r = security_file_ioctl(file, TUNGETIFF, addr);
	if (!r)
		r = vfs_ioctl(file, TUNGETIFF, addr);
	if (!r && get_user(f, &ifr->ifr_flags))
		r = -EFAULT;
	vm_munmap(addr, PAGE_SIZE);
	if (r)
		return r;
	*flags = (unsigned short)f;
	return 0;
}

static int rv_net_set_backend(struct rv_dev *dev, struct file *file,
			      struct socket **sockp)
{
	struct socket *sock = rv_net_tap_socket(file);
	unsigned int flags;
	int r;

	if (!sock)
		return -ENOTSOCK;
	/* The fd's own access, as a read(2) or write(2) on it would need. */
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE))
		return -EBADF;
	/*
	 * Frames are Ethernet (a tap, not a tun) without a virtio_net_hdr (the
	 * tap would read one from each frame we send).  IFF_NO_PI cannot be
	 * checked this way: tun's TUNGETIFF reports IFF_NOFILTER in the same
	 * bit.  A tun fd not yet attached to an interface fails here (EBADFD).
	 */
	r = rv_net_tap_flags(file, &flags);
	if (r)
		return r;
	if ((flags & (IFF_TUN | IFF_TAP)) != IFF_TAP || (flags & IFF_VNET_HDR))
		return -EINVAL;
	if (!dev->bounce) {
		dev->bounce = kvmalloc(RV_NET_FRAME_MAX, GFP_KERNEL);
		if (!dev->bounce)
			return -ENOMEM;
	}
	*sockp = sock;
	return 0;
}

const struct rv_dev_ops rv_net_ops = {
	.handle		= rv_net_handle,
	.set_backend	= rv_net_set_backend,
	.nqueues	= 2,
	.features	= 0,
};
