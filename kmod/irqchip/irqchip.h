/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM's interrupt controllers as one unit: the PIC pair, the I/O APIC,
 * the local APICs of its vCPUs (the APIC bus), and the GSI routing table
 * that says which controller inputs, or which MSI, a GSI drives.
 * Vendor-neutral, like everything in kmod/irqchip/.
 */
#ifndef RINGVM_IRQCHIP_H
#define RINGVM_IRQCHIP_H

#include <linux/rcupdate.h>
#include <linux/types.h>

#include "ioapic.h"
#include "lapic.h"
#include "pic.h"

#define RV_IRQCHIP_MAX_LAPICS	64
#define RV_IRQCHIP_MAX_GSI	1024
#define RV_IRQCHIP_MAX_ROUTES	1024

/* Route targets, numbered as KVM's irqchip routing entries are. */
#define RV_IRQCHIP_PIC_MASTER	0
#define RV_IRQCHIP_PIC_SLAVE	1
#define RV_IRQCHIP_IOAPIC	2

enum rv_route_type {
	RV_ROUTE_IRQCHIP = 1,
	RV_ROUTE_MSI = 2,
};

struct rv_route {
	u32 gsi;
	u32 type;		/* enum rv_route_type */
	union {
		struct {
			u32 chip;	/* RV_IRQCHIP_* */
			u32 pin;
		} irqchip;
		struct {
			u64 address;
			u32 data;
		} msi;
	};
};

/* Routes sorted by GSI; first[g]..first[g + 1] are GSI g's. */
struct rv_routing {
	struct rcu_head rcu;
	u32 nr_gsi;
	u32 nr_routes;
	u32 *first;
	struct rv_route routes[];
};

struct rv_irqchip {
	struct rv_pic pic;
	struct rv_ioapic ioapic;
	/* Published with a release store of nr_lapics; never removed. */
	struct rv_lapic *lapic[RV_IRQCHIP_MAX_LAPICS];
	unsigned int nr_lapics;
	struct rv_routing __rcu *routing;
};

struct rv_routing *rv_routing_build(const struct rv_route *routes, u32 nr);
void rv_routing_free(struct rv_routing *t);
struct rv_routing *rv_routing_default(void);

void rv_irqchip_init(struct rv_irqchip *chip, const struct rv_pic_ops *pic_ops,
		     const struct rv_ioapic_ops *ioapic_ops, void *ctx,
		     struct rv_routing *routing);
struct rv_routing *rv_irqchip_swap_routing(struct rv_irqchip *chip, struct rv_routing *t);
int rv_irqchip_add_lapic(struct rv_irqchip *chip, struct rv_lapic *apic);
int rv_irqchip_set_irq(struct rv_irqchip *chip, u32 gsi, bool level);
int rv_irqchip_set_msi_inatomic(struct rv_irqchip *chip, u32 gsi);
int rv_irqchip_deliver(struct rv_irqchip *chip, const struct rv_apic_msg *msg,
		       struct rv_lapic *source);
int rv_irqchip_signal_msi(struct rv_irqchip *chip, u64 address, u32 data);

#endif /* RINGVM_IRQCHIP_H */
