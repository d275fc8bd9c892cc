// SPDX-License-Identifier: GPL-2.0
/*
 * RINGVM_IRQFD: an eventfd that raises a GSI when anyone signals it (the
 * vhost worker, the passthrough broker's interrupt handler, the VMM), so
 * the interrupt reaches the guest without the VMM running.  KVM_IRQFD's
 * semantics:
 *
 * - The GSI goes through the VM's routing table as it is when the signal
 *   is delivered: an irqchip pin gets an edge (assert, de-assert), an MSI
 *   route its message.  Routes may change while irqfds fire; routing.c
 *   swaps the table under RCU, and ringvm_irq_set() reads it so.
 * - RESAMPLE (level-triggered INTx): the line stays asserted until the
 *   guest EOIs the pin; then the line is lowered and resamplefd signalled,
 *   and the source signals again if it still wants service.  All resampled
 *   irqfds of one GSI share a resampler, whose own interrupt source keeps
 *   the line up independently of RINGVM_IRQ_LINE and of other sources.
 * - The eventfd's wakeup can come from any context, hard interrupts
 *   included.  A GSI routed to MSIs only is delivered there and then:
 *   an MSI takes no controller lock (the APICs accept with atomic bitops;
 *   the kick takes only the target's IRQ-safe wait-queue lock), so the
 *   interrupt reaches the vCPU without a worker's wakeup in between
 *   (KVM's kvm_arch_set_irq_inatomic).  The pin controllers' locks are
 *   not IRQ-safe, so a GSI with a pin route, and every resampled irqfd,
 *   queues the injection on a workqueue.  Module parameter
 *   irqfd_inatomic=0 sends everything that way (to compare the two,
 *   Documentation/irqchip.rst); the work sends an MSI-only GSI's message
 *   the same way, once.
 * - The irqfd lives until DEASSIGN, until the eventfd is closed (POLLHUP)
 *   or until the VM goes away, whichever comes first; each of them queues
 *   the same shutdown, which unhooks it from the eventfd (serialised with
 *   the wakeup by the eventfd's own lock), waits for a queued injection,
 *   and frees it.
 *
 * Locks: vm->irqfds.assign_lock (mutex) serialises assign, deassign and
 * release; vm->irqfds.lock (spinlock, taken in the wakeup under the
 * eventfd's wait-queue lock) guards the list; vm->irqfds.resampler_lock
 * (mutex, inside assign_lock, alone in the shutdown work) the resamplers,
 * which the EOI path walks under RCU.  Nobody flushes the workqueue while
 * holding a mutex the work takes.  Under the eventfd's wait-queue lock the
 * wakeup takes, for an MSI, each target vCPU's wait-queue lock (vlapic.c
 * kick) and the scheduler's; nothing signals an eventfd holding those.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "irq.h"
#include "vm.h"

/* One per GSI with resampled irqfds; its source holds the line up. */
struct ringvm_resampler {
	struct ringvm_vm *vm;
	struct list_head link;		/* vm->irqfds.resamplers, RCU */
	struct list_head irqfds;	/* its irqfds, RCU */
	u32 gsi;
	int source_id;
};

struct rv_irqfd {
	struct ringvm_vm *vm;
	struct eventfd_ctx *eventfd;
	u32 gsi;
	struct ringvm_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resampler_link;	/* resampler->irqfds, RCU */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;
	struct list_head link;		/* vm->irqfds.items while active */
};

static struct workqueue_struct *irqfd_wq;

static bool irqfd_inatomic = true;
module_param(irqfd_inatomic, bool, 0444);
MODULE_PARM_DESC(irqfd_inatomic,
		 "Deliver an irqfd on an MSI-only GSI from the eventfd's wakeup, without a worker");

static void irqfd_inject(struct work_struct *work)
{
	struct rv_irqfd *irqfd = container_of(work, struct rv_irqfd, inject);
	struct ringvm_vm *vm = irqfd->vm;

	if (irqfd->resampler) {
		ringvm_irq_set(vm, irqfd->resampler->source_id, irqfd->gsi, true);
		return;
	}
	/*
	 * An MSI-only GSI gets its message once, as from the wakeup, whatever
	 * levels other sources hold on it; otherwise an edge: a pin sees it,
	 * an MSI route delivers on the rising half.
	 */
	if (ringvm_irq_set_msi_inatomic(vm, irqfd->gsi) != -EWOULDBLOCK)
		return;
	ringvm_irq_set(vm, vm->irqfds.source_id, irqfd->gsi, true);
	ringvm_irq_set(vm, vm->irqfds.source_id, irqfd->gsi, false);
}

/* The last resampled irqfd of a GSI leaving takes its resampler along. */
static void resampler_detach(struct rv_irqfd *irqfd)
{
	struct ringvm_resampler *r = irqfd->resampler;
	struct ringvm_vm *vm = irqfd->vm;

	mutex_lock(&vm->irqfds.resampler_lock);
	list_del_rcu(&irqfd->resampler_link);
	synchronize_rcu();
	if (list_empty(&r->irqfds)) {
		list_del_rcu(&r->link);
		synchronize_rcu();
		/* Drops the line if it was up (ringvm_irq_source_free). */
		ringvm_irq_source_free(vm, r->source_id);
		kfree(r);
	}
	mutex_unlock(&vm->irqfds.resampler_lock);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct rv_irqfd *irqfd = container_of(work, struct rv_irqfd, shutdown);
	u64 cnt;

	/* After this no wakeup runs for us: it is called under the same lock. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	flush_work(&irqfd->inject);
	if (irqfd->resampler) {
		resampler_detach(irqfd);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

/* Under vm->irqfds.lock: off the list, and its shutdown queued, once. */
static void irqfd_deactivate(struct rv_irqfd *irqfd)
{
	if (list_empty(&irqfd->link))
		return;
	list_del_init(&irqfd->link);
	queue_work(irqfd_wq, &irqfd->shutdown);
}

/* The eventfd's wait-queue callback: its lock held, any context. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct rv_irqfd *irqfd = container_of(wait, struct rv_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct ringvm_vm *vm = irqfd->vm;
	unsigned long irqflags;

	if (flags & EPOLLIN) {
		u64 cnt;

		/* Consume the count, so a level poll does not see it again. */
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		if (irqfd->resampler || !irqfd_inatomic ||
		    ringvm_irq_set_msi_inatomic(vm, irqfd->gsi) == -EWOULDBLOCK)
			queue_work(irqfd_wq, &irqfd->inject);
	}
	if (flags & EPOLLHUP) {
		/* The eventfd is going away: so does the irqfd. */
		spin_lock_irqsave(&vm->irqfds.lock, irqflags);
		irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->irqfds.lock, irqflags);
	}
	return 0;
}

static void irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct rv_irqfd *irqfd = container_of(pt, struct rv_irqfd, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

/* The GSI's resampler, made on first use; vm->irqfds.resampler_lock held. */
static struct ringvm_resampler *resampler_get(struct ringvm_vm *vm, u32 gsi)
{
	struct ringvm_resampler *r;

	list_for_each_entry(r, &vm->irqfds.resamplers, link)
		if (r->gsi == gsi)
			return r;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->source_id = ringvm_irq_source_alloc(vm);
	if (r->source_id < 0) {
		int err = r->source_id;

		kfree(r);
		return ERR_PTR(err);
	}
	r->vm = vm;
	r->gsi = gsi;
	INIT_LIST_HEAD(&r->irqfds);
	list_add_rcu(&r->link, &vm->irqfds.resamplers);
	return r;
}

/*
 * Under vm->irqfds.assign_lock, so that a DEASSIGN or a VM release cannot
 * shut the irqfd down between its joining the list and its hooking into
 * the eventfd.
 */
static int irqfd_assign(struct ringvm_vm *vm, const struct ringvm_irqfd *args)
{
	struct rv_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;
	struct file *file;
	__poll_t events;
	int r;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->link);
	INIT_LIST_HEAD(&irqfd->resampler_link);
	INIT_WORK(&irqfd->inject, irqfd_inject);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);

	file = fget(args->fd);
	if (!file) {
		r = -EBADF;
		goto out_free;
	}
	eventfd = eventfd_ctx_fileget(file);
	if (IS_ERR(eventfd)) {
		r = PTR_ERR(eventfd);
		goto out_fput;
	}
	irqfd->eventfd = eventfd;

	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry(tmp, &vm->irqfds.items, link) {
		if (tmp->eventfd == eventfd) {
			spin_unlock_irq(&vm->irqfds.lock);
			r = -EBUSY;
			goto out_eventfd;
		}
	}
	spin_unlock_irq(&vm->irqfds.lock);

	if (args->flags & RINGVM_IRQFD_FLAG_RESAMPLE) {
		struct ringvm_resampler *rs;

		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(irqfd->resamplefd)) {
			r = PTR_ERR(irqfd->resamplefd);
			irqfd->resamplefd = NULL;
			goto out_eventfd;
		}
		mutex_lock(&vm->irqfds.resampler_lock);
		rs = resampler_get(vm, args->gsi);
		if (IS_ERR(rs)) {
			mutex_unlock(&vm->irqfds.resampler_lock);
			r = PTR_ERR(rs);
			goto out_resamplefd;
		}
		irqfd->resampler = rs;
		list_add_rcu(&irqfd->resampler_link, &rs->irqfds);
		mutex_unlock(&vm->irqfds.resampler_lock);
	} else if (vm->irqfds.source_id <= 0) {
		/* A source of their own, so their edges leave IRQ_LINE's levels alone. */
		r = ringvm_irq_source_alloc(vm);
		if (r < 0)
			goto out_eventfd;
		vm->irqfds.source_id = r;
	}

	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_ptable_queue_proc);
	spin_lock_irq(&vm->irqfds.lock);
	list_add_tail(&irqfd->link, &vm->irqfds.items);
	spin_unlock_irq(&vm->irqfds.lock);

	/* Hook into the eventfd; a signal already pending fires at once. */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		queue_work(irqfd_wq, &irqfd->inject);
	fput(file);
	return 0;

out_resamplefd:
	eventfd_ctx_put(irqfd->resamplefd);
out_eventfd:
	eventfd_ctx_put(eventfd);
out_fput:
	fput(file);
out_free:
	kfree(irqfd);
	return r;
}

static int irqfd_deassign(struct ringvm_vm *vm, const struct ringvm_irqfd *args)
{
	struct rv_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;
	int r = -ENOENT;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	mutex_lock(&vm->irqfds.assign_lock);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds.items, link) {
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi) {
			irqfd_deactivate(irqfd);
			r = 0;
		}
	}
	spin_unlock_irq(&vm->irqfds.lock);
	mutex_unlock(&vm->irqfds.assign_lock);
	eventfd_ctx_put(eventfd);
	/* As KVM: once DEASSIGN returns, no injection from it is pending. */
	flush_workqueue(irqfd_wq);
	return r;
}

int ringvm_irqfd(struct ringvm_vm *vm, const struct ringvm_irqfd *args)
{
	int r;

	if (args->flags & ~(RINGVM_IRQFD_FLAG_DEASSIGN | RINGVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args->flags & RINGVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, args);
	/* GSIs go through the in-kernel irqchip's routes. */
	if (!ringvm_vm_irqchip(vm))
		return -ENXIO;
	if (args->gsi >= RV_IRQCHIP_MAX_GSI)
		return -EINVAL;
	mutex_lock(&vm->irqfds.assign_lock);
	r = irqfd_assign(vm, args);
	mutex_unlock(&vm->irqfds.assign_lock);
	return r;
}

/*
 * The guest EOI'd a level-triggered input of @chip (RV_IRQCHIP_*): each
 * GSI routed to it with a resampler drops its line and tells its irqfds'
 * owners to look again.  From the controllers' acked callbacks, without
 * their locks, interrupts on: it does not sleep, but ringvm_irq_set() and
 * the eventfd take spinlock_t locks, which PREEMPT_RT makes sleeping ones
 * (a PIC's auto-EOI comes here from its INTA cycle, which vlapic.c runs
 * before it turns interrupts off for entry).
 */
void ringvm_irqfd_acked(struct ringvm_vm *vm, u32 chip, u32 pin)
{
	struct rv_irqchip *irqchip = ringvm_vm_irqchip(vm);
	struct ringvm_resampler *r;
	struct rv_irqfd *irqfd;
	const struct rv_routing *t;
	u32 i;

	lockdep_assert_irqs_enabled();
	if (!irqchip || list_empty_careful(&vm->irqfds.resamplers))
		return;
	rcu_read_lock();
	t = rcu_dereference(irqchip->routing);
	for (i = 0; t && i < t->nr_routes; i++) {
		const struct rv_route *e = &t->routes[i];

		if (e->type != RV_ROUTE_IRQCHIP || e->irqchip.chip != chip ||
		    e->irqchip.pin != pin)
			continue;
		list_for_each_entry_rcu(r, &vm->irqfds.resamplers, link) {
			if (r->gsi != e->gsi)
				continue;
			ringvm_irq_set(vm, r->source_id, r->gsi, false);
			list_for_each_entry_rcu(irqfd, &r->irqfds, resampler_link)
				ringvm_eventfd_signal(irqfd->resamplefd);
		}
	}
	rcu_read_unlock();
}

void ringvm_irqfd_vm_init(struct ringvm_vm *vm)
{
	mutex_init(&vm->irqfds.assign_lock);
	spin_lock_init(&vm->irqfds.lock);
	INIT_LIST_HEAD(&vm->irqfds.items);
	mutex_init(&vm->irqfds.resampler_lock);
	INIT_LIST_HEAD(&vm->irqfds.resamplers);
}

/* VM destruction, before the irqchip goes: every irqfd shut down and freed. */
void ringvm_irqfd_release(struct ringvm_vm *vm)
{
	struct rv_irqfd *irqfd, *tmp;

	mutex_lock(&vm->irqfds.assign_lock);
	spin_lock_irq(&vm->irqfds.lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds.items, link)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds.lock);
	mutex_unlock(&vm->irqfds.assign_lock);
	/* Shutdowns, and the injections they wait for, all done. */
	flush_workqueue(irqfd_wq);
}

int __init ringvm_irqfd_init(void)
{
	irqfd_wq = alloc_workqueue("ringvm-irqfd", WQ_UNBOUND, 0);
	return irqfd_wq ? 0 : -ENOMEM;
}

void ringvm_irqfd_exit(void)
{
	destroy_workqueue(irqfd_wq);
}
