// SPDX-License-Identifier: GPL-2.0
/*
 * RINGVM_SET_GSI_ROUTING and RINGVM_SIGNAL_MSI: the VMM's view of the
 * irqchip's GSI routing table.
 *
 * Readers of the table (rv_irqchip_set_irq) run under rcu_read_lock(),
 * possibly in atomic context; an update builds a whole new table,
 * publishes it, and frees the old one only after synchronize_rcu(), so
 * no reader is left holding it.  Updates are serialised by vm->lock.
 */
#include <linux/errno.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../irqchip/irqchip.h"
#include "vm.h"

static int route_from_user(const struct ringvm_irq_routing_entry *e, struct rv_route *r)
{
	/* Reserved fields must be zero so that they can be given a meaning later. */
	if (e->flags || e->pad)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->gsi = e->gsi;
	switch (e->type) {
	case RINGVM_IRQ_ROUTING_IRQCHIP:
		r->type = RV_ROUTE_IRQCHIP;
		r->irqchip.chip = e->u.irqchip.irqchip;
		r->irqchip.pin = e->u.irqchip.pin;
		return 0;
	case RINGVM_IRQ_ROUTING_MSI:
		if (e->u.msi.pad)
			return -EINVAL;
		r->type = RV_ROUTE_MSI;
		r->msi.address = (u64)e->u.msi.address_hi << 32 | e->u.msi.address_lo;
		r->msi.data = e->u.msi.data;
		return 0;
	default:
		return -EINVAL;
	}
}

static int set_gsi_routing(struct ringvm_vm *vm, struct rv_irqchip *chip,
			   struct ringvm_irq_routing __user *argp)
{
	struct ringvm_irq_routing_entry *entries = NULL;
	struct rv_routing *t, *old;
	struct rv_route *routes;
	struct ringvm_irq_routing hdr;
	u32 i;
	int r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags || hdr.nr > RINGVM_MAX_IRQ_ROUTES)
		return -EINVAL;
	routes = kvcalloc(max(hdr.nr, 1U), sizeof(*routes), GFP_KERNEL_ACCOUNT);
	if (!routes)
		return -ENOMEM;
	if (hdr.nr) {
		entries = vmemdup_user(argp->entries, array_size(hdr.nr, sizeof(*entries)));
		if (IS_ERR(entries)) {
			r = PTR_ERR(entries);
			entries = NULL;
			goto out;
		}
	}
	for (i = 0; i < hdr.nr; i++) {
		r = route_from_user(&entries[i], &routes[i]);
		if (r)
			goto out;
	}
	t = rv_routing_build(routes, hdr.nr);
	if (IS_ERR(t)) {
		r = PTR_ERR(t);
		goto out;
	}
	mutex_lock(&vm->lock);
	old = rv_irqchip_swap_routing(chip, t);
	mutex_unlock(&vm->lock);
	/* Every reader that may still see @old is gone after this. */
	synchronize_rcu();
	rv_routing_free(old);
	r = 0;
out:
	kvfree(entries);
	kvfree(routes);
	return r;
}

/*
 * One MSI, as a device model would send it.  Returns the number of local
 * APICs that accepted it (0 when none did); -EINVAL for reserved fields
 * or an address or delivery mode no MSI may have.
 */
static int signal_msi(struct rv_irqchip *chip, const void __user *argp)
{
	struct ringvm_msi msi;
	int r;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (msi.flags || msi.devid || memchr_inv(msi.pad, 0, sizeof(msi.pad)))
		return -EINVAL;
	r = rv_irqchip_signal_msi(chip, (u64)msi.address_hi << 32 | msi.address_lo, msi.data);
	/* "No APIC took it" is not a failure of the ioctl. */
	return r < 0 && r != -EINVAL ? 0 : r;
}

/* The VM ioctls of the routing table; -ENOTTY for any other. */
long ringvm_routing_ioctl(struct ringvm_vm *vm, unsigned int ioctl, void __user *argp)
{
	struct rv_irqchip *chip;

	if (ioctl != RINGVM_SET_GSI_ROUTING && ioctl != RINGVM_SIGNAL_MSI)
		return -ENOTTY;
	chip = ringvm_vm_irqchip(vm);
	if (!chip)
		return -ENXIO;
	if (ioctl == RINGVM_SET_GSI_ROUTING)
		return set_gsi_routing(vm, chip, argp);
	return signal_msi(chip, argp);
}
