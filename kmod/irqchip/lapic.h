/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC model: xAPIC registers (MMIO) and x2APIC (MSRs), the
 * interrupt state (IRR/ISR/TMR, TPR/PPR), EOI, IPIs, LVTs and the timer.
 * Vendor-neutral: the vCPU side (injection, kicks, INIT/SIPI, the timer's
 * clock) is reached through rv_lapic_ops.  The registers live in a page
 * laid out as the hardware's, so it can serve as a virtual-APIC page.
 *
 * Concurrency: IRR and TMR bits and ESR errors are set with atomic bitops
 * from any context, a hard interrupt included (rv_lapic_accept, from an
 * irqfd's wakeup); everything else belongs to the vCPU thread, and the
 * timer's expiry runs only while armed, cancelled (and waited
 * for) by the glue before the vCPU thread changes the timer.
 */
#ifndef RINGVM_LAPIC_H
#define RINGVM_LAPIC_H

#include <linux/types.h>

#include "apic_msg.h"

#define RV_LAPIC_BASE		0xfee00000ULL
#define RV_LAPIC_SIZE		0x1000
#define RV_LAPIC_VERSION	0x14
#define RV_LAPIC_NR_LVT		6	/* timer, thermal, perf, LINT0, LINT1, error */
#define RV_MSR_APICBASE		0x1b
#define RV_MSR_TSC_DEADLINE	0x6e0
#define RV_APICBASE_BSP		(1ULL << 8)
#define RV_APICBASE_X2APIC	(1ULL << 10)
#define RV_APICBASE_ENABLE	(1ULL << 11)
/* Periodic timers faster than this would flood the host (KVM: 200 us). */
#define RV_LAPIC_MIN_PERIOD_NS	200000ULL

struct rv_lapic_ops {
	/*
	 * An interrupt or event is pending for this vCPU: wake or IPI it.  It
	 * may run under the I/O APIC's lock, from another vCPU, or in a hard
	 * interrupt under an eventfd's lock (an irqfd's MSI): it takes only
	 * IRQ-safe locks and must not sleep, touch an hrtimer or signal an
	 * eventfd.
	 */
	void (*kick)(void *ctx);
	/*
	 * NMI, INIT and SIPI for this vCPU, in the same contexts as kick and
	 * under the same rules: they record the event and kick, and do not
	 * touch the APIC's registers (an INIT is applied with
	 * rv_lapic_init_reset() on the vCPU thread).
	 */
	void (*nmi)(void *ctx);
	void (*init)(void *ctx);
	void (*sipi)(void *ctx, u8 vector);
	/* A level-triggered vector was EOI'd: tell the I/O APIC. */
	void (*eoi_broadcast)(void *ctx, u8 vector);
	/* An IPI written to the ICR: deliver it on the APIC bus. */
	void (*send_ipi)(void *ctx, const struct rv_apic_msg *msg);
	/* The clock the timer counts (ns), the guest's TSC and its rate. */
	u64 (*now_ns)(void *ctx);
	u64 (*guest_tsc)(void *ctx);
	/* Arm the timer to expire at @expires_ns (absolute), or cancel it. */
	void (*timer_arm)(void *ctx, u64 expires_ns);
	void (*timer_cancel)(void *ctx);
};

struct rv_lapic {
	u32 *regs;		/* one page, the hardware's layout */
	u64 base;		/* IA32_APIC_BASE */
	u32 vcpu_id;		/* the x2APIC ID; the xAPIC ID is its low byte */
	unsigned long esr_pending;	/* errors since the last ESR write (atomic) */
	/* What the guest's CPUID offers: set by the glue, checked by APIC_BASE writes. */
	bool x2apic_allowed;
	u8 maxphyaddr;
	u32 tsc_khz;
	/*
	 * NULL, or a 256-bit bitmap that takes the IRR bits other contexts
	 * set: when the CPU itself updates the page while the guest runs
	 * (APICv), the glue moves them into IRR on the vCPU thread.
	 */
	unsigned long *posted;
	struct {
		bool armed;
		u64 expires_ns;
		u64 period_ns;		/* periodic mode */
		u64 tsc_deadline;	/* TSC-deadline mode */
	} timer;
	const struct rv_lapic_ops *ops;
	void *ctx;
};

void rv_lapic_init(struct rv_lapic *apic, u32 *page, u32 vcpu_id, bool bsp,
		   const struct rv_lapic_ops *ops, void *ctx);
void rv_lapic_reset(struct rv_lapic *apic, bool bsp);
void rv_lapic_init_reset(struct rv_lapic *apic);
bool rv_lapic_sw_enabled(const struct rv_lapic *apic);
bool rv_lapic_accept_pic_intr(const struct rv_lapic *apic);
int rv_lapic_set_base(struct rv_lapic *apic, u64 value, bool host);
bool rv_lapic_hw_enabled(const struct rv_lapic *apic);
bool rv_lapic_x2apic(const struct rv_lapic *apic);

int rv_lapic_mmio_read(struct rv_lapic *apic, u32 offset, unsigned int len, u32 *val);
int rv_lapic_mmio_write(struct rv_lapic *apic, u32 offset, unsigned int len, u32 val);
int rv_lapic_rdmsr(struct rv_lapic *apic, u32 msr, u64 *val);
int rv_lapic_wrmsr(struct rv_lapic *apic, u32 msr, u64 val);

bool rv_lapic_match_dest(const struct rv_lapic *apic, const struct rv_apic_msg *msg,
			 const struct rv_lapic *source);
int rv_lapic_accept(struct rv_lapic *apic, const struct rv_apic_msg *msg);
void rv_lapic_lint(struct rv_lapic *apic, unsigned int lint, bool level);

u32 rv_lapic_ppr(const struct rv_lapic *apic);
int rv_lapic_pending_vector(const struct rv_lapic *apic);
void rv_lapic_acknowledge(struct rv_lapic *apic, u8 vector);
void rv_lapic_requeue(struct rv_lapic *apic, u8 vector);
u64 rv_lapic_timer_expired(struct rv_lapic *apic);
void rv_lapic_get_regs(struct rv_lapic *apic, void *out, unsigned int len);
void rv_lapic_set_regs(struct rv_lapic *apic, const void *in, unsigned int len);

#endif /* RINGVM_LAPIC_H */
