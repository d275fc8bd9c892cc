// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device worker, running as the device's owner: woken by wait-queue
 * callbacks on the kick eventfds (and the tap), it serves each pending queue
 * for one bounded batch per pass so that no queue starves another.
 *
 * Where the kernel has vhost_task (6.12) the worker is one: a thread of the
 * owner's process, sharing its mm, cgroups, credentials and rlimits, as
 * vhost's own worker.  Elsewhere (6.1) it is a kthread that uses the owner's
 * mm, is attached to the owner's cgroups before it first runs, and does all
 * its work under the owner's credentials (saved at SET_OWNER), so that
 * cgroup I/O and CPU limits, LSMs and capability checks (e.g. CAP_FSETID
 * when a write would clear a setuid bit) see the owner, not root.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>

#include "vhost.h"
#include "compat.h"
#include "trace.h"

#ifdef RV_HAVE_VHOST_TASK
#include <linux/sched/vhost_task.h>
#endif

/* One pass over the pending queues; false when there was nothing to do. */
static bool rv_worker_pass(struct rv_dev *dev)
{
	unsigned long work, bit;

	work = xchg(&dev->pending, 0);
	if (!work)
		return false;
	__set_current_state(TASK_RUNNING);
	for_each_set_bit(bit, &work, RINGVM_VHOST_MAX_QUEUES) {
		struct rv_vq *vq = &dev->vqs[bit];
		bool more = false;

		mutex_lock(&vq->mutex);
		if (dev->ops && bit < dev->ops->nqueues)
			more = dev->ops->handle(vq);
		mutex_unlock(&vq->mutex);
		/* Back of the line: the other queues get their turn first. */
		if (more)
			set_bit(bit, &dev->pending);
	}
	cond_resched();
	return true;
}

/* Called from wait-queue callbacks too: any context. */
void rv_worker_wake(struct rv_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->worker_lock, flags);
#ifdef RV_HAVE_VHOST_TASK
	if (dev->vtsk && !dev->worker_dead)
		vhost_task_wake(dev->vtsk);
#else
	if (dev->worker)
		wake_up_process(dev->worker);
#endif
	spin_unlock_irqrestore(&dev->worker_lock, flags);
}

void rv_worker_queue(struct rv_dev *dev, unsigned long bit)
{
	set_bit(bit, &dev->pending);
	rv_worker_wake(dev);
}

#ifdef RV_HAVE_VHOST_TASK

static bool rv_vtask_fn(void *data)
{
	return rv_worker_pass(data);
}

/*
 * The owner's process got SIGKILL: the thread is exiting and may be reaped
 * before release, so nothing may wake it from now on.
 */
static void rv_vtask_killed(void *data)
{
	struct rv_dev *dev = data;
	unsigned long flags;

	spin_lock_irqsave(&dev->worker_lock, flags);
	dev->worker_dead = true;
	spin_unlock_irqrestore(&dev->worker_lock, flags);
}

int rv_worker_start(struct rv_dev *dev)
{
	char name[TASK_COMM_LEN];
	struct vhost_task *vtsk;

	snprintf(name, sizeof(name), "ringvm-vhost-%d", current->pid);
	vtsk = vhost_task_create(rv_vtask_fn, rv_vtask_killed, dev, name);
	if (IS_ERR_OR_NULL(vtsk))
		return vtsk ? PTR_ERR(vtsk) : -ENOMEM;
	dev->vtsk = vtsk;
	vhost_task_start(vtsk);
	return 0;
}

void rv_worker_stop(struct rv_dev *dev)
{
	struct vhost_task *vtsk = dev->vtsk;
	unsigned long flags;

	if (!vtsk)
		return;
	spin_lock_irqsave(&dev->worker_lock, flags);
	dev->vtsk = NULL;
	spin_unlock_irqrestore(&dev->worker_lock, flags);
	vhost_task_stop(vtsk);
}

#else /* !RV_HAVE_VHOST_TASK */

static int rv_worker_fn(void *data)
{
	struct rv_dev *dev = data;
	const struct cred *old;

	kthread_use_mm(dev->mm);
	old = override_creds(dev->owner_cred);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (!rv_worker_pass(dev))
			schedule();
	}
	revert_creds(old);
	kthread_unuse_mm(dev->mm);
	return 0;
}

int rv_worker_start(struct rv_dev *dev)
{
	struct task_struct *t;
	int r;

	dev->owner_cred = get_current_cred();
	t = kthread_create(rv_worker_fn, dev, "ringvm-vhost-%d", current->pid);
	if (IS_ERR(t)) {
		r = PTR_ERR(t);
		goto err;
	}
	/* Before its first run, so that none of its work escapes the limits. */
	r = cgroup_attach_task_all(current, t);
	if (r) {
		kthread_stop(t);
		goto err;
	}
	dev->worker = t;
	wake_up_process(t);
	return 0;
err:
	put_cred(dev->owner_cred);
	dev->owner_cred = NULL;
	return r;
}

void rv_worker_stop(struct rv_dev *dev)
{
	struct task_struct *t = dev->worker;
	unsigned long flags;

	if (!t)
		return;
	spin_lock_irqsave(&dev->worker_lock, flags);
	dev->worker = NULL;
	spin_unlock_irqrestore(&dev->worker_lock, flags);
	kthread_stop(t);
	put_cred(dev->owner_cred);
	dev->owner_cred = NULL;
}

#endif /* RV_HAVE_VHOST_TASK */

static int rv_poll_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			  int sync, void *key)
{
	struct rv_poll *p = container_of(wait, struct rv_poll, wait);
	__poll_t mask = key_to_poll(key);

	if (mask && !(mask & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return 0;
	if (p->counter) {
		atomic64_inc(p->counter);
		trace_kick(p->dev->id, p->bit);
	}
	rv_worker_queue(p->dev, p->bit);
	return 0;
}

static void rv_poll_queue(struct file *file, wait_queue_head_t *wqh,
			  poll_table *pt)
{
	struct rv_poll *p = container_of(pt, struct rv_poll, table);

	/*
	 * One entry links into one queue: adding it to a second would corrupt
	 * both lists (a pty's poll registers two).  Such a file is refused.
	 */
	if (p->wqh) {
		p->refused = true;
		return;
	}
	p->wqh = wqh;
	add_wait_queue(wqh, &p->wait);
}

void rv_poll_init(struct rv_poll *p, struct rv_dev *dev, unsigned long bit,
		  atomic64_t *counter)
{
	p->dev = dev;
	p->bit = bit;
	p->counter = counter;
	p->wqh = NULL;
	p->refused = false;
	init_waitqueue_func_entry(&p->wait, rv_poll_wakeup);
	init_poll_funcptr(&p->table, rv_poll_queue);
}

/* -EINVAL for a file that waits on more than one queue. */
int rv_poll_start(struct rv_poll *p, struct file *file)
{
	__poll_t mask;

	p->refused = false;
	mask = vfs_poll(file, &p->table);
	if (p->refused) {
		rv_poll_stop(p);
		return -EINVAL;
	}
	/* Readiness from before we listened would otherwise go unnoticed. */
	if (mask & EPOLLIN)
		rv_worker_queue(p->dev, p->bit);
	return 0;
}

void rv_poll_stop(struct rv_poll *p)
{
	if (p->wqh) {
		remove_wait_queue(p->wqh, &p->wait);
		p->wqh = NULL;
	}
}
