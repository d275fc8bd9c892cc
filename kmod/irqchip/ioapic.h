/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O APIC model (82093AA with 24 pins): its interface to the rest of
 * ringvm.ko.  Vendor-neutral: it builds APIC messages and hands them to
 * whatever implements rv_ioapic_ops.
 */
#ifndef RINGVM_IOAPIC_H
#define RINGVM_IOAPIC_H

#include <linux/spinlock.h>
#include <linux/types.h>

#include "apic_msg.h"

#define RV_IOAPIC_PINS		24
#define RV_IOAPIC_BASE		0xfec00000ULL
#define RV_IOAPIC_SIZE		0x100
/* The version KVM reports: an 82093AA without the EOI register. */
#define RV_IOAPIC_VERSION	0x11

struct rv_ioapic_ops {
	/*
	 * Hand @msg to the local APICs; returns how many accepted it (0 when
	 * none did).  Called with the I/O APIC's lock held: it must not call
	 * back into the I/O APIC.
	 */
	int (*deliver)(void *ctx, const struct rv_apic_msg *msg);
	/*
	 * The guest EOI'd a level-triggered @pin (the resample point of an
	 * irqfd).  Called without the lock; it may set the pin's level.
	 * May be NULL.
	 */
	void (*acked)(void *ctx, unsigned int pin);
};

struct rv_ioapic {
	spinlock_t lock;
	u64 base;		/* guest-physical address of the registers */
	u32 ioregsel;
	u32 id;
	u32 line;		/* level of each input pin */
	u64 redir[RV_IOAPIC_PINS];
	const struct rv_ioapic_ops *ops;
	void *ctx;
};

void rv_ioapic_init(struct rv_ioapic *io, const struct rv_ioapic_ops *ops, void *ctx);
void rv_ioapic_reset(struct rv_ioapic *io);
void rv_ioapic_save(struct rv_ioapic *io, struct rv_ioapic *out);
void rv_ioapic_restore(struct rv_ioapic *io, const struct rv_ioapic *in);
int rv_ioapic_set_irq(struct rv_ioapic *io, unsigned int pin, bool level);
void rv_ioapic_eoi(struct rv_ioapic *io, u8 vector);
bool rv_ioapic_in_range(const struct rv_ioapic *io, u64 gpa);
int rv_ioapic_mmio_read(struct rv_ioapic *io, u64 gpa, unsigned int len, u64 *val);
int rv_ioapic_mmio_write(struct rv_ioapic *io, u64 gpa, unsigned int len, u64 val);

#endif /* RINGVM_IOAPIC_H */
