/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel irqchip's glue: the VM's controllers (irq.c) and the
 * local APIC of each vCPU (vlapic.c).
 */
#ifndef RINGVM_IRQ_H
#define RINGVM_IRQ_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "../irqchip/irqchip.h"
#include "vm.h"

struct ringvm_vcpu;
struct ringvm_irq;

/* Events other contexts post for the vCPU thread (ringvm_lapic.events). */
enum {
	RV_EV_TIMER,		/* the hrtimer expired */
	RV_EV_NMI,
	RV_EV_INIT,
	RV_EV_SIPI,		/* vector in sipi_vector */
};

/*
 * A vCPU's local APIC.  It belongs to the VM, not to the vCPU file: the
 * APIC bus keeps every APIC it was given, and messages may reach one
 * whose vCPU was closed (they are recorded and nobody runs them).  A vCPU
 * created again with the same id takes it back, reset.
 */
struct ringvm_lapic {
	struct rv_lapic apic;
	struct ringvm_irq *irq;
	struct ringvm_vcpu *vcpu;	/* its vCPU while open (vm->lock) */
	u32 *page;			/* the register page */
	struct hrtimer timer;
	unsigned long events;		/* RV_EV_* bits */
	u8 sipi_vector;
	wait_queue_head_t wq;		/* the vCPU thread halted in the kernel */
	int cpu;			/* where it last entered the guest */
	bool in_guest;			/* between the last event check and VM exit */
	/* IRR bits from other contexts while the CPU owns the page (apicv.c). */
	unsigned long posted[BITS_TO_LONGS(256)];
	/* APIC virtualization (apicv.c): what this vCPU's VMCS holds. */
	struct {
		bool ready;		/* the VMCS is set up for it (or it is off) */
		bool access;		/* xAPIC accesses virtualized */
		u8 tpr_threshold;
		u8 entry_svi;		/* SVI as the last entry set it */
		u32 entry_isr[8];	/* the ISR when the last entry began */
		bool holding;		/* IRR bits held out of the page (apicv.c) */
		u32 held[8];
		u32 entry_inject;	/* the event the last entry injected */
		u64 eoi_exit[4];
	} apicv;
};

struct ringvm_irq {
	struct rv_irqchip chip;
	struct ringvm_vm *vm;
	/* Serialises each GSI's OR and its delivery, so levels arrive in order. */
	spinlock_t lock;
	unsigned long sources;				/* allocated source ids */
	unsigned long level[RV_IRQCHIP_MAX_GSI];	/* per GSI: sources asserting it */
	struct ringvm_lapic *lapics[RINGVM_MAX_VCPUS];	/* by vCPU id; vm->lock */
	/* The APIC-access page (apicv.c), or NULL; freed with the chip. */
	struct page *apic_access;
};

static inline struct ringvm_irq *ringvm_to_irq(struct rv_irqchip *chip)
{
	return container_of(chip, struct ringvm_irq, chip);
}

/* vlapic.c: vCPU creation and release, under vm->lock. */
int ringvm_lapic_attach(struct ringvm_vcpu *vcpu);
void ringvm_lapic_detach(struct ringvm_vcpu *vcpu);
void ringvm_lapics_free(struct ringvm_irq *irq);
void ringvm_lapic_kick_extint(struct ringvm_irq *irq);

/* The run loop (run.c). */
int ringvm_lapic_prepare_run(struct ringvm_vcpu *vcpu);
bool ringvm_lapic_enter(struct ringvm_vcpu *vcpu);
void ringvm_lapic_inject(struct ringvm_vcpu *vcpu, bool event_injected);
void ringvm_lapic_exited(struct ringvm_vcpu *vcpu);
/* IF set and no STI or MOV-SS shadow (@intr: the interruptibility state). */
bool ringvm_guest_interruptible(u32 intr);
int ringvm_lapic_halt(struct ringvm_vcpu *vcpu);

/* Device accesses the kernel answers: 0 done, -ENODEV not an irqchip device. */
int ringvm_irq_mmio(struct ringvm_vcpu *vcpu, u64 gpa, unsigned int len, u64 *val, bool write);
int ringvm_irq_pio(struct ringvm_vcpu *vcpu, u16 port, unsigned int len, u32 *val, bool in);
/* IA32_APIC_BASE, TSC_DEADLINE, x2APIC: -ENOENT not the APIC's, -EINVAL #GP. */
int ringvm_lapic_msr(struct ringvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host);
/* CR8 is the TPR's priority class (SDM 10.8.6.1). */
void ringvm_lapic_set_cr8(struct ringvm_vcpu *vcpu, u64 val);
u64 ringvm_lapic_get_cr8(struct ringvm_vcpu *vcpu);
int ringvm_lapic_set_sregs(struct ringvm_vcpu *vcpu, u64 apic_base, u64 cr8);
void ringvm_lapic_requeue_irq(struct ringvm_vcpu *vcpu, u8 vector);
void ringvm_lapic_set_x2apic_allowed(struct ringvm_vcpu *vcpu, bool allowed);
long ringvm_lapic_ioctl(struct ringvm_vcpu *vcpu, unsigned int ioctl, void __user *argp);
/* RINGVM_GET/SET_MP_STATE, with or without an irqchip. */
long ringvm_mp_state_ioctl(struct ringvm_vcpu *vcpu, unsigned int ioctl, void __user *argp);

#endif /* RINGVM_IRQ_H */
