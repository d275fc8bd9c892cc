// SPDX-License-Identifier: GPL-2.0
/*
 * A device per open of /dev/ringvm-vhost: its ioctls and its teardown.
 * Only the owner's process (the mm bound by SET_OWNER) may configure it,
 * because every address it hands over means something only in that mm.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "vhost.h"

#define RV_COMMON_FEATURES ((1ULL << RINGVM_VHOST_F_VERSION_1) | \
			    (1ULL << RINGVM_VHOST_F_EVENT_IDX) | \
			    (1ULL << RINGVM_VHOST_F_INDIRECT_DESC))

static atomic_t rv_next_id = ATOMIC_INIT(0);

static void rv_lock_vqs(struct rv_dev *dev)
{
	unsigned int i;

	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++)
		mutex_lock_nested(&dev->vqs[i].mutex, i);
}

static void rv_unlock_vqs(struct rv_dev *dev)
{
	unsigned int i;

	for (i = RINGVM_VHOST_MAX_QUEUES; i-- > 0;)
		mutex_unlock(&dev->vqs[i].mutex);
}

/* All queues in one wakeup, so that one pass sees them together. */
static void rv_queue_all(struct rv_dev *dev)
{
	unsigned int i;

	if (!dev->ops)
		return;
	for (i = 0; i < dev->ops->nqueues; i++)
		set_bit(i, &dev->pending);
	rv_worker_wake(dev);
}

static u64 rv_offered_features(struct rv_dev *dev)
{
	return RV_COMMON_FEATURES | (dev->ops ? dev->ops->features : 0);
}

static int rv_set_owner(struct rv_dev *dev)
{
	struct mm_struct *mm;
	int r;

	if (dev->mm)
		return -EBUSY;
	/* A reference on the address space: the rings stay valid until release. */
	mm = get_task_mm(current);
	if (!mm)
		return -EINVAL;
	dev->mm = mm;
	r = rv_worker_start(dev);
	if (r) {
		dev->mm = NULL;
		mmput(mm);
	}
	return r;
}

static int rv_set_device_type(struct rv_dev *dev, u32 __user *argp)
{
	const struct rv_dev_ops *ops;
	unsigned int i;
	u32 type;

	if (get_user(type, argp))
		return -EFAULT;
	if (dev->ops)
		return -EBUSY;
	switch (type) {
	case RINGVM_VHOST_DEV_BLK:
		ops = &rv_blk_ops;
		break;
	case RINGVM_VHOST_DEV_NET:
		ops = &rv_net_ops;
		break;
	default:
		return -EINVAL;
	}
	for (i = 0; i < ops->nqueues; i++) {
		dev->vqs[i].chain.iov = kvmalloc_array(RV_MAX_IOV,
						       sizeof(struct iovec),
						       GFP_KERNEL);
		if (!dev->vqs[i].chain.iov)
			goto nomem;
	}
	rv_lock_vqs(dev);
	dev->type = type;
	dev->ops = ops;
	rv_unlock_vqs(dev);
	return 0;
nomem:
	while (i-- > 0) {
		kvfree(dev->vqs[i].chain.iov);
		dev->vqs[i].chain.iov = NULL;
	}
	return -ENOMEM;
}

/* Taken with every queue locked: a GET_ID in flight reads all or none of it. */
static int rv_set_blk_id(struct rv_dev *dev, void __user *argp)
{
	struct ringvm_vhost_blk_id id;

	if (copy_from_user(&id, argp, sizeof(id)))
		return -EFAULT;
	if (dev->type != RINGVM_VHOST_DEV_BLK)
		return -EINVAL;
	rv_lock_vqs(dev);
	memcpy(dev->blk_id, id.id, sizeof(dev->blk_id));
	rv_unlock_vqs(dev);
	return 0;
}

static int rv_set_features(struct rv_dev *dev, u64 __user *argp)
{
	u64 features;

	if (get_user(features, argp))
		return -EFAULT;
	if (features & ~rv_offered_features(dev))
		return -EOPNOTSUPP;
	rv_lock_vqs(dev);
	dev->features = features;
	rv_unlock_vqs(dev);
	return 0;
}

static int rv_set_backend(struct rv_dev *dev, void __user *argp)
{
	struct ringvm_vhost_backend b;
	struct file *file = NULL, *old;
	struct socket *sock = NULL;
	bool net = dev->type == RINGVM_VHOST_DEV_NET;
	int r = 0;

	if (copy_from_user(&b, argp, sizeof(b)))
		return -EFAULT;
	if (b.padding || !dev->ops)
		return -EINVAL;
	if (b.fd != -1) {
		file = fget(b.fd);
		if (!file)
			return -EBADF;
		r = dev->ops->set_backend(dev, file, &sock);
		if (r) {
			fput(file);
			return r;
		}
	}
	if (net)
		rv_poll_stop(&dev->backend_poll);
	rv_lock_vqs(dev);
	old = dev->backend;
	dev->backend = file;
	dev->backend_sock = sock;
	rv_unlock_vqs(dev);
	if (old)
		fput(old);
	if (file && net) {
		r = rv_poll_start(&dev->backend_poll, file);
		if (r) {
			/* Not reached for a tap (one queue); detach all the same. */
			rv_lock_vqs(dev);
			dev->backend = NULL;
			dev->backend_sock = NULL;
			rv_unlock_vqs(dev);
			fput(file);
		}
	}
	rv_queue_all(dev);
	return r;
}

static int rv_set_vring_kick(struct rv_vq *vq, s32 fd)
{
	struct file *file = NULL, *old;
	struct eventfd_ctx *ctx;

	if (fd != -1) {
		file = fget(fd);
		if (!file)
			return -EBADF;
		ctx = eventfd_ctx_fileget(file);
		if (IS_ERR(ctx)) {
			fput(file);
			return PTR_ERR(ctx);
		}
		eventfd_ctx_put(ctx);
	}
	rv_poll_stop(&vq->kick_poll);
	mutex_lock(&vq->mutex);
	old = vq->kick_file;
	vq->kick_file = file;
	mutex_unlock(&vq->mutex);
	if (old)
		fput(old);
	/* An eventfd waits on one queue; refusal would detach the kick. */
	if (file && rv_poll_start(&vq->kick_poll, file)) {
		mutex_lock(&vq->mutex);
		vq->kick_file = NULL;
		mutex_unlock(&vq->mutex);
		fput(file);
		return -EINVAL;
	}
	return 0;
}

static int rv_set_vring_eventfd(struct rv_vq *vq, s32 fd,
				struct eventfd_ctx **slot)
{
	struct eventfd_ctx *ctx = NULL, *old;

	if (fd != -1) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&vq->mutex);
	old = *slot;
	*slot = ctx;
	mutex_unlock(&vq->mutex);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

static int rv_set_vring_addr(struct rv_vq *vq, void __user *argp)
{
	struct ringvm_vhost_vring_addr a;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.flags)
		return -EINVAL;
	if ((a.desc_gpa & 15) || (a.avail_gpa & 1) || (a.used_gpa & 3))
		return -EINVAL;
	mutex_lock(&vq->mutex);
	vq->desc_gpa = a.desc_gpa;
	vq->avail_gpa = a.avail_gpa;
	vq->used_gpa = a.used_gpa;
	vq->addr_set = true;
	vq->used_idx_valid = false;
	vq->error = RINGVM_VHOST_ERR_NONE;
	mutex_unlock(&vq->mutex);
	return 0;
}

static int rv_get_vring_stats(struct rv_vq *vq, void __user *argp)
{
	struct ringvm_vhost_vring_stats s = { .index = vq->index };

	mutex_lock(&vq->mutex);
	s.error = vq->error;
	s.requests = vq->requests;
	s.bytes = vq->bytes;
	s.kicks = atomic64_read(&vq->kicks);
	s.calls = vq->calls;
	s.batches = vq->batches;
	s.errors = vq->errors;
	mutex_unlock(&vq->mutex);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long rv_vring_ioctl(struct rv_dev *dev, unsigned int ioctl,
			   void __user *argp)
{
	struct ringvm_vhost_vring_state st;
	struct ringvm_vhost_vring_file f;
	struct rv_vq *vq;
	u32 index;
	long r = 0;

	if (get_user(index, (u32 __user *)argp))
		return -EFAULT;
	if (!dev->ops)
		return -EINVAL;
	if (index >= dev->ops->nqueues)
		return -ENOBUFS;
	vq = &dev->vqs[index];

	switch (ioctl) {
	case RINGVM_VHOST_SET_VRING_NUM:
	case RINGVM_VHOST_SET_VRING_BASE:
		if (copy_from_user(&st, argp, sizeof(st)))
			return -EFAULT;
		if (ioctl == RINGVM_VHOST_SET_VRING_NUM &&
		    (!st.num || st.num > RINGVM_VHOST_MAX_VRING_NUM ||
		     (st.num & (st.num - 1))))
			return -EINVAL;
		if (ioctl == RINGVM_VHOST_SET_VRING_BASE && st.num > 0xffff)
			return -EINVAL;
		mutex_lock(&vq->mutex);
		if (ioctl == RINGVM_VHOST_SET_VRING_NUM) {
			vq->num = st.num;
		} else {
			vq->last_avail_idx = st.num;
			vq->used_idx_valid = false;
		}
		vq->error = RINGVM_VHOST_ERR_NONE;
		mutex_unlock(&vq->mutex);
		break;
	case RINGVM_VHOST_GET_VRING_BASE:
		mutex_lock(&vq->mutex);
		st.index = index;
		st.num = vq->last_avail_idx;
		mutex_unlock(&vq->mutex);
		if (copy_to_user(argp, &st, sizeof(st)))
			return -EFAULT;
		break;
	case RINGVM_VHOST_SET_VRING_ADDR:
		r = rv_set_vring_addr(vq, argp);
		break;
	case RINGVM_VHOST_SET_VRING_KICK:
	case RINGVM_VHOST_SET_VRING_CALL:
	case RINGVM_VHOST_SET_VRING_ERR:
		if (copy_from_user(&f, argp, sizeof(f)))
			return -EFAULT;
		if (ioctl == RINGVM_VHOST_SET_VRING_KICK)
			r = rv_set_vring_kick(vq, f.fd);
		else if (ioctl == RINGVM_VHOST_SET_VRING_CALL)
			r = rv_set_vring_eventfd(vq, f.fd, &vq->call_ctx);
		else
			r = rv_set_vring_eventfd(vq, f.fd, &vq->err_ctx);
		break;
	case RINGVM_VHOST_GET_VRING_STATS:
		return rv_get_vring_stats(vq, argp);
	}
	/* A reconfigured queue may have buffers waiting since before. */
	if (!r && ioctl != RINGVM_VHOST_GET_VRING_BASE)
		rv_worker_queue(dev, index);
	return r;
}

static long rv_owner_ioctl(struct rv_dev *dev, unsigned int ioctl,
			   void __user *argp)
{
	u64 features;
	int r;

	switch (ioctl) {
	case RINGVM_VHOST_SET_DEVICE_TYPE:
		return rv_set_device_type(dev, argp);
	case RINGVM_VHOST_GET_FEATURES:
		features = rv_offered_features(dev);
		return copy_to_user(argp, &features, sizeof(features)) ?
		       -EFAULT : 0;
	case RINGVM_VHOST_SET_FEATURES:
		return rv_set_features(dev, argp);
	case RINGVM_VHOST_SET_MEM_TABLE:
		r = rv_set_mem_table(dev, argp);
		/* Rings that were unreachable may be reachable now. */
		if (!r)
			rv_queue_all(dev);
		return r;
	case RINGVM_VHOST_SET_BACKEND:
		return rv_set_backend(dev, argp);
	case RINGVM_VHOST_SET_BLK_ID:
		return rv_set_blk_id(dev, argp);
	default:
		return rv_vring_ioctl(dev, ioctl, argp);
	}
}

long rv_dev_ioctl(struct file *file, unsigned int ioctl, unsigned long arg)
{
	struct rv_dev *dev = file->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	switch (ioctl) {
	case RINGVM_VHOST_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return RINGVM_VHOST_API_VERSION;
	case RINGVM_VHOST_SET_OWNER:
		mutex_lock(&dev->mutex);
		r = rv_set_owner(dev);
		mutex_unlock(&dev->mutex);
		return r;
	case RINGVM_VHOST_SET_DEVICE_TYPE:
	case RINGVM_VHOST_GET_FEATURES:
	case RINGVM_VHOST_SET_FEATURES:
	case RINGVM_VHOST_SET_MEM_TABLE:
	case RINGVM_VHOST_SET_BACKEND:
	case RINGVM_VHOST_SET_BLK_ID:
	case RINGVM_VHOST_SET_VRING_NUM:
	case RINGVM_VHOST_SET_VRING_ADDR:
	case RINGVM_VHOST_SET_VRING_BASE:
	case RINGVM_VHOST_GET_VRING_BASE:
	case RINGVM_VHOST_SET_VRING_KICK:
	case RINGVM_VHOST_SET_VRING_CALL:
	case RINGVM_VHOST_SET_VRING_ERR:
	case RINGVM_VHOST_GET_VRING_STATS:
		break;
	default:
		return -ENOTTY;
	}

	mutex_lock(&dev->mutex);
	if (!dev->mm || dev->mm != current->mm)
		r = -EPERM;
	else
		r = rv_owner_ioctl(dev, ioctl, argp);
	mutex_unlock(&dev->mutex);
	return r;
}

int rv_dev_open(struct inode *inode, struct file *file)
{
	struct rv_dev *dev;
	unsigned int i;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->mutex);
	spin_lock_init(&dev->worker_lock);
	dev->id = atomic_inc_return(&rv_next_id);
	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++) {
		struct rv_vq *vq = &dev->vqs[i];

		mutex_init(&vq->mutex);
		vq->dev = dev;
		vq->index = i;
		atomic64_set(&vq->kicks, 0);
		rv_poll_init(&vq->kick_poll, dev, i, &vq->kicks);
	}
	rv_poll_init(&dev->backend_poll, dev, RINGVM_VHOST_NET_RX, NULL);
	/* 16 bytes into a zeroed 20: NUL-padded, as GET_ID answers it. */
	memcpy(dev->blk_id, "ringvm-vhost-blk", 16);
	file->private_data = dev;
	return 0;
}

int rv_dev_release(struct inode *inode, struct file *file)
{
	struct rv_dev *dev = file->private_data;
	unsigned int i;

	/* No wakeup may reach the worker once it is gone. */
	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++)
		rv_poll_stop(&dev->vqs[i].kick_poll);
	rv_poll_stop(&dev->backend_poll);
	rv_worker_stop(dev);

	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++) {
		struct rv_vq *vq = &dev->vqs[i];

		if (vq->kick_file)
			fput(vq->kick_file);
		if (vq->call_ctx)
			eventfd_ctx_put(vq->call_ctx);
		if (vq->err_ctx)
			eventfd_ctx_put(vq->err_ctx);
		kvfree(vq->chain.iov);
	}
	if (dev->backend)
		fput(dev->backend);
	kvfree(dev->bounce);
	kvfree(dev->mem);
	if (dev->mm)
		mmput(dev->mm);
	kfree(dev);
	return 0;
}
