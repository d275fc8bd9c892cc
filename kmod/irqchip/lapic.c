// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC (SDM volume 3, chapter 10 (11 in newer editions)):
 * registers in xAPIC (MMIO) and x2APIC (MSR) form, interrupt acceptance
 * and priorities, EOI (broadcast to the I/O APIC for level vectors), IPIs
 * through the ICR, the LVT local interrupts and the timer in one-shot,
 * periodic and TSC-deadline modes.  The timer counts a 1 GHz APIC bus
 * clock through the divide register, as KVM's does.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "lapic.h"

#define LVR_VALUE	(((RV_LAPIC_NR_LVT - 1) << 16) | RV_LAPIC_VERSION)
#define LVT_TIMER_MODE	(3u << 17)
#define LVT_POLARITY	(1u << 13)
#define SVR_MASK	(APIC_SPIV_FOCUS_DISABLED | APIC_SPIV_APIC_ENABLED | 0xff)
#define X2APIC_MSR_FIRST	0x800
#define X2APIC_MSR_LAST		0x8ff
#define ESR_SEND_ILLEGAL_VECTOR_BIT		5
#define ESR_RECEIVE_ILLEGAL_VECTOR_BIT		6
#define ESR_ILLEGAL_REGISTER_BIT		7
/* A TSC deadline further than this (about 146 years) is as good as never. */
#define MAX_DEADLINE_NS		(1ULL << 62)

static const u32 lvt_regs[RV_LAPIC_NR_LVT] = {
	APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR,
};

static u32 reg(const struct rv_lapic *apic, u32 off)
{
	return apic->regs[off >> 2];
}

static void set_reg(struct rv_lapic *apic, u32 off, u32 val)
{
	apic->regs[off >> 2] = val;
}

/* The 32-bit register holding @vector's bit in the 256-bit ISR/TMR/IRR at @base. */
static unsigned long *vec_word(struct rv_lapic *apic, u32 base, u8 vector)
{
	/* Registers sit at 16-byte strides: each word may be used as a long. */
	return (unsigned long *)&apic->regs[(base + (vector >> 5) * 0x10) >> 2];
}

static bool vec_test(struct rv_lapic *apic, u32 base, u8 vector)
{
	return test_bit(vector & 31, vec_word(apic, base, vector));
}

/* The highest vector set in the 256-bit register at @base, or -1. */
static int highest_vector(const struct rv_lapic *apic, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg(apic, base + i * 0x10);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

bool rv_lapic_hw_enabled(const struct rv_lapic *apic)
{
	return apic->base & RV_APICBASE_ENABLE;
}

bool rv_lapic_x2apic(const struct rv_lapic *apic)
{
	return (apic->base & (RV_APICBASE_ENABLE | RV_APICBASE_X2APIC)) ==
	       (RV_APICBASE_ENABLE | RV_APICBASE_X2APIC);
}

bool rv_lapic_sw_enabled(const struct rv_lapic *apic)
{
	return reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/*
 * Does the PIC's INT reach this vCPU?  Through LINT0 in ExtINT mode, or
 * straight to the CPU when the APIC is hardware-disabled (KVM's rule).
 * The vCPU samples it when it can take an interrupt, as it does its IRR.
 */
bool rv_lapic_accept_pic_intr(const struct rv_lapic *apic)
{
	u32 lvt0 = reg(apic, APIC_LVT0);

	if (!rv_lapic_hw_enabled(apic))
		return true;
	return !(lvt0 & APIC_LVT_MASKED) && (lvt0 & APIC_MODE_MASK) == APIC_DM_EXTINT;
}

static u32 timer_mode(const struct rv_lapic *apic)
{
	return reg(apic, APIC_LVTT) & LVT_TIMER_MODE;
}

static void timer_stop(struct rv_lapic *apic)
{
	if (apic->timer.armed)
		apic->ops->timer_cancel(apic->ctx);
	apic->timer.armed = false;
}

/* The ID and LDR an APIC has in its mode (x2APIC derives the LDR from the ID). */
static void set_identity(struct rv_lapic *apic)
{
	u32 id = apic->vcpu_id;

	if (rv_lapic_x2apic(apic)) {
		set_reg(apic, APIC_ID, id);
		set_reg(apic, APIC_LDR, ((id >> 4) << 16) | (1u << (id & 0xf)));
	} else {
		set_reg(apic, APIC_ID, id << 24);
	}
}

/* The register state of power-up and INIT (SDM 10.4.7.1); the base MSR stays. */
static void reset_registers(struct rv_lapic *apic)
{
	unsigned int i;

	timer_stop(apic);
	memset(apic->regs, 0, RV_LAPIC_SIZE);
	memset(&apic->timer, 0, sizeof(apic->timer));
	xchg(&apic->esr_pending, 0);
	set_reg(apic, APIC_LVR, LVR_VALUE);
	set_reg(apic, APIC_DFR, APIC_DFR_FLAT);
	set_reg(apic, APIC_SPIV, 0xff);
	for (i = 0; i < RV_LAPIC_NR_LVT; i++)
		set_reg(apic, lvt_regs[i], APIC_LVT_MASKED);
	set_identity(apic);
}

void rv_lapic_init(struct rv_lapic *apic, u32 *page, u32 vcpu_id, bool bsp,
		   const struct rv_lapic_ops *ops, void *ctx)
{
	memset(apic, 0, sizeof(*apic));
	apic->regs = page;
	apic->vcpu_id = vcpu_id;
	apic->x2apic_allowed = true;
	apic->maxphyaddr = 36;
	apic->ops = ops;
	apic->ctx = ctx;
	rv_lapic_reset(apic, bsp);
}

/*
 * Power-up: xAPIC mode at the default base, registers reset.  The boot
 * CPU's LINT0 comes up as an unmasked ExtINT, as on KVM and QEMU (their
 * LINT0_REENABLED quirk), so firmware and PIC-only guests get the PIC.
 */
void rv_lapic_reset(struct rv_lapic *apic, bool bsp)
{
	apic->base = RV_LAPIC_BASE | RV_APICBASE_ENABLE | (bsp ? RV_APICBASE_BSP : 0);
	reset_registers(apic);
	if (bsp)
		set_reg(apic, APIC_LVT0, APIC_DM_EXTINT);
}

/* INIT: registers as at power-up; IA32_APIC_BASE, and so the mode, stay (SDM 10.4.7.3). */
void rv_lapic_init_reset(struct rv_lapic *apic)
{
	reset_registers(apic);
}

/*
 * IA32_APIC_BASE.  The guest (@host false) may move between the modes the
 * SDM allows (10.12.5): disabled <-> xAPIC -> x2APIC -> disabled; the VMM
 * may set any valid state.  Returns -EINVAL for #GP.
 */
int rv_lapic_set_base(struct rv_lapic *apic, u64 value, bool host)
{
	u64 addr_mask = ((1ULL << apic->maxphyaddr) - 1) & ~0xfffULL;
	u64 reserved = ~(addr_mask | RV_APICBASE_BSP | RV_APICBASE_ENABLE |
			 (apic->x2apic_allowed ? RV_APICBASE_X2APIC : 0));
	u64 mode_bits = RV_APICBASE_ENABLE | RV_APICBASE_X2APIC;
	u64 old = apic->base & mode_bits, new = value & mode_bits;

	if ((value & reserved) || new == RV_APICBASE_X2APIC)
		return -EINVAL;
	if (!host) {
		if (old == mode_bits && new == RV_APICBASE_ENABLE)
			return -EINVAL;		/* x2APIC -> xAPIC */
		if (!old && new == mode_bits)
			return -EINVAL;		/* disabled -> x2APIC */
		value = (value & ~RV_APICBASE_BSP) | (apic->base & RV_APICBASE_BSP);
	}
	apic->base = value;
	if (old == new)
		return 0;
	if (!new)
		reset_registers(apic);	/* a disabled APIC is as after reset */
	else
		set_identity(apic);
	return 0;
}

u32 rv_lapic_ppr(const struct rv_lapic *apic)
{
	u32 tpr = reg(apic, APIC_TASKPRI) & 0xff;
	int isrv = highest_vector(apic, APIC_ISR);
	u32 isr_class = isrv < 0 ? 0 : isrv & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/* The vector the vCPU should take next (IRR above PPR), or -1. */
int rv_lapic_pending_vector(const struct rv_lapic *apic)
{
	int irrv;

	if (!rv_lapic_hw_enabled(apic))
		return -1;
	irrv = highest_vector(apic, APIC_IRR);
	if (irrv < 0 || (irrv & 0xf0) <= (rv_lapic_ppr(apic) & 0xf0))
		return -1;
	return irrv;
}

/* The vCPU took @vector: in service from now on. */
void rv_lapic_acknowledge(struct rv_lapic *apic, u8 vector)
{
	clear_bit(vector & 31, vec_word(apic, APIC_IRR, vector));
	set_bit(vector & 31, vec_word(apic, APIC_ISR, vector));
}

/*
 * The delivery of @vector was cut short and will not be retried (the VMM
 * replaced the vCPU's state): pending again rather than in service for ever.
 */
void rv_lapic_requeue(struct rv_lapic *apic, u8 vector)
{
	if (highest_vector(apic, APIC_ISR) != vector)
		return;
	clear_bit(vector & 31, vec_word(apic, APIC_ISR, vector));
	set_bit(vector & 31, vec_word(apic, APIC_IRR, vector));
}

static void do_eoi(struct rv_lapic *apic)
{
	int isrv = highest_vector(apic, APIC_ISR);

	if (isrv < 0)
		return;
	clear_bit(isrv & 31, vec_word(apic, APIC_ISR, isrv));
	if (vec_test(apic, APIC_TMR, isrv) &&
	    !(reg(apic, APIC_SPIV) & APIC_SPIV_DIRECTED_EOI))
		apic->ops->eoi_broadcast(apic->ctx, isrv);
}

/*
 * Accept @msg, already matched to this APIC.  Returns 1 when it took the
 * interrupt (a fixed vector already pending merges with it), 0 when not
 * (disabled, illegal vector, a level de-assert, or a refused mode).
 */
int rv_lapic_accept(struct rv_lapic *apic, const struct rv_apic_msg *msg)
{
	u8 v = msg->vector;

	switch (msg->delivery_mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (!rv_lapic_hw_enabled(apic) || !rv_lapic_sw_enabled(apic))
			return 0;
		if (msg->level_trig && !msg->assert)
			return 0;	/* a level de-assert carries no interrupt */
		if (v < 16) {
			set_bit(ESR_RECEIVE_ILLEGAL_VECTOR_BIT, &apic->esr_pending);
			return 0;
		}
		if (msg->level_trig)
			set_bit(v & 31, vec_word(apic, APIC_TMR, v));
		else
			clear_bit(v & 31, vec_word(apic, APIC_TMR, v));
		/*
		 * Accepted even when the vector is pending already: the source
		 * (a level pin's remote IRR) must wait for the EOI that comes.
		 */
		if (apic->posted)
			set_bit(v, apic->posted);
		else
			set_bit(v & 31, vec_word(apic, APIC_IRR, v));
		apic->ops->kick(apic->ctx);
		return 1;
	case APIC_DM_NMI:
		apic->ops->nmi(apic->ctx);
		return 1;
	case APIC_DM_INIT:
		if (msg->level_trig && !msg->assert)
			return 0;	/* INIT level de-assert: nothing happens */
		apic->ops->init(apic->ctx);
		return 1;
	case APIC_DM_STARTUP:
		apic->ops->sipi(apic->ctx, v);
		return 1;
	default:
		/*
		 * SMI and remote read are refused.  ExtINT in a message (an I/O
		 * APIC entry, an MSI, an IPI) is ignored as KVM does: the PIC is
		 * reached through LINT0, see rv_lapic_accept_pic_intr().
		 */
		return 0;
	}
}

/* Does @msg, sent by @source (NULL: the I/O APIC or an MSI), address this APIC? */
bool rv_lapic_match_dest(const struct rv_lapic *apic, const struct rv_apic_msg *msg,
			 const struct rv_lapic *source)
{
	u32 dest = msg->dest_id, ldr = reg(apic, APIC_LDR);

	if (!rv_lapic_hw_enabled(apic))
		return false;
	switch (msg->shorthand) {
	case APIC_DEST_SELF:
		return apic == source;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return apic != source;
	}
	/*
	 * An x2APIC takes 0xff as a broadcast only from a source with 8-bit
	 * destinations (an I/O APIC entry or an MSI), as KVM does; another
	 * x2APIC's IPI to 0xff means APIC 255.
	 */
	if (rv_lapic_x2apic(apic) && dest == 0xff && !source)
		return true;
	if (!msg->dest_logical) {
		if (rv_lapic_x2apic(apic))
			return dest == 0xffffffff || dest == apic->vcpu_id;
		return (dest & 0xff) == 0xff || (dest & 0xff) == reg(apic, APIC_ID) >> 24;
	}
	if (rv_lapic_x2apic(apic))
		return dest == 0xffffffff ||
		       ((dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff));
	dest &= 0xff;
	ldr >>= 24;
	if (dest == 0xff)
		return true;
	if ((reg(apic, APIC_DFR) >> 28) == 0xf)		/* flat */
		return ldr & dest;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);	/* cluster */
}

/*
 * A rising edge on LINT0 or LINT1 in fixed or NMI mode (LINT1 is the NMI
 * pin).  LINT0 in ExtINT mode is not an edge: the vCPU samples the PIC's
 * level with rv_lapic_accept_pic_intr().
 */
void rv_lapic_lint(struct rv_lapic *apic, unsigned int lint, bool level)
{
	u32 lvt = reg(apic, lint ? APIC_LVT1 : APIC_LVT0);
	struct rv_apic_msg msg = {
		.vector = lvt & APIC_VECTOR_MASK,
		.delivery_mode = lvt & APIC_MODE_MASK,
		.assert = true,
	};

	if (!level || !rv_lapic_hw_enabled(apic) || (lvt & APIC_LVT_MASKED))
		return;
	if (msg.delivery_mode == APIC_DM_FIXED || msg.delivery_mode == APIC_DM_NMI)
		rv_lapic_accept(apic, &msg);
}

/* The ICR was written: send the IPI it describes (never SMI, never INIT de-assert). */
static void send_ipi(struct rv_lapic *apic, u32 icr, u32 dest)
{
	struct rv_apic_msg msg = {
		.vector = icr & APIC_VECTOR_MASK,
		.delivery_mode = icr & APIC_MODE_MASK,
		.dest_logical = icr & APIC_DEST_LOGICAL,
		.level_trig = icr & APIC_INT_LEVELTRIG,
		.assert = icr & APIC_INT_ASSERT,
		.shorthand = icr & (APIC_DEST_SELF | APIC_DEST_ALLINC),
		.dest_id = dest,
	};

	if (msg.delivery_mode == APIC_DM_SMI || msg.delivery_mode == APIC_DM_REMRD)
		return;
	if (msg.delivery_mode == APIC_DM_INIT && msg.level_trig && !msg.assert)
		return;
	if ((msg.delivery_mode == APIC_DM_FIXED || msg.delivery_mode == APIC_DM_LOWEST) &&
	    msg.vector < 16) {
		set_bit(ESR_SEND_ILLEGAL_VECTOR_BIT, &apic->esr_pending);
		return;
	}
	apic->ops->send_ipi(apic->ctx, &msg);
}

/* ---- the timer ---- */

static u64 timer_divide(const struct rv_lapic *apic)
{
	u32 tdcr = reg(apic, APIC_TDCR), code = (tdcr & 3) | ((tdcr & 8) >> 1);

	return code == 7 ? 1 : 2ULL << code;
}

/* TMICT written (one-shot or periodic mode): count down from it. */
static void timer_start_count(struct rv_lapic *apic)
{
	u64 period = (u64)reg(apic, APIC_TMICT) * timer_divide(apic);

	timer_stop(apic);
	if (!period)
		return;
	if (timer_mode(apic) == APIC_LVT_TIMER_PERIODIC)
		period = max(period, RV_LAPIC_MIN_PERIOD_NS);
	apic->timer.period_ns = period;
	apic->timer.expires_ns = apic->ops->now_ns(apic->ctx) + period;
	apic->timer.armed = true;
	apic->ops->timer_arm(apic->ctx, apic->timer.expires_ns);
}

static void timer_set_deadline(struct rv_lapic *apic, u64 deadline)
{
	u64 now_tsc, ms, ns = 0;
	u32 rem;

	timer_stop(apic);
	apic->timer.tsc_deadline = deadline;
	if (!deadline || !apic->tsc_khz)
		return;
	now_tsc = apic->ops->guest_tsc(apic->ctx);
	/*
	 * Whole milliseconds first: ticks * 10^6 / kHz in one step overflows
	 * the 64-bit quotient (#DE in the host) for a far deadline on a TSC
	 * slower than 250 MHz.
	 */
	if (deadline > now_tsc) {
		ms = div_u64_rem(deadline - now_tsc, apic->tsc_khz, &rem);
		if (ms >= div_u64(MAX_DEADLINE_NS, NSEC_PER_MSEC))
			ns = MAX_DEADLINE_NS;
		else
			ns = ms * NSEC_PER_MSEC + div_u64((u64)rem * NSEC_PER_MSEC, apic->tsc_khz);
	}
	apic->timer.expires_ns = apic->ops->now_ns(apic->ctx) + ns;
	apic->timer.armed = true;
	apic->ops->timer_arm(apic->ctx, apic->timer.expires_ns);
}

static u32 timer_current_count(struct rv_lapic *apic)
{
	u64 now;

	if (!apic->timer.armed || timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
		return 0;
	now = apic->ops->now_ns(apic->ctx);
	if (apic->timer.expires_ns <= now)
		return 0;
	return min_t(u64, div64_u64(apic->timer.expires_ns - now, timer_divide(apic)),
		     reg(apic, APIC_TMICT));
}

/* A new divider: a running count goes on from where it is, at the new rate. */
static void timer_set_divide(struct rv_lapic *apic, u32 tdcr)
{
	u32 left = timer_current_count(apic);
	bool counting = apic->timer.armed && timer_mode(apic) != APIC_LVT_TIMER_TSCDEADLINE;

	set_reg(apic, APIC_TDCR, tdcr);
	if (!counting)
		return;
	timer_stop(apic);
	apic->timer.period_ns = (u64)reg(apic, APIC_TMICT) * timer_divide(apic);
	if (timer_mode(apic) == APIC_LVT_TIMER_PERIODIC)
		apic->timer.period_ns = max(apic->timer.period_ns, RV_LAPIC_MIN_PERIOD_NS);
	apic->timer.expires_ns = apic->ops->now_ns(apic->ctx) + (u64)left * timer_divide(apic);
	apic->timer.armed = true;
	apic->ops->timer_arm(apic->ctx, apic->timer.expires_ns);
}

/*
 * The timer expired (the glue's hrtimer fired).  Raises the LVT timer's
 * vector unless masked; returns the next expiry of a periodic timer, which
 * the glue re-arms at, or 0 when the timer is done.
 */
u64 rv_lapic_timer_expired(struct rv_lapic *apic)
{
	u32 lvtt = reg(apic, APIC_LVTT);
	struct rv_apic_msg msg = {
		.vector = lvtt & APIC_VECTOR_MASK,
		.delivery_mode = APIC_DM_FIXED,
		.assert = true,
	};

	if (!apic->timer.armed)
		return 0;
	if (!(lvtt & APIC_LVT_MASKED))
		rv_lapic_accept(apic, &msg);
	if (timer_mode(apic) == APIC_LVT_TIMER_PERIODIC) {
		u64 now = apic->ops->now_ns(apic->ctx);

		apic->timer.expires_ns += apic->timer.period_ns;
		/* Ticks missed while the host was busy are dropped, not replayed. */
		if (apic->timer.expires_ns <= now)
			apic->timer.expires_ns = now + apic->timer.period_ns;
		return apic->timer.expires_ns;
	}
	apic->timer.armed = false;
	apic->timer.tsc_deadline = 0;
	return 0;
}

/* ---- register access, common to xAPIC and x2APIC ---- */

static u32 read_register(struct rv_lapic *apic, u32 off)
{
	switch (off) {
	case APIC_PROCPRI:
		return rv_lapic_ppr(apic);
	case APIC_TMCCT:
		return timer_current_count(apic);
	case APIC_ARBPRI:
	case APIC_EOI:
	case APIC_RRR:
	case APIC_SELF_IPI:
	case APIC_LVTCMCI:
		return 0;
	case APIC_ICR:
		return reg(apic, APIC_ICR) & ~APIC_ICR_BUSY;	/* sent at once */
	}
	if (off < APIC_ID || off > APIC_TDCR)
		return 0;
	return reg(apic, off);
}

/* RINGVM_GET_LAPIC: the first @len bytes of the page, PPR and TMCCT as read now. */
void rv_lapic_get_regs(struct rv_lapic *apic, void *out, unsigned int len)
{
	len = min_t(unsigned int, len, RV_LAPIC_SIZE);
	memcpy(out, apic->regs, len);
	if (len > APIC_PROCPRI)
		((u32 *)out)[APIC_PROCPRI / 4] = rv_lapic_ppr(apic);
	if (len > APIC_TMCCT)
		((u32 *)out)[APIC_TMCCT / 4] = timer_current_count(apic);
}

static u32 lvt_writable(u32 off)
{
	switch (off) {
	case APIC_LVTT:
		return APIC_VECTOR_MASK | APIC_LVT_MASKED | LVT_TIMER_MODE;
	case APIC_LVT0:
	case APIC_LVT1:
		return APIC_VECTOR_MASK | APIC_MODE_MASK | LVT_POLARITY |
		       APIC_LVT_LEVEL_TRIGGER | APIC_LVT_MASKED;
	case APIC_LVTERR:
		return APIC_VECTOR_MASK | APIC_LVT_MASKED;
	default:		/* thermal, performance counters */
		return APIC_VECTOR_MASK | APIC_MODE_MASK | APIC_LVT_MASKED;
	}
}

static bool is_lvt(u32 off)
{
	unsigned int i;

	for (i = 0; i < RV_LAPIC_NR_LVT; i++)
		if (lvt_regs[i] == off)
			return true;
	return false;
}

static void write_lvt(struct rv_lapic *apic, u32 off, u32 val)
{
	u32 old = reg(apic, off);

	val &= lvt_writable(off);
	/* A software-disabled APIC keeps every LVT masked. */
	if (!rv_lapic_sw_enabled(apic))
		val |= APIC_LVT_MASKED;
	set_reg(apic, off, (old & ~lvt_writable(off)) | val);
	/* A new timer mode starts from a stopped timer, as KVM's does. */
	if (off == APIC_LVTT && (old & LVT_TIMER_MODE) != (val & LVT_TIMER_MODE)) {
		timer_stop(apic);
		set_reg(apic, APIC_TMICT, 0);
		apic->timer.tsc_deadline = 0;
	}
}

static void write_svr(struct rv_lapic *apic, u32 val)
{
	unsigned int i;

	set_reg(apic, APIC_SPIV, val & SVR_MASK);
	if (val & APIC_SPIV_APIC_ENABLED)
		return;
	for (i = 0; i < RV_LAPIC_NR_LVT; i++)
		set_reg(apic, lvt_regs[i], reg(apic, lvt_regs[i]) | APIC_LVT_MASKED);
}

/*
 * RINGVM_SET_LAPIC, on the vCPU thread: the registers from @in, less what
 * follows from the base MSR (ID, LDR in x2APIC mode) and the version; a
 * count-down timer with TMICT set starts afresh, a deadline timer waits
 * for its MSR.  Errors pending in ESR are dropped.
 */
void rv_lapic_set_regs(struct rv_lapic *apic, const void *in, unsigned int len)
{
	unsigned int i;

	timer_stop(apic);
	memset(&apic->timer, 0, sizeof(apic->timer));
	xchg(&apic->esr_pending, 0);
	memcpy(apic->regs, in, min_t(unsigned int, len, RV_LAPIC_SIZE));
	set_reg(apic, APIC_LVR, LVR_VALUE);
	/*
	 * The VMM's state goes through the guest's rules: no LVT bit the
	 * guest could not write, no reserved timer mode (3), every LVT
	 * masked while the APIC is software-disabled, and no vector 0-15
	 * pending, in service or level (nothing may deliver those).
	 */
	for (i = 0; i < RV_LAPIC_NR_LVT; i++)
		set_reg(apic, lvt_regs[i], reg(apic, lvt_regs[i]) & lvt_writable(lvt_regs[i]));
	if (timer_mode(apic) == LVT_TIMER_MODE)
		set_reg(apic, APIC_LVTT, reg(apic, APIC_LVTT) & ~LVT_TIMER_MODE);
	write_svr(apic, reg(apic, APIC_SPIV));
	set_reg(apic, APIC_IRR, reg(apic, APIC_IRR) & ~0xffffu);
	set_reg(apic, APIC_ISR, reg(apic, APIC_ISR) & ~0xffffu);
	set_reg(apic, APIC_TMR, reg(apic, APIC_TMR) & ~0xffffu);
	set_identity(apic);
	if (timer_mode(apic) != APIC_LVT_TIMER_TSCDEADLINE)
		timer_start_count(apic);
}

/*
 * Write @val to the register at @off.  In x2APIC mode a write the SDM
 * says faults (read-only or absent register, a non-zero EOI or ESR)
 * returns -EINVAL for #GP; in xAPIC mode it is dropped, and an absent
 * register sets the ESR's illegal-register bit.
 */
static int write_register(struct rv_lapic *apic, u32 off, u32 val, bool x2apic)
{
	switch (off) {
	case APIC_TASKPRI:
		if (x2apic && (val & ~0xffu))
			return -EINVAL;
		set_reg(apic, off, val & 0xff);
		return 0;
	case APIC_EOI:
		if (x2apic && val)
			return -EINVAL;
		do_eoi(apic);
		return 0;
	case APIC_LDR:
		if (x2apic)
			return -EINVAL;
		set_reg(apic, off, val & APIC_LDR_MASK);
		return 0;
	case APIC_DFR:
		if (x2apic)
			return -EINVAL;
		set_reg(apic, off, val | APIC_DFR_CLUSTER);
		return 0;
	case APIC_SPIV:
		if (x2apic && (val & ~SVR_MASK))
			return -EINVAL;
		write_svr(apic, val);
		return 0;
	case APIC_ESR:
		if (x2apic && val)
			return -EINVAL;
		set_reg(apic, off, xchg(&apic->esr_pending, 0));
		return 0;
	case APIC_ICR:
		set_reg(apic, off, val & ~APIC_ICR_BUSY);
		send_ipi(apic, val, reg(apic, APIC_ICR2) >> 24);
		return 0;
	case APIC_ICR2:
		if (x2apic)
			return -EINVAL;
		set_reg(apic, off, val & 0xff000000);
		return 0;
	case APIC_TMICT:
		if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
			return 0;
		set_reg(apic, off, val);
		timer_start_count(apic);
		return 0;
	case APIC_TDCR:
		if (x2apic && (val & ~0xbu))
			return -EINVAL;
		timer_set_divide(apic, val & 0xb);
		return 0;
	case APIC_SELF_IPI:
		if (!x2apic) {
			set_bit(ESR_ILLEGAL_REGISTER_BIT, &apic->esr_pending);
			return 0;
		}
		if (val & ~APIC_VECTOR_MASK)
			return -EINVAL;
		send_ipi(apic, (val & APIC_VECTOR_MASK) | APIC_DEST_SELF, 0);
		return 0;
	case APIC_ID:
	case APIC_LVR:
	case APIC_PROCPRI:
	case APIC_TMCCT:
		return x2apic ? -EINVAL : 0;	/* read-only; the ID too, as KVM's x2APIC */
	}
	if (is_lvt(off)) {
		if (x2apic && (val & ~lvt_writable(off)))
			return -EINVAL;
		write_lvt(apic, off, val);
		return 0;
	}
	if (x2apic)
		return -EINVAL;
	/* ISR, TMR, IRR and the rest are read-only or absent. */
	if (off < APIC_ISR || off >= APIC_ESR)
		set_bit(ESR_ILLEGAL_REGISTER_BIT, &apic->esr_pending);
	return 0;
}

/*
 * xAPIC MMIO in the APIC page (@offset from the base).  Reads of 1, 2 or 4
 * bytes within a register; writes of 4 bytes at its start, others dropped.
 * Returns -ENODEV when the APIC is not in xAPIC mode: the page is then
 * not the APIC's.
 */
int rv_lapic_mmio_read(struct rv_lapic *apic, u32 offset, unsigned int len, u32 *val)
{
	u32 v;

	if (!rv_lapic_hw_enabled(apic) || rv_lapic_x2apic(apic) || offset >= RV_LAPIC_SIZE)
		return -ENODEV;
	if (!len || (offset & 3) + len > 4) {
		*val = 0;
		return 0;
	}
	v = (offset & 0xf) >= 4 ? 0 : read_register(apic, offset & ~0xfu);
	v >>= (offset & 3) * 8;
	*val = len == 4 ? v : v & ((1u << (len * 8)) - 1);
	return 0;
}

int rv_lapic_mmio_write(struct rv_lapic *apic, u32 offset, unsigned int len, u32 val)
{
	if (!rv_lapic_hw_enabled(apic) || rv_lapic_x2apic(apic) || offset >= RV_LAPIC_SIZE)
		return -ENODEV;
	if (len != 4 || (offset & 0xf))
		return 0;
	return write_register(apic, offset, val, false);
}

/*
 * RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range.
 * Returns -ENOENT for an MSR that is not the APIC's, -EINVAL for #GP.
 */
int rv_lapic_rdmsr(struct rv_lapic *apic, u32 msr, u64 *val)
{
	u32 off = (msr - X2APIC_MSR_FIRST) << 4;

	if (msr == RV_MSR_APICBASE) {
		*val = apic->base;
		return 0;
	}
	if (msr == RV_MSR_TSC_DEADLINE) {
		*val = timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE ?
		       apic->timer.tsc_deadline : 0;
		return 0;
	}
	if (msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST)
		return -ENOENT;
	if (!rv_lapic_x2apic(apic))
		return -EINVAL;
	switch (off) {
	case APIC_ICR:
		*val = (u64)reg(apic, APIC_ICR2) << 32 | read_register(apic, APIC_ICR);
		return 0;
	case APIC_EOI:
	case APIC_SELF_IPI:
	case APIC_DFR:
	case APIC_ICR2:
	case APIC_ARBPRI:
	case APIC_RRR:
	case APIC_LVTCMCI:
		return -EINVAL;		/* write-only or absent in x2APIC mode */
	}
	if (off < APIC_ID || off > APIC_TDCR || (off > APIC_LVR && off < APIC_TASKPRI) ||
	    (off > APIC_ESR && off < APIC_ICR) || (off > APIC_TMCCT && off < APIC_TDCR))
		return -EINVAL;		/* reserved */
	*val = read_register(apic, off);
	return 0;
}

int rv_lapic_wrmsr(struct rv_lapic *apic, u32 msr, u64 val)
{
	u32 off = (msr - X2APIC_MSR_FIRST) << 4;

	if (msr == RV_MSR_APICBASE)
		return rv_lapic_set_base(apic, val, false);
	if (msr == RV_MSR_TSC_DEADLINE) {
		if (timer_mode(apic) == APIC_LVT_TIMER_TSCDEADLINE)
			timer_set_deadline(apic, val);
		return 0;
	}
	if (msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST)
		return -ENOENT;
	if (!rv_lapic_x2apic(apic))
		return -EINVAL;
	if (off == APIC_ICR) {
		set_reg(apic, APIC_ICR2, val >> 32);
		set_reg(apic, APIC_ICR, (u32)val & ~APIC_ICR_BUSY);
		send_ipi(apic, val, val >> 32);
		return 0;
	}
	if (val >> 32)
		return -EINVAL;
	return write_register(apic, off, val, true);
}
