// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfds: guest MMIO writes that only need to wake someone (a virtqueue
 * doorbell served by ringvm_vhost) signal an eventfd from the exit handler
 * and the guest goes on, instead of a round trip through the VMM.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>

#include "compat.h"
#include "vm.h"

struct ringvm_ioeventfd_entry {
	struct list_head link;
	u64 addr;
	u64 datamatch;
	u32 len;
	bool match;
	struct eventfd_ctx *ctx;
};

static u64 len_mask(u32 len)
{
	return len == 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

static bool same(const struct ringvm_ioeventfd_entry *e, const struct ringvm_ioeventfd *a)
{
	bool match = a->flags & RINGVM_IOEVENTFD_FLAG_DATAMATCH;

	return e->addr == a->addr && e->len == a->len && e->match == match &&
	       (!match || e->datamatch == (a->datamatch & len_mask(a->len)));
}

static int deassign(struct ringvm_vm *vm, const struct ringvm_ioeventfd *a,
		    struct eventfd_ctx *ctx)
{
	struct ringvm_ioeventfd_entry *e;

	list_for_each_entry(e, &vm->ioeventfds, link) {
		if (e->ctx == ctx && same(e, a)) {
			list_del(&e->link);
			vm->nr_ioeventfds--;
			eventfd_ctx_put(e->ctx);
			kfree(e);
			return 0;
		}
	}
	return -ENOENT;
}

int ringvm_ioeventfd(struct ringvm_vm *vm, const struct ringvm_ioeventfd *a)
{
	struct ringvm_ioeventfd_entry *e;
	struct eventfd_ctx *ctx;
	int r = 0;

	if (a->flags & ~(u32)(RINGVM_IOEVENTFD_FLAG_DATAMATCH | RINGVM_IOEVENTFD_FLAG_DEASSIGN) ||
	    memchr_inv(a->pad, 0, sizeof(a->pad)))
		return -EINVAL;
	if ((a->len != 1 && a->len != 2 && a->len != 4 && a->len != 8) ||
	    a->addr + a->len < a->addr)
		return -EINVAL;
	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->ioeventfd_lock);
	if (a->flags & RINGVM_IOEVENTFD_FLAG_DEASSIGN) {
		r = deassign(vm, a, ctx);
		goto out;
	}
	list_for_each_entry(e, &vm->ioeventfds, link) {
		if (same(e, a)) {
			r = -EEXIST;
			goto out;
		}
	}
	if (vm->nr_ioeventfds >= RINGVM_MAX_IOEVENTFDS) {
		r = -ENOSPC;
		goto out;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		r = -ENOMEM;
		goto out;
	}
	e->addr = a->addr;
	e->len = a->len;
	e->match = a->flags & RINGVM_IOEVENTFD_FLAG_DATAMATCH;
	e->datamatch = a->datamatch & len_mask(a->len);
	e->ctx = ctx;
	ctx = NULL;	/* the entry holds the reference now */
	list_add_tail(&e->link, &vm->ioeventfds);
	vm->nr_ioeventfds++;
out:
	mutex_unlock(&vm->ioeventfd_lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	return r;
}

bool ringvm_ioeventfd_write(struct ringvm_vm *vm, u64 addr, u32 len, u64 val)
{
	struct ringvm_ioeventfd_entry *e;
	bool hit = false;

	if (!READ_ONCE(vm->nr_ioeventfds))
		return false;
	mutex_lock(&vm->ioeventfd_lock);
	list_for_each_entry(e, &vm->ioeventfds, link) {
		if (e->addr == addr && e->len == len &&
		    (!e->match || e->datamatch == (val & len_mask(len)))) {
			ringvm_eventfd_signal(e->ctx);
			hit = true;
			break;
		}
	}
	mutex_unlock(&vm->ioeventfd_lock);
	return hit;
}

void ringvm_ioeventfd_free_all(struct ringvm_vm *vm)
{
	struct ringvm_ioeventfd_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &vm->ioeventfds, link) {
		list_del(&e->link);
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
	vm->nr_ioeventfds = 0;
}
