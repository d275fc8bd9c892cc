// SPDX-License-Identifier: GPL-2.0
/*
 * The APIC bus and GSI routing: a GSI drives irqchip inputs (PIC and I/O
 * APIC pins) or an MSI, as its routes say; an APIC message reaches every
 * local APIC it addresses, or the one with the lowest processor priority
 * for lowest-priority delivery.
 *
 * The routing table is replaced whole and read under RCU, so interrupt
 * sources (irqfds firing from wakeups, vCPUs, the VMM) never wait for an
 * update; the updater waits for a grace period before freeing the old one.
 */
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "irqchip.h"

static int cmp_gsi(const void *a, const void *b)
{
	const struct rv_route *x = a, *y = b;

	return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

static bool route_valid(const struct rv_route *r)
{
	struct rv_apic_msg msg;

	if (r->gsi >= RV_IRQCHIP_MAX_GSI)
		return false;
	switch (r->type) {
	case RV_ROUTE_IRQCHIP:
		if (r->irqchip.chip == RV_IRQCHIP_IOAPIC)
			return r->irqchip.pin < RV_IOAPIC_PINS;
		return r->irqchip.chip <= RV_IRQCHIP_PIC_SLAVE && r->irqchip.pin < 8;
	case RV_ROUTE_MSI:
		/*
		 * All zeroes is a vector the guest has not programmed yet:
		 * VMMs route every MSI-X vector up front, so it is taken, and
		 * delivers nothing.
		 */
		if (!r->msi.address && !r->msi.data)
			return true;
		return rv_msi_to_msg(r->msi.address, r->msi.data, &msg);
	default:
		return false;
	}
}

/*
 * A routing table from @nr routes, or ERR_PTR(-EINVAL) when a route is
 * malformed (GSI past RV_IRQCHIP_MAX_GSI, unknown type or controller, pin
 * past the controller, MSI outside the window or with a refused delivery
 * mode), when a GSI drives the same controller twice, or when an MSI
 * shares its GSI with any other route: the rules KVM applies.
 */
struct rv_routing *rv_routing_build(const struct rv_route *routes, u32 nr)
{
	struct rv_routing *t;
	u32 i, nr_gsi = 0, g;
	size_t size;

	if (nr > RV_IRQCHIP_MAX_ROUTES)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < nr; i++) {
		if (!route_valid(&routes[i]))
			return ERR_PTR(-EINVAL);
		nr_gsi = max(nr_gsi, routes[i].gsi + 1);
	}
	size = struct_size(t, routes, nr) + (nr_gsi + 1) * sizeof(u32);
	t = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->nr_gsi = nr_gsi;
	t->nr_routes = nr;
	t->first = (u32 *)&t->routes[nr];
	memcpy(t->routes, routes, nr * sizeof(*routes));
	sort(t->routes, nr, sizeof(*routes), cmp_gsi, NULL);

	for (i = 0, g = 0; g <= nr_gsi; g++) {
		u32 start = i, chips = 0;

		t->first[g] = i;
		for (; i < nr && t->routes[i].gsi == g; i++) {
			const struct rv_route *r = &t->routes[i];

			if (r->type == RV_ROUTE_MSI) {
				if (i != start || (i + 1 < nr && t->routes[i + 1].gsi == g))
					goto invalid;
				continue;
			}
			if (chips & BIT(r->irqchip.chip))
				goto invalid;
			chips |= BIT(r->irqchip.chip);
		}
	}
	return t;

invalid:
	kvfree(t);
	return ERR_PTR(-EINVAL);
}

void rv_routing_free(struct rv_routing *t)
{
	kvfree(t);
}

/* KVM's default: GSIs 0-15 to the PIC pair and the I/O APIC, 16-23 to the I/O APIC. */
struct rv_routing *rv_routing_default(void)
{
	struct rv_route routes[16 * 2 + RV_IOAPIC_PINS - 16];
	u32 gsi, n = 0;

	memset(routes, 0, sizeof(routes));
	for (gsi = 0; gsi < RV_IOAPIC_PINS; gsi++) {
		routes[n].gsi = gsi;
		routes[n].type = RV_ROUTE_IRQCHIP;
		routes[n].irqchip.chip = RV_IRQCHIP_IOAPIC;
		routes[n++].irqchip.pin = gsi;
		if (gsi >= 16)
			continue;
		routes[n].gsi = gsi;
		routes[n].type = RV_ROUTE_IRQCHIP;
		routes[n].irqchip.chip = gsi < 8 ? RV_IRQCHIP_PIC_MASTER : RV_IRQCHIP_PIC_SLAVE;
		routes[n++].irqchip.pin = gsi % 8;
	}
	return rv_routing_build(routes, n);
}

void rv_irqchip_init(struct rv_irqchip *chip, const struct rv_pic_ops *pic_ops,
		     const struct rv_ioapic_ops *ioapic_ops, void *ctx,
		     struct rv_routing *routing)
{
	memset(chip, 0, sizeof(*chip));
	rv_pic_init(&chip->pic, pic_ops, ctx);
	rv_ioapic_init(&chip->ioapic, ioapic_ops, ctx);
	RCU_INIT_POINTER(chip->routing, routing);
}

/*
 * Install @t; returns the table it replaced, which the caller frees after
 * synchronize_rcu().  Updaters are serialised by the caller (the VM lock).
 */
struct rv_routing *rv_irqchip_swap_routing(struct rv_irqchip *chip, struct rv_routing *t)
{
	return rcu_replace_pointer(chip->routing, t, true);
}

/* Join @apic to the APIC bus; the caller serialises additions. */
int rv_irqchip_add_lapic(struct rv_irqchip *chip, struct rv_lapic *apic)
{
	unsigned int n = chip->nr_lapics;

	if (n >= RV_IRQCHIP_MAX_LAPICS)
		return -ENOSPC;
	chip->lapic[n] = apic;
	/* Pairs with the acquire in rv_irqchip_deliver: the slot before the count. */
	smp_store_release(&chip->nr_lapics, n + 1);
	return 0;
}

/*
 * The addressed, software-enabled APIC with the lowest PPR; among equals
 * the vector picks one (KVM's vector hashing), so that devices spread.
 */
static struct rv_lapic *lowest_priority(struct rv_irqchip *chip, unsigned int n,
					const struct rv_apic_msg *msg,
					const struct rv_lapic *source)
{
	u8 tied[RV_IRQCHIP_MAX_LAPICS];	/* indices: small on an IRQ stack */
	u32 best = ~0u, ties = 0;
	unsigned int i;

	/*
	 * One look at each PPR: a second pass could see a vCPU take or EOI a
	 * vector in between, find fewer candidates, and drop the message.
	 */
	for (i = 0; i < n; i++) {
		struct rv_lapic *a = chip->lapic[i];
		u32 ppr;

		if (!rv_lapic_match_dest(a, msg, source) || !rv_lapic_sw_enabled(a))
			continue;
		ppr = rv_lapic_ppr(a) & 0xf0;
		if (ppr < best) {
			best = ppr;
			ties = 0;
		}
		if (ppr == best)
			tied[ties++] = i;
	}
	return ties ? chip->lapic[tied[msg->vector % ties]] : NULL;
}

/*
 * Put @msg on the APIC bus.  Returns the number of local APICs that took
 * it, or -1 when it addresses none.  Lowest-priority delivery goes to one
 * APIC (lowest_priority()); the PPR of another vCPU is read without its
 * owner's cooperation, which is the arbitration's nature and harmless:
 * a stale value only picks a busier CPU.
 */
int rv_irqchip_deliver(struct rv_irqchip *chip, const struct rv_apic_msg *msg,
		       struct rv_lapic *source)
{
	/* Pairs with the release in rv_irqchip_add_lapic. */
	unsigned int n = smp_load_acquire(&chip->nr_lapics), i;
	struct rv_lapic *best = NULL;
	int r = -1;

	if (msg->delivery_mode == APIC_DM_LOWEST && msg->shorthand == RV_APIC_DEST_NOSHORT) {
		best = lowest_priority(chip, n, msg, source);
		return best ? rv_lapic_accept(best, msg) : -1;
	}
	for (i = 0; i < n; i++) {
		struct rv_lapic *a = chip->lapic[i];

		if (rv_lapic_match_dest(a, msg, source))
			r = (r < 0 ? 0 : r) + rv_lapic_accept(a, msg);
	}
	return r;
}

/* RINGVM_SIGNAL_MSI: -EINVAL for an address or mode no MSI may have. */
int rv_irqchip_signal_msi(struct rv_irqchip *chip, u64 address, u32 data)
{
	struct rv_apic_msg msg;

	if (!rv_msi_to_msg(address, data, &msg))
		return -EINVAL;
	return rv_irqchip_deliver(chip, &msg, NULL);
}

static int set_route(struct rv_irqchip *chip, const struct rv_route *r, bool level)
{
	switch (r->irqchip.chip) {
	case RV_IRQCHIP_IOAPIC:
		return rv_ioapic_set_irq(&chip->ioapic, r->irqchip.pin, level);
	case RV_IRQCHIP_PIC_SLAVE:
		return rv_pic_set_irq(&chip->pic, 8 + r->irqchip.pin, level);
	default:
		return rv_pic_set_irq(&chip->pic, r->irqchip.pin, level);
	}
}

/* @gsi's routes in @t (valid, under RCU) driven to @level: see rv_irqchip_set_irq(). */
static int set_routes(struct rv_irqchip *chip, const struct rv_routing *t, u32 gsi, bool level)
{
	int ret = -1, r;
	u32 i;

	for (i = t->first[gsi]; i < t->first[gsi + 1]; i++) {
		const struct rv_route *route = &t->routes[i];

		if (route->type == RV_ROUTE_MSI)
			r = level ? rv_irqchip_signal_msi(chip, route->msi.address,
							  route->msi.data) : 1;
		else
			r = set_route(chip, route, level);
		if (r >= 0)
			ret = (ret < 0 ? 0 : ret) + r;
	}
	return ret;
}

/*
 * Drive GSI @gsi to @level through its routes.  Returns what
 * RINGVM_IRQ_LINE_STATUS reports: the sum of the deliveries of the routes
 * that did not refuse (see the controllers), or -1 when every route
 * refused (masked) or the GSI has none.  An MSI route fires on assertion.
 */
int rv_irqchip_set_irq(struct rv_irqchip *chip, u32 gsi, bool level)
{
	struct rv_routing *t;
	int ret = -1;

	rcu_read_lock();
	t = rcu_dereference(chip->routing);
	if (t && gsi < t->nr_gsi)
		ret = set_routes(chip, t, gsi, level);
	rcu_read_unlock();
	return ret;
}

/*
 * An edge on GSI @gsi from any context, hard interrupts included: what an
 * irqfd's wakeup does when its GSI is MSI only.  Delivering a message takes
 * no controller lock (rv_irqchip_deliver(); the ops' kick takes only
 * IRQ-safe locks, lapic.h); a pin's controller does, and not an IRQ-safe
 * one, so a GSI with any irqchip route gets -EWOULDBLOCK and the caller
 * defers to process context.  Otherwise as rv_irqchip_set_irq().  A
 * broadcast or a lowest-priority message walks every APIC on the bus with
 * interrupts off: at most RV_IRQCHIP_MAX_LAPICS, a bounded cost.
 */
int rv_irqchip_set_msi_inatomic(struct rv_irqchip *chip, u32 gsi)
{
	struct rv_routing *t;
	int ret = -1;
	u32 i;

	rcu_read_lock();
	t = rcu_dereference(chip->routing);
	if (!t || gsi >= t->nr_gsi)
		goto out;
	for (i = t->first[gsi]; i < t->first[gsi + 1]; i++) {
		if (t->routes[i].type != RV_ROUTE_MSI) {
			ret = -EWOULDBLOCK;
			goto out;
		}
	}
	ret = set_routes(chip, t, gsi, true);
out:
	rcu_read_unlock();
	return ret;
}
