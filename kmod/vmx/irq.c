// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's in-kernel irqchip (RINGVM_CREATE_IRQCHIP): the vendor-neutral
 * PIC pair, I/O APIC and APIC bus of kmod/irqchip/, their ops, and the
 * interrupt sources that drive GSIs.
 *
 * A GSI's level is the OR of its sources' levels, as KVM's irq_source_id:
 * RINGVM_IRQ_LINE is source 0, and each irqfd resampler or device model
 * that needs a line of its own allocates one, so that one source lowering
 * its line does not lower another's.
 *
 * Lock order: vm->lock, then irq->lock, then the PIC's or the I/O APIC's
 * lock; the local APICs below them have none of their own (atomic
 * bitops), but a kick takes the vCPU's wait-queue lock, innermost.
 */
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "apicv.h"
#include "capabilities.h"
#include "irq.h"
#include "vm.h"

#define RINGVM_IRQ_SOURCES	BITS_PER_LONG
#define RINGVM_IRQ_LINE_SOURCE	0

static struct ringvm_irq *to_irq(struct rv_irqchip *chip)
{
	return ringvm_to_irq(chip);
}

struct rv_irqchip *ringvm_vm_irqchip(struct ringvm_vm *vm)
{
	/* Pairs with ringvm_create_irqchip(): the chip before its pointer. */
	return smp_load_acquire(&vm->irqchip);
}

/* The master PIC's INT moved: the vCPUs that take ExtINT look again. */
static void pic_output(void *ctx)
{
	ringvm_lapic_kick_extint(ctx);
}

static int ioapic_deliver(void *ctx, const struct rv_apic_msg *msg)
{
	struct ringvm_irq *irq = ctx;

	return rv_irqchip_deliver(&irq->chip, msg, NULL);
}

/* EOIs of level inputs: where resampled irqfds lower their lines (irqfd.c). */
static void pic_acked(void *ctx, unsigned int pin)
{
	struct ringvm_irq *irq = ctx;

	ringvm_irqfd_acked(irq->vm, pin < 8 ? RV_IRQCHIP_PIC_MASTER : RV_IRQCHIP_PIC_SLAVE,
			   pin % 8);
}

static void ioapic_acked(void *ctx, unsigned int pin)
{
	struct ringvm_irq *irq = ctx;

	ringvm_irqfd_acked(irq->vm, RV_IRQCHIP_IOAPIC, pin);
}

static const struct rv_pic_ops pic_ops = {
	.output = pic_output,
	.acked = pic_acked,
};

static const struct rv_ioapic_ops ioapic_ops = {
	.deliver = ioapic_deliver,
	.acked = ioapic_acked,
};

/*
 * RINGVM_CREATE_IRQCHIP.  As KVM: once per VM (-EEXIST), and only before
 * the first vCPU (-EINVAL), which would otherwise have no local APIC.
 */
static int ringvm_create_irqchip(struct ringvm_vm *vm)
{
	struct rv_routing *routing;
	struct ringvm_irq *irq;
	int r;

	/*
	 * Without virtual NMIs, NMI blocking would last until the next exit
	 * after the guest's IRET, and an interrupt window asked for meanwhile
	 * exits on every entry: the vCPU would spin.  KVM no longer runs on
	 * such CPUs either; CAP_IRQCHIP reads 0 there.
	 */
	if (!vmx_caps.virtual_nmis)
		return -ENXIO;

	irq = kzalloc(sizeof(*irq), GFP_KERNEL_ACCOUNT);
	if (!irq)
		return -ENOMEM;
	routing = rv_routing_default();
	if (IS_ERR(routing)) {
		kfree(irq);
		return PTR_ERR(routing);
	}
	r = ringvm_apicv_vm_init(irq);
	if (r) {
		rv_routing_free(routing);
		kfree(irq);
		return r;
	}
	irq->vm = vm;
	spin_lock_init(&irq->lock);
	irq->sources = BIT(RINGVM_IRQ_LINE_SOURCE);
	rv_irqchip_init(&irq->chip, &pic_ops, &ioapic_ops, irq, routing);

	mutex_lock(&vm->lock);
	if (vm->irqchip)
		r = -EEXIST;
	else if (vm->vcpus_created)
		r = -EINVAL;
	else
		r = 0;
	if (!r) {
		/* Pairs with ringvm_vm_irqchip(): readers see the chip initialised. */
		smp_store_release(&vm->irqchip, &irq->chip);
	}
	mutex_unlock(&vm->lock);
	if (r) {
		ringvm_apicv_vm_free(irq);
		rv_routing_free(routing);
		kfree(irq);
	}
	return r;
}

/* At VM destruction: no vCPU and no file is left to reach the chip. */
void ringvm_irqchip_destroy(struct ringvm_vm *vm)
{
	struct rv_irqchip *chip = vm->irqchip;

	if (!chip)
		return;
	ringvm_lapics_free(to_irq(chip));
	ringvm_apicv_vm_free(to_irq(chip));
	rv_routing_free(rcu_dereference_protected(chip->routing, true));
	vm->irqchip = NULL;
	kfree(to_irq(chip));
}

int ringvm_irq_source_alloc(struct ringvm_vm *vm)
{
	struct rv_irqchip *chip = ringvm_vm_irqchip(vm);
	struct ringvm_irq *irq;
	int id;

	if (!chip)
		return -ENXIO;
	irq = to_irq(chip);
	spin_lock(&irq->lock);
	id = find_first_zero_bit(&irq->sources, RINGVM_IRQ_SOURCES);
	if (id < RINGVM_IRQ_SOURCES)
		__set_bit(id, &irq->sources);
	else
		id = -ENOSPC;
	spin_unlock(&irq->lock);
	return id;
}

/*
 * Give source @id back; every GSI it still asserts drops its share, and
 * a GSI no other source holds up goes low.
 */
void ringvm_irq_source_free(struct ringvm_vm *vm, int id)
{
	struct rv_irqchip *chip = ringvm_vm_irqchip(vm);
	struct ringvm_irq *irq;
	u32 gsi;

	if (!chip || id <= RINGVM_IRQ_LINE_SOURCE || id >= RINGVM_IRQ_SOURCES)
		return;
	irq = to_irq(chip);
	spin_lock(&irq->lock);
	for (gsi = 0; gsi < RV_IRQCHIP_MAX_GSI; gsi++) {
		if (!test_bit(id, &irq->level[gsi]))
			continue;
		__clear_bit(id, &irq->level[gsi]);
		if (!irq->level[gsi])
			rv_irqchip_set_irq(chip, gsi, false);
	}
	__clear_bit(id, &irq->sources);
	spin_unlock(&irq->lock);
}

/*
 * Source @source_id sets its level of @gsi; the GSI's routes see the OR
 * of all sources.  Returns what RINGVM_IRQ_LINE_STATUS reports (> 0
 * delivered, 0 coalesced, -1 masked or not routed), or -ENXIO without an
 * irqchip, -EINVAL for a GSI past the routing range or a source not
 * allocated.
 *
 * Never sleeps: it may be called with a spinlock held and interrupts on,
 * but not from hard-interrupt context, nor with interrupts off, since
 * the controllers' locks are not IRQ-safe (an irqfd woken from a hard
 * interrupt defers to a workqueue, as KVM's does).
 */
int ringvm_irq_set(struct ringvm_vm *vm, int source_id, u32 gsi, bool level)
{
	struct rv_irqchip *chip = ringvm_vm_irqchip(vm);
	struct ringvm_irq *irq;
	int r;

	if (!chip)
		return -ENXIO;
	if (gsi >= RV_IRQCHIP_MAX_GSI || source_id < 0 || source_id >= RINGVM_IRQ_SOURCES)
		return -EINVAL;
	irq = to_irq(chip);
	spin_lock(&irq->lock);
	if (!test_bit(source_id, &irq->sources)) {
		spin_unlock(&irq->lock);
		return -EINVAL;
	}
	if (level)
		__set_bit(source_id, &irq->level[gsi]);
	else
		__clear_bit(source_id, &irq->level[gsi]);
	r = rv_irqchip_set_irq(chip, gsi, irq->level[gsi] != 0);
	spin_unlock(&irq->lock);
	return r;
}

/*
 * An edge on @gsi from atomic context (an irqfd's wakeup), for a GSI whose
 * routes are all MSI: no source level and no controller lock is involved.
 * -EWOULDBLOCK when that is not so (a pin route, or no irqchip yet): the
 * caller goes through ringvm_irq_set() from process context instead.  A
 * GSI past the routing table routes nowhere (rv_irqchip_set_msi_inatomic).
 */
int ringvm_irq_set_msi_inatomic(struct ringvm_vm *vm, u32 gsi)
{
	struct rv_irqchip *chip = ringvm_vm_irqchip(vm);

	if (!chip)
		return -EWOULDBLOCK;
	return rv_irqchip_set_msi_inatomic(chip, gsi);
}

static int irq_line(struct ringvm_vm *vm, void __user *argp, bool status)
{
	struct ringvm_irq_level il;
	int r;

	if (copy_from_user(&il, argp, sizeof(il)))
		return -EFAULT;
	r = ringvm_irq_set(vm, RINGVM_IRQ_LINE_SOURCE, il.irq, il.level != 0);
	if (r < -1)
		return r;
	if (!status)
		return 0;
	il.status = r;
	return copy_to_user(argp, &il, sizeof(il)) ? -EFAULT : 0;
}

static void pic_to_user(const struct rv_8259 *c, struct ringvm_pic_state *s)
{
	s->last_irr = c->line;
	s->irr = c->irr;
	s->imr = c->imr;
	s->isr = c->isr;
	s->priority_add = c->highest;
	s->irq_base = c->vector_base;
	s->read_reg_select = c->read_isr;
	s->poll = c->poll;
	s->special_mask = c->special_mask;
	s->init_state = c->init_step;
	s->auto_eoi = c->auto_eoi;
	s->rotate_on_auto_eoi = c->rotate_on_aeoi;
	s->special_fully_nested_mode = c->sfnm;
	s->init4 = c->icw4_needed;
	s->elcr = c->elcr;
	s->elcr_mask = c->elcr_mask;
}

static int pic_from_user(const struct ringvm_pic_state *s, struct rv_8259 *c)
{
	/* Flags are booleans, the rest in the ranges the model keeps. */
	if (s->priority_add > 7 || s->init_state > 3 || (s->irq_base & 7) ||
	    s->read_reg_select > 1 || s->poll > 1 || s->special_mask > 1 ||
	    s->auto_eoi > 1 || s->rotate_on_auto_eoi > 1 ||
	    s->special_fully_nested_mode > 1 || s->init4 > 1)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->line = s->last_irr;
	c->irr = s->irr;
	c->imr = s->imr;
	c->isr = s->isr;
	c->highest = s->priority_add;
	c->vector_base = s->irq_base;
	c->read_isr = s->read_reg_select;
	c->poll = s->poll;
	c->special_mask = s->special_mask;
	c->init_step = s->init_state;
	c->auto_eoi = s->auto_eoi;
	c->rotate_on_aeoi = s->rotate_on_auto_eoi;
	c->sfnm = s->special_fully_nested_mode;
	c->icw4_needed = s->init4;
	c->elcr = s->elcr;
	return 0;
}

static int get_irqchip(struct rv_irqchip *chip, void __user *argp)
{
	struct ringvm_irqchip *u;
	struct rv_ioapic *io;
	struct rv_8259 c;
	int r = 0;

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (!u || !io) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(&u->chip_id, argp, sizeof(u->chip_id))) {
		r = -EFAULT;
		goto out;
	}
	switch (u->chip_id) {
	case RINGVM_IRQCHIP_PIC_MASTER:
	case RINGVM_IRQCHIP_PIC_SLAVE:
		rv_pic_save(&chip->pic, u->chip_id, &c);
		pic_to_user(&c, &u->chip.pic);
		break;
	case RINGVM_IRQCHIP_IOAPIC:
		rv_ioapic_save(&chip->ioapic, io);
		u->chip.ioapic.base_address = io->base;
		u->chip.ioapic.ioregsel = io->ioregsel;
		u->chip.ioapic.id = io->id;
		u->chip.ioapic.irr = io->line;
		BUILD_BUG_ON(sizeof(u->chip.ioapic.redirtbl) != sizeof(io->redir));
		memcpy(u->chip.ioapic.redirtbl, io->redir, sizeof(io->redir));
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (copy_to_user(argp, u, sizeof(*u)))
		r = -EFAULT;
out:
	kfree(io);
	kfree(u);
	return r;
}

static int set_irqchip(struct rv_irqchip *chip, void __user *argp)
{
	struct ringvm_irqchip *u;
	struct rv_ioapic *io;
	struct rv_8259 c;
	int r = 0;

	u = memdup_user(argp, sizeof(*u));
	if (IS_ERR(u))
		return PTR_ERR(u);
	switch (u->chip_id) {
	case RINGVM_IRQCHIP_PIC_MASTER:
	case RINGVM_IRQCHIP_PIC_SLAVE:
		r = pic_from_user(&u->chip.pic, &c);
		if (!r)
			rv_pic_restore(&chip->pic, u->chip_id, &c);
		break;
	case RINGVM_IRQCHIP_IOAPIC:
		/* Anywhere in the guest-physical space, register-window aligned. */
		if ((u->chip.ioapic.base_address & (RV_IOAPIC_SIZE - 1)) ||
		    u->chip.ioapic.base_address >> 52) {
			r = -EINVAL;
			break;
		}
		io = kzalloc(sizeof(*io), GFP_KERNEL);
		if (!io) {
			r = -ENOMEM;
			break;
		}
		io->base = u->chip.ioapic.base_address;
		io->ioregsel = u->chip.ioapic.ioregsel;
		io->id = u->chip.ioapic.id;
		io->line = u->chip.ioapic.irr;
		memcpy(io->redir, u->chip.ioapic.redirtbl, sizeof(io->redir));
		rv_ioapic_restore(&chip->ioapic, io);
		kfree(io);
		break;
	default:
		r = -EINVAL;
	}
	kfree(u);
	return r;
}

/* The VM ioctls of the irqchip; -ENOTTY for any other. */
long ringvm_irq_ioctl(struct ringvm_vm *vm, unsigned int ioctl, void __user *argp)
{
	struct rv_irqchip *chip;

	if (ioctl == RINGVM_CREATE_IRQCHIP)
		return ringvm_create_irqchip(vm);

	switch (ioctl) {
	case RINGVM_IRQ_LINE:
	case RINGVM_IRQ_LINE_STATUS:
	case RINGVM_GET_IRQCHIP:
	case RINGVM_SET_IRQCHIP:
		break;
	default:
		return -ENOTTY;
	}
	chip = ringvm_vm_irqchip(vm);
	if (!chip)
		return -ENXIO;
	switch (ioctl) {
	case RINGVM_IRQ_LINE:
		return irq_line(vm, argp, false);
	case RINGVM_IRQ_LINE_STATUS:
		return irq_line(vm, argp, true);
	case RINGVM_GET_IRQCHIP:
		return get_irqchip(chip, argp);
	default:
		return set_irqchip(chip, argp);
	}
}
