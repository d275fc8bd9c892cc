// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device worker: a kthread in the owner's mm, woken by wait-queue
 * callbacks on the kick eventfds (and the tap), serving each pending queue
 * for one bounded batch per pass so that no queue starves another.
 */
#include <linux/kthread.h>
#include <linux/sched/mm.h>

#include "vhost.h"
#include "trace.h"

void rv_worker_queue(struct rv_dev *dev, unsigned long bit)
{
	set_bit(bit, &dev->pending);
	wake_up_process(dev->worker);
}

static int rv_worker_fn(void *data)
{
	struct rv_dev *dev = data;

	kthread_use_mm(dev->mm);
	for (;;) {
		unsigned long work, bit;

		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		work = xchg(&dev->pending, 0);
		if (!work) {
			schedule();
			continue;
		}
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
	}
	kthread_unuse_mm(dev->mm);
	return 0;
}

int rv_worker_start(struct rv_dev *dev)
{
	struct task_struct *t;

	t = kthread_create(rv_worker_fn, dev, "ringvm-vhost-%d", current->pid);
	if (IS_ERR(t))
		return PTR_ERR(t);
	dev->worker = t;
	wake_up_process(t);
	return 0;
}

void rv_worker_stop(struct rv_dev *dev)
{
	if (dev->worker) {
		kthread_stop(dev->worker);
		dev->worker = NULL;
	}
}

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
