/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringvm_vhost internals: the device, its queues and the pieces that
 * serve them (ioctl entry, memory table, split ring, worker, backends).
 */
#ifndef RINGVM_VHOST_H
#define RINGVM_VHOST_H

#include <linux/eventfd.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/uio.h>
#include <linux/atomic.h>
#include <linux/sched.h>

#include <linux/ringvm_vhost.h>

#define RV_BATCH		64	/* chains per queue per worker pass */
#define RV_WEIGHT_BYTES		0x80000	/* chain bytes per queue per pass (vhost's) */
#define RV_MAX_IOV		UIO_MAXIOV
#define RV_NET_FRAME_MAX	65550	/* largest frame a tap hands out */

struct rv_dev;
struct rv_vq;
struct socket;
struct vhost_task;
struct cred;

/* Split virtqueue descriptor, as laid out in guest memory. */
struct rv_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

#define RV_DESC_F_NEXT		1
#define RV_DESC_F_WRITE		2
#define RV_DESC_F_INDIRECT	4
#define RV_AVAIL_F_NO_INTERRUPT	1
#define RV_USED_F_NO_NOTIFY	1

struct rv_mem {
	u32 nregions;
	struct ringvm_vhost_mem_region regions[];
};

/* A wait-queue entry that turns an fd's readiness into worker work. */
struct rv_poll {
	poll_table table;
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;
	bool refused;			/* the file wanted a second queue */
	struct rv_dev *dev;
	unsigned long bit;	/* pending bit set on wakeup */
	atomic64_t *counter;	/* bumped on each wakeup, may be NULL */
};

/* One descriptor chain, gathered as user iovecs of the owner's mm. */
struct rv_chain {
	u16 head;
	unsigned int nout, nin;		/* readable iovs first, then writable */
	size_t out_len, in_len;
	struct iovec *iov;		/* RV_MAX_IOV entries */
};

struct rv_vq {
	struct mutex mutex;		/* ring state; held by the worker */
	struct rv_dev *dev;
	unsigned int index;

	u32 num;
	u64 desc_gpa, avail_gpa, used_gpa;
	bool addr_set;
	u16 last_avail_idx;		/* next avail entry to take */
	u16 used_idx;			/* our copy of used->idx */
	u32 error;			/* RINGVM_VHOST_ERR_*; non-zero stops the queue */

	bool used_idx_valid;		/* false: reread used->idx from the ring */

	/* Translated ring pointers, valid for the current pass. */
	struct rv_desc __user *desc;
	u8 __user *avail;
	u8 __user *used;

	struct file *kick_file;
	struct rv_poll kick_poll;
	struct eventfd_ctx *call_ctx;
	struct eventfd_ctx *err_ctx;

	struct rv_chain chain;

	atomic64_t kicks;
	u64 requests, bytes, calls, batches, errors;
};

struct rv_dev_ops {
	/* Serves up to RV_BATCH chains; true when more work is left. */
	bool (*handle)(struct rv_vq *vq);
	/* Checks @file; net also finds its socket (*@sockp, else NULL). */
	int (*set_backend)(struct rv_dev *dev, struct file *file,
			   struct socket **sockp);
	unsigned int nqueues;
	u64 features;
};

struct rv_dev {
	struct mutex mutex;		/* serialises ioctls */
	u32 id;				/* names the device in traces */
	struct mm_struct *mm;		/* owner; NULL until SET_OWNER */
	/*
	 * The worker runs as the owner: a vhost_task (a thread of the owner's
	 * process) where the kernel offers one, else a kthread moved into the
	 * owner's cgroups that does its work with the owner's credentials.
	 */
	struct vhost_task *vtsk;
	struct task_struct *worker;
	const struct cred *owner_cred;	/* kthread only */
	spinlock_t worker_lock;		/* wakeups against a killed vhost_task */
	bool worker_dead;
	unsigned long pending;		/* a bit per queue with work */
	u32 type;
	const struct rv_dev_ops *ops;
	u64 features;
	struct rv_mem *mem;
	struct file *backend;
	struct socket *backend_sock;	/* net: the tap's, inside @backend */
	struct rv_poll backend_poll;	/* net: tap readable -> RX pending */
	void *bounce;			/* net: one frame */
	u8 blk_id[RINGVM_VHOST_BLK_ID_BYTES];	/* blk: GET_ID; under all vq mutexes */
	struct rv_vq vqs[RINGVM_VHOST_MAX_QUEUES];
};

static inline bool rv_has_feature(struct rv_dev *dev, unsigned int bit)
{
	return dev->features & (1ULL << bit);
}

/* dev.c */
long rv_dev_ioctl(struct file *file, unsigned int ioctl, unsigned long arg);
int rv_dev_open(struct inode *inode, struct file *file);
int rv_dev_release(struct inode *inode, struct file *file);

/* mem.c */
int rv_set_mem_table(struct rv_dev *dev, void __user *argp);
void __user *rv_translate(struct rv_mem *mem, u64 gpa, u64 len);

/* vq.c: split ring access, called with vq->mutex held in the worker */
void rv_vq_fail(struct rv_vq *vq, u32 reason);
void rv_vq_signal(struct eventfd_ctx *ctx);

/* worker.c */
int rv_worker_start(struct rv_dev *dev);
void rv_worker_stop(struct rv_dev *dev);
void rv_worker_queue(struct rv_dev *dev, unsigned long bit);
void rv_worker_wake(struct rv_dev *dev);
void rv_poll_init(struct rv_poll *p, struct rv_dev *dev, unsigned long bit,
		  atomic64_t *counter);
int rv_poll_start(struct rv_poll *p, struct file *file);
void rv_poll_stop(struct rv_poll *p);

/* io.c */
ssize_t rv_file_io(struct file *file, int dir, struct iov_iter *iter,
		   loff_t pos);

/* blk.c, net.c */
extern const struct rv_dev_ops rv_blk_ops;
extern const struct rv_dev_ops rv_net_ops;

/*
 * What a backend's per-chain handler returns to rv_vq_serve(): the chain is
 * done (RV_DONE, *written set), or must go back to the ring and the pass
 * stop (RV_STOP: nothing to do with it yet) or go on (RV_RETRY: try the same
 * buffer again), or the queue has failed (negative).
 */
#define RV_DONE		0
#define RV_STOP		1
#define RV_RETRY	2

/*
 * Serves up to RV_BATCH chains or RV_WEIGHT_BYTES of chain buffers of @vq;
 * true when more are waiting.
 */
bool rv_vq_serve(struct rv_vq *vq, int (*one)(struct rv_vq *vq, u32 *written));

#endif /* RINGVM_VHOST_H */
