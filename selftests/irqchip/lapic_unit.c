// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the local APIC model (kmod/irqchip/lapic.c), built for
 * userspace by run_unit.sh: reset state, acceptance and priorities (IRR,
 * ISR, TPR, PPR), EOI and its broadcast, IPIs through the ICR, destination
 * matching in every addressing mode, the APIC base MSR's mode transitions,
 * x2APIC MSR access and its #GP rules, xAPIC MMIO widths, LVTs and LINT
 * pins, and the timer in one-shot, periodic and TSC-deadline modes against
 * a fake clock.
 */
#include <assert.h>

#include "kselftest_harness.h"

#include "../../kmod/irqchip/lapic.h"

static struct {
	int kicks, nmis, inits;
	int sipi_vector;
	int eoi_vector;		/* last broadcast, -1 for none */
	struct rv_apic_msg ipi[8];
	int nr_ipi;
	u64 now, tsc;
	u64 armed_at;		/* 0: not armed */
	int cancels;
} fake;

static u32 page[1024] __attribute__((aligned(4096)));

static void f_kick(void *c) { fake.kicks++; }
static void f_nmi(void *c) { fake.nmis++; }
static void f_init(void *c) { fake.inits++; }
static void f_sipi(void *c, u8 v) { fake.sipi_vector = v; }
static void f_eoi(void *c, u8 v) { fake.eoi_vector = v; }
static void f_ipi(void *c, const struct rv_apic_msg *m) { fake.ipi[fake.nr_ipi++ & 7] = *m; }
static u64 f_now(void *c) { return fake.now; }
static u64 f_tsc(void *c) { return fake.tsc; }
static void f_arm(void *c, u64 at) { fake.armed_at = at; }
static void f_cancel(void *c) { fake.armed_at = 0; fake.cancels++; }

static const struct rv_lapic_ops ops = {
	.kick = f_kick, .nmi = f_nmi, .init = f_init, .sipi = f_sipi,
	.eoi_broadcast = f_eoi, .send_ipi = f_ipi, .now_ns = f_now, .guest_tsc = f_tsc,
	.timer_arm = f_arm, .timer_cancel = f_cancel,
};

static struct rv_lapic *new_apic(u32 id)
{
	static struct rv_lapic apic;

	memset(&fake, 0, sizeof(fake));
	fake.eoi_vector = -1;
	fake.now = 1000000;
	rv_lapic_init(&apic, page, id, id == 0, &ops, NULL);
	return &apic;
}

static u32 rd(struct rv_lapic *a, u32 off)
{
	u32 v = 0xdeadbeef;

	assert(!rv_lapic_mmio_read(a, off, 4, &v));
	return v;
}

static void wr(struct rv_lapic *a, u32 off, u32 v)
{
	assert(!rv_lapic_mmio_write(a, off, 4, v));
}

static struct rv_lapic *enabled_apic(u32 id)
{
	struct rv_lapic *a = new_apic(id);

	wr(a, APIC_SPIV, 0x1ff);
	return a;
}

static int fixed(struct rv_lapic *a, u8 vector, bool level)
{
	struct rv_apic_msg m = {
		.vector = vector, .delivery_mode = APIC_DM_FIXED, .level_trig = level,
		.assert = true,
	};

	return rv_lapic_accept(a, &m);
}

TEST(reset_state)
{
	struct rv_lapic *a = new_apic(3);

	EXPECT_EQ(3u << 24, rd(a, APIC_ID));
	EXPECT_EQ(0x50014, rd(a, APIC_LVR));
	EXPECT_EQ(0xff, rd(a, APIC_SPIV));
	EXPECT_EQ(0xffffffff, rd(a, APIC_DFR));
	EXPECT_EQ(APIC_LVT_MASKED, rd(a, APIC_LVTT));
	EXPECT_EQ(APIC_LVT_MASKED, rd(a, APIC_LVT0));
	EXPECT_EQ(APIC_LVT_MASKED, rd(a, APIC_LVTERR));
	EXPECT_EQ(0xfee00800ULL, a->base);
	EXPECT_FALSE(rv_lapic_accept_pic_intr(a));
	/* The boot CPU's LINT0 is an unmasked ExtINT: the PIC reaches it. */
	a = new_apic(0);
	EXPECT_EQ(0xfee00900ULL, a->base);
	EXPECT_EQ(APIC_DM_EXTINT, rd(a, APIC_LVT0));
	EXPECT_TRUE(rv_lapic_accept_pic_intr(a));
}

TEST(level_deassert_carries_no_interrupt)
{
	struct rv_lapic *a = enabled_apic(0);
	struct rv_apic_msg m = {
		.vector = 0x50, .delivery_mode = APIC_DM_FIXED, .level_trig = true,
	};

	EXPECT_EQ(0, rv_lapic_accept(a, &m));
	EXPECT_EQ(-1, rv_lapic_pending_vector(a));
}

TEST(software_disabled_accepts_no_fixed_interrupts)
{
	struct rv_lapic *a = new_apic(0);

	EXPECT_EQ(0, fixed(a, 0x40, false));
	EXPECT_EQ(-1, rv_lapic_pending_vector(a));
	wr(a, APIC_SPIV, 0x1ff);
	EXPECT_EQ(1, fixed(a, 0x40, false));
	EXPECT_EQ(1, fake.kicks);
	EXPECT_EQ(0x40, rv_lapic_pending_vector(a));
}

TEST(priorities_ppr_and_eoi)
{
	struct rv_lapic *a = enabled_apic(0);

	fixed(a, 0x40, false);
	fixed(a, 0x61, false);
	EXPECT_EQ(0x61, rv_lapic_pending_vector(a));
	rv_lapic_acknowledge(a, 0x61);
	EXPECT_EQ(0x60, rd(a, APIC_PROCPRI));
	EXPECT_EQ(1u << 1, rd(a, APIC_ISR + 3 * 0x10));
	/* 0x40 ranks below the class in service. */
	EXPECT_EQ(-1, rv_lapic_pending_vector(a));
	/* Same class as in service: held back too. */
	fixed(a, 0x65, false);
	EXPECT_EQ(-1, rv_lapic_pending_vector(a));
	wr(a, APIC_EOI, 0);
	EXPECT_EQ(0, rd(a, APIC_ISR + 3 * 0x10));
	EXPECT_EQ(-1, fake.eoi_vector);	/* edge: no broadcast */
	EXPECT_EQ(0x65, rv_lapic_pending_vector(a));
	/* TPR raises the bar. */
	wr(a, APIC_TASKPRI, 0x70);
	EXPECT_EQ(-1, rv_lapic_pending_vector(a));
	EXPECT_EQ(0x70, rd(a, APIC_PROCPRI));
	wr(a, APIC_TASKPRI, 0x3f);
	EXPECT_EQ(0x65, rv_lapic_pending_vector(a));
}

TEST(level_vector_eoi_is_broadcast)
{
	struct rv_lapic *a = enabled_apic(0);

	fixed(a, 0x52, true);
	EXPECT_EQ(1u << 18, rd(a, APIC_TMR + 2 * 0x10));
	rv_lapic_acknowledge(a, 0x52);
	wr(a, APIC_EOI, 0);
	EXPECT_EQ(0x52, fake.eoi_vector);
	/* An edge on the same vector clears its TMR bit. */
	fixed(a, 0x52, false);
	EXPECT_EQ(0, rd(a, APIC_TMR + 2 * 0x10));
}

TEST(coalescing_and_illegal_vectors)
{
	struct rv_lapic *a = enabled_apic(0);

	EXPECT_EQ(1, fixed(a, 0x33, false));
	/* Already pending: merged, but accepted (a level source waits for the EOI). */
	EXPECT_EQ(1, fixed(a, 0x33, false));
	EXPECT_EQ(0, fixed(a, 0x0f, false));
	wr(a, APIC_ESR, 0);
	EXPECT_EQ(1u << 6, rd(a, APIC_ESR));
	wr(a, APIC_ESR, 0);
	EXPECT_EQ(0, rd(a, APIC_ESR));
}

TEST(ipis_through_the_icr)
{
	struct rv_lapic *a = enabled_apic(0);

	wr(a, APIC_ICR2, 3u << 24);
	wr(a, APIC_ICR, APIC_INT_ASSERT | 0x31);
	ASSERT_EQ(1, fake.nr_ipi);
	EXPECT_EQ(0x31, fake.ipi[0].vector);
	EXPECT_EQ(3, fake.ipi[0].dest_id);
	EXPECT_EQ(APIC_DM_FIXED, fake.ipi[0].delivery_mode);
	EXPECT_FALSE(fake.ipi[0].dest_logical);
	EXPECT_EQ(0, rd(a, APIC_ICR) & APIC_ICR_BUSY);
	/* INIT assert, then the de-assert Linux sends, which goes nowhere. */
	wr(a, APIC_ICR, APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT);
	wr(a, APIC_ICR, APIC_INT_LEVELTRIG | APIC_DM_INIT);
	EXPECT_EQ(2, fake.nr_ipi);
	EXPECT_EQ(APIC_DM_INIT, fake.ipi[1].delivery_mode);
	wr(a, APIC_ICR, APIC_DM_STARTUP | 0x9a);
	EXPECT_EQ(3, fake.nr_ipi);
	EXPECT_EQ(0x9a, fake.ipi[2].vector);
	/* SMI is refused; an illegal vector is an ESR error, not an IPI. */
	wr(a, APIC_ICR, APIC_DM_SMI);
	wr(a, APIC_ICR, 0x05);
	EXPECT_EQ(3, fake.nr_ipi);
	wr(a, APIC_ESR, 0);
	EXPECT_EQ(1u << 5, rd(a, APIC_ESR));
	/* Shorthands. */
	wr(a, APIC_ICR, APIC_DEST_ALLBUT | APIC_DM_NMI);
	EXPECT_EQ(APIC_DEST_ALLBUT, fake.ipi[3].shorthand);
}

TEST(destination_matching)
{
	static u32 page2[1024] __attribute__((aligned(4096)));
	struct rv_lapic b;
	struct rv_lapic *a = enabled_apic(2);
	struct rv_apic_msg m = { .delivery_mode = APIC_DM_FIXED };

	rv_lapic_init(&b, page2, 5, false, &ops, NULL);
	m.dest_id = 2;
	EXPECT_TRUE(rv_lapic_match_dest(a, &m, NULL));
	EXPECT_FALSE(rv_lapic_match_dest(&b, &m, NULL));
	m.dest_id = 0xff;
	EXPECT_TRUE(rv_lapic_match_dest(&b, &m, NULL));
	/* Logical, flat: LDR bit 1 of 8. */
	wr(a, APIC_LDR, 0x02000000);
	m.dest_logical = true;
	m.dest_id = 0x03;
	EXPECT_TRUE(rv_lapic_match_dest(a, &m, NULL));
	m.dest_id = 0x05;
	EXPECT_FALSE(rv_lapic_match_dest(a, &m, NULL));
	/* Logical, cluster: cluster 2, member bit 1. */
	wr(a, APIC_DFR, 0x0fffffff);
	wr(a, APIC_LDR, 0x22000000);
	m.dest_id = 0x23;
	EXPECT_TRUE(rv_lapic_match_dest(a, &m, NULL));
	m.dest_id = 0x12;
	EXPECT_FALSE(rv_lapic_match_dest(a, &m, NULL));
	/* Shorthands ignore the destination. */
	m.dest_id = 0;
	m.shorthand = APIC_DEST_SELF;
	EXPECT_TRUE(rv_lapic_match_dest(a, &m, a));
	EXPECT_FALSE(rv_lapic_match_dest(&b, &m, a));
	m.shorthand = APIC_DEST_ALLBUT;
	EXPECT_FALSE(rv_lapic_match_dest(a, &m, a));
	EXPECT_TRUE(rv_lapic_match_dest(&b, &m, a));
	/* x2APIC: physical 32-bit IDs, logical clusters of 16. */
	ASSERT_EQ(0, rv_lapic_set_base(&b, 0xfee00000 | RV_APICBASE_ENABLE | RV_APICBASE_X2APIC,
				       false));
	m.shorthand = RV_APIC_DEST_NOSHORT;
	m.dest_logical = false;
	m.dest_id = 5;
	EXPECT_TRUE(rv_lapic_match_dest(&b, &m, NULL));
	m.dest_logical = true;
	m.dest_id = (0u << 16) | (1u << 5);
	EXPECT_TRUE(rv_lapic_match_dest(&b, &m, NULL));
	m.dest_id = (1u << 16) | (1u << 5);
	EXPECT_FALSE(rv_lapic_match_dest(&b, &m, NULL));
	/* 0xff: a broadcast from an I/O APIC or MSI, APIC 255 from another x2APIC. */
	m.dest_logical = false;
	m.dest_id = 0xff;
	EXPECT_TRUE(rv_lapic_match_dest(&b, &m, NULL));
	EXPECT_FALSE(rv_lapic_match_dest(&b, &m, a));
	m.dest_logical = true;
	/* A hardware-disabled APIC is not on the bus. */
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000, false));
	m.dest_logical = false;
	m.dest_id = 0xff;
	EXPECT_FALSE(rv_lapic_match_dest(a, &m, NULL));
}

TEST(apic_base_mode_transitions)
{
	struct rv_lapic *a = enabled_apic(0x13);
	const u64 xapic = 0xfee00000 | RV_APICBASE_ENABLE | RV_APICBASE_BSP;
	const u64 x2apic = xapic | RV_APICBASE_X2APIC;
	u64 v;

	/* Reserved bits, and EXTD without EN. */
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, xapic | 1, false));
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, xapic | (1ULL << 40), false));
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, 0xfee00000 | RV_APICBASE_X2APIC, false));
	ASSERT_EQ(0, rv_lapic_set_base(a, x2apic, false));
	EXPECT_TRUE(rv_lapic_x2apic(a));
	ASSERT_EQ(0, rv_lapic_rdmsr(a, 0x802, &v));
	EXPECT_EQ(0x13, v);
	ASSERT_EQ(0, rv_lapic_rdmsr(a, 0x80d, &v));
	EXPECT_EQ((1u << 16) | (1u << 3), v);
	/* The xAPIC page is gone. */
	EXPECT_EQ(-ENODEV, rv_lapic_mmio_read(a, APIC_ID, 4, (u32 *)&v));
	/* x2APIC -> xAPIC is #GP for the guest, allowed to the VMM. */
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, xapic, false));
	EXPECT_EQ(0, rv_lapic_set_base(a, xapic, true));
	/* Disabled -> x2APIC directly is #GP; via xAPIC it is fine. */
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000, false));
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, x2apic, false));
	/* Without x2APIC in the guest's CPUID, or past MAXPHYADDR: #GP. */
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000 | RV_APICBASE_ENABLE, false));
	a->x2apic_allowed = false;
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, x2apic, false));
	a->maxphyaddr = 32;
	EXPECT_EQ(-EINVAL, rv_lapic_set_base(a, xapic | (1ULL << 33), false));
	a->x2apic_allowed = true;
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000, false));
	/* The guest cannot change the BSP flag. */
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000 | RV_APICBASE_ENABLE, false));
	EXPECT_TRUE(a->base & RV_APICBASE_BSP);
	EXPECT_EQ(0x13u << 24, rd(a, APIC_ID));
}

TEST(x2apic_msr_rules)
{
	struct rv_lapic *a = enabled_apic(1);
	u64 v;

	/* Not in x2APIC mode: every x2APIC MSR faults. */
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x802, &v));
	EXPECT_EQ(-ENOENT, rv_lapic_rdmsr(a, 0x10, &v));
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000 | RV_APICBASE_ENABLE | RV_APICBASE_X2APIC,
				       false));
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x80b, &v));	/* EOI: write-only */
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x83f, &v));	/* self IPI: write-only */
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x80e, &v));	/* no DFR */
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x831, &v));	/* no ICR2 */
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x829, &v));	/* reserved */
	EXPECT_EQ(-EINVAL, rv_lapic_rdmsr(a, 0x800, &v));
	EXPECT_EQ(-EINVAL, rv_lapic_wrmsr(a, 0x80b, 1));	/* non-zero EOI */
	EXPECT_EQ(-EINVAL, rv_lapic_wrmsr(a, 0x802, 7));	/* read-only ID */
	EXPECT_EQ(-EINVAL, rv_lapic_wrmsr(a, 0x80d, 7));	/* read-only LDR */
	EXPECT_EQ(-EINVAL, rv_lapic_wrmsr(a, 0x808, 1ULL << 32));	/* reserved half */
	EXPECT_EQ(-EINVAL, rv_lapic_wrmsr(a, 0x828, 1));	/* non-zero ESR */
	EXPECT_EQ(0, rv_lapic_wrmsr(a, 0x808, 0x20));
	ASSERT_EQ(0, rv_lapic_rdmsr(a, 0x808, &v));
	EXPECT_EQ(0x20, v);
	/* One 64-bit ICR: the destination is the high half. */
	EXPECT_EQ(0, rv_lapic_wrmsr(a, 0x830, (7ULL << 32) | APIC_INT_ASSERT | 0x44));
	ASSERT_EQ(1, fake.nr_ipi);
	EXPECT_EQ(7, fake.ipi[0].dest_id);
	EXPECT_EQ(0x44, fake.ipi[0].vector);
	ASSERT_EQ(0, rv_lapic_rdmsr(a, 0x830, &v));
	EXPECT_EQ((7ULL << 32) | APIC_INT_ASSERT | 0x44, v);
	/* Self IPI. */
	EXPECT_EQ(0, rv_lapic_wrmsr(a, 0x83f, 0x45));
	EXPECT_EQ(APIC_DEST_SELF, fake.ipi[1].shorthand);
	EXPECT_EQ(0x45, fake.ipi[1].vector);
	EXPECT_EQ(-EINVAL, rv_lapic_wrmsr(a, 0x83f, 0x145));
}

TEST(xapic_mmio_widths_and_illegal_registers)
{
	struct rv_lapic *a = enabled_apic(9);
	u32 v;

	ASSERT_EQ(0, rv_lapic_mmio_read(a, APIC_ID + 3, 1, &v));
	EXPECT_EQ(9, v);
	ASSERT_EQ(0, rv_lapic_mmio_read(a, APIC_LVR, 2, &v));
	EXPECT_EQ(0x14, v);
	/* A sub-dword write is dropped. */
	ASSERT_EQ(0, rv_lapic_mmio_write(a, APIC_TASKPRI, 1, 0x50));
	EXPECT_EQ(0, rd(a, APIC_TASKPRI));
	/* Read-only registers ignore writes; absent ones set ESR bit 7. */
	wr(a, APIC_LVR, 0);
	EXPECT_EQ(0x50014, rd(a, APIC_LVR));
	wr(a, 0x3f0, 0x33);		/* self IPI: x2APIC only */
	EXPECT_EQ(0, fake.nr_ipi);
	wr(a, APIC_ESR, 0);
	EXPECT_EQ(1u << 7, rd(a, APIC_ESR));
	EXPECT_EQ(-ENODEV, rv_lapic_mmio_read(a, RV_LAPIC_SIZE, 4, &v));
}

TEST(svr_disable_masks_lvts)
{
	struct rv_lapic *a = enabled_apic(0);

	wr(a, APIC_LVT0, APIC_DM_EXTINT);
	EXPECT_EQ(APIC_DM_EXTINT, rd(a, APIC_LVT0));
	wr(a, APIC_SPIV, 0xff);
	EXPECT_EQ(APIC_DM_EXTINT | APIC_LVT_MASKED, rd(a, APIC_LVT0));
	wr(a, APIC_LVT0, APIC_DM_EXTINT);
	EXPECT_EQ(APIC_DM_EXTINT | APIC_LVT_MASKED, rd(a, APIC_LVT0));
	/* Remote IRR and delivery status are read-only. */
	wr(a, APIC_SPIV, 0x1ff);
	wr(a, APIC_LVT1, APIC_DM_NMI | APIC_LVT_REMOTE_IRR | APIC_SEND_PENDING);
	EXPECT_EQ(APIC_DM_NMI, rd(a, APIC_LVT1));
}

TEST(lint_pins_and_the_pic)
{
	struct rv_lapic *a = enabled_apic(1);

	EXPECT_FALSE(rv_lapic_accept_pic_intr(a));	/* masked after reset */
	wr(a, APIC_LVT0, APIC_DM_EXTINT);
	EXPECT_TRUE(rv_lapic_accept_pic_intr(a));
	wr(a, APIC_LVT0, APIC_DM_EXTINT | APIC_LVT_MASKED);
	EXPECT_FALSE(rv_lapic_accept_pic_intr(a));
	/* A hardware-disabled APIC passes the PIC straight through. */
	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000, false));
	EXPECT_TRUE(rv_lapic_accept_pic_intr(a));
	a = enabled_apic(1);
	wr(a, APIC_LVT1, APIC_DM_NMI);
	rv_lapic_lint(a, 1, true);
	rv_lapic_lint(a, 1, false);
	EXPECT_EQ(1, fake.nmis);
	wr(a, APIC_LVT0, 0x38);		/* fixed vector 0x38 */
	rv_lapic_lint(a, 0, true);
	EXPECT_EQ(0x38, rv_lapic_pending_vector(a));
}

TEST(init_keeps_the_mode)
{
	struct rv_lapic *a = enabled_apic(6);
	u64 v = 1;

	ASSERT_EQ(0, rv_lapic_set_base(a, 0xfee00000 | RV_APICBASE_ENABLE | RV_APICBASE_X2APIC,
				       false));
	ASSERT_EQ(0, rv_lapic_wrmsr(a, 0x808, 0x40));
	rv_lapic_init_reset(a);
	EXPECT_TRUE(rv_lapic_x2apic(a));
	ASSERT_EQ(0, rv_lapic_rdmsr(a, 0x808, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, rv_lapic_rdmsr(a, 0x802, &v));
	EXPECT_EQ(6, v);
}

TEST(accepting_system_messages)
{
	struct rv_lapic *a = new_apic(0);	/* software-disabled still takes these */
	struct rv_apic_msg m = { .assert = true };

	m.delivery_mode = APIC_DM_INIT;
	EXPECT_EQ(1, rv_lapic_accept(a, &m));
	m.delivery_mode = APIC_DM_STARTUP;
	m.vector = 0x9f;
	EXPECT_EQ(1, rv_lapic_accept(a, &m));
	m.delivery_mode = APIC_DM_NMI;
	EXPECT_EQ(1, rv_lapic_accept(a, &m));
	m.delivery_mode = APIC_DM_SMI;
	EXPECT_EQ(0, rv_lapic_accept(a, &m));
	m.delivery_mode = APIC_DM_EXTINT;	/* the PIC comes through LINT0 only */
	EXPECT_EQ(0, rv_lapic_accept(a, &m));
	EXPECT_EQ(1, fake.inits);
	EXPECT_EQ(0x9f, fake.sipi_vector);
	EXPECT_EQ(1, fake.nmis);
}

TEST(timer_one_shot)
{
	struct rv_lapic *a = enabled_apic(0);

	wr(a, APIC_TDCR, 0xb);		/* divide by 1 */
	wr(a, APIC_LVTT, 0xec);
	wr(a, APIC_TMICT, 1000);
	EXPECT_EQ(fake.now + 1000, fake.armed_at);
	fake.now += 400;
	EXPECT_EQ(600, rd(a, APIC_TMCCT));
	fake.now += 600;
	EXPECT_EQ(0, rv_lapic_timer_expired(a));
	EXPECT_EQ(0xec, rv_lapic_pending_vector(a));
	EXPECT_EQ(0, rd(a, APIC_TMCCT));
	/* A stopped timer fires no more. */
	EXPECT_EQ(0, rv_lapic_timer_expired(a));
	/* A new divider mid-count keeps the count, at the new rate. */
	wr(a, APIC_TMICT, 1000);
	fake.now += 200;
	wr(a, APIC_TDCR, 0x0);		/* divide by 2 */
	EXPECT_EQ(fake.now + 1600, fake.armed_at);
	EXPECT_EQ(800, rd(a, APIC_TMCCT));
	/* TMICT 0 stops it. */
	wr(a, APIC_TMICT, 5000);
	wr(a, APIC_TMICT, 0);
	EXPECT_EQ(0, fake.armed_at);
}

TEST(timer_periodic_and_divide)
{
	struct rv_lapic *a = enabled_apic(0);
	u64 start = fake.now, next;

	wr(a, APIC_TDCR, 0x3);		/* divide by 16 */
	wr(a, APIC_LVTT, APIC_LVT_TIMER_PERIODIC | 0xef);
	wr(a, APIC_TMICT, 100000);
	EXPECT_EQ(start + 1600000, fake.armed_at);
	fake.now = start + 1600000;
	next = rv_lapic_timer_expired(a);
	EXPECT_EQ(start + 3200000, next);
	EXPECT_EQ(0xef, rv_lapic_pending_vector(a));
	/* Masked: counts on, raises nothing. */
	rv_lapic_acknowledge(a, 0xef);
	wr(a, APIC_EOI, 0);
	wr(a, APIC_LVTT, APIC_LVT_TIMER_PERIODIC | APIC_LVT_MASKED | 0xef);
	fake.now = next;
	EXPECT_EQ(next + 1600000, rv_lapic_timer_expired(a));
	EXPECT_EQ(-1, rv_lapic_pending_vector(a));
	/* A period too short for the host is stretched to the minimum. */
	wr(a, APIC_TDCR, 0xb);
	wr(a, APIC_TMICT, 1);
	EXPECT_EQ(fake.now + RV_LAPIC_MIN_PERIOD_NS, fake.armed_at);
}

TEST(timer_tsc_deadline)
{
	struct rv_lapic *a = enabled_apic(0);
	u64 v;

	a->tsc_khz = 2000000;		/* 2 GHz: 2 ticks a nanosecond */
	fake.tsc = 10000;
	/* Not in deadline mode: the MSR reads 0 and writes do nothing. */
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, 20000));
	ASSERT_EQ(0, rv_lapic_rdmsr(a, RV_MSR_TSC_DEADLINE, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, fake.armed_at);
	wr(a, APIC_LVTT, APIC_LVT_TIMER_TSCDEADLINE | 0xd0);
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, 20000));
	ASSERT_EQ(0, rv_lapic_rdmsr(a, RV_MSR_TSC_DEADLINE, &v));
	EXPECT_EQ(20000, v);
	EXPECT_EQ(fake.now + 5000, fake.armed_at);
	/* TMICT means nothing in this mode. */
	wr(a, APIC_TMICT, 77);
	EXPECT_EQ(0, rd(a, APIC_TMICT));
	EXPECT_EQ(0, rv_lapic_timer_expired(a));
	EXPECT_EQ(0xd0, rv_lapic_pending_vector(a));
	ASSERT_EQ(0, rv_lapic_rdmsr(a, RV_MSR_TSC_DEADLINE, &v));
	EXPECT_EQ(0, v);
	/* A deadline centuries away does not wrap into "now". */
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, ~0ULL));
	EXPECT_LT(fake.now + 1000000000000ULL, fake.armed_at);
	/* A deadline in the past fires at once; a mode change disarms. */
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, 5));
	EXPECT_EQ(fake.now, fake.armed_at);
	wr(a, APIC_LVTT, 0xd0);
	EXPECT_EQ(0, fake.armed_at);
}

/*
 * A far deadline on a slow TSC: converting ticks to nanoseconds in one
 * multiply-divide overflowed the 64-bit quotient (a #DE in the host).
 */
TEST(timer_tsc_deadline_slow_tsc)
{
	struct rv_lapic *a = enabled_apic(0);

	a->tsc_khz = 100000;		/* 100 MHz: 10 ns a tick */
	fake.tsc = 0;
	wr(a, APIC_LVTT, APIC_LVT_TIMER_TSCDEADLINE | 0xd0);
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, ~0ULL));
	EXPECT_LT(fake.now + 1000000000000ULL, fake.armed_at);
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, 1ULL << 40));
	EXPECT_EQ(fake.now + (1ULL << 40) * 10, fake.armed_at);
	ASSERT_EQ(0, rv_lapic_wrmsr(a, RV_MSR_TSC_DEADLINE, 150001));
	EXPECT_EQ(fake.now + 1500010, fake.armed_at);
}

/* SET_LAPIC's contents go through the guest's rules (a VMM cannot plant vector 3). */
TEST(set_regs_is_sanitised)
{
	struct rv_lapic *a = enabled_apic(0);
	u32 regs[256];

	rv_lapic_get_regs(a, regs, sizeof(regs));
	regs[APIC_IRR / 4] = 0x0001ffff;	/* vectors 0-16 pending */
	regs[APIC_ISR / 4] = 0x00000008;
	regs[APIC_TMR / 4] = 0x00010004;
	regs[APIC_LVTT / 4] = (3u << 17) | (1u << 12) | 0x40;	/* mode 3, delivery status */
	regs[APIC_LVT0 / 4] = 0xffffffff;
	regs[APIC_SPIV / 4] = 0xff;		/* software-disabled */
	rv_lapic_set_regs(a, regs, sizeof(regs));
	rv_lapic_get_regs(a, regs, sizeof(regs));
	EXPECT_EQ(0x00010000, regs[APIC_IRR / 4]);
	EXPECT_EQ(0, regs[APIC_ISR / 4]);
	EXPECT_EQ(0x00010000, regs[APIC_TMR / 4]);
	EXPECT_EQ(0, regs[APIC_LVTT / 4] & (3u << 17));
	EXPECT_EQ(0, regs[APIC_LVTT / 4] & (1u << 12));
	EXPECT_NE(0, regs[APIC_LVTT / 4] & APIC_LVT_MASKED);
	EXPECT_EQ(0x1a7ff, regs[APIC_LVT0 / 4]);
	EXPECT_EQ(16, rv_lapic_pending_vector(a));
}

TEST_HARNESS_MAIN
