// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the vendor-neutral interrupt controllers (kmod/irqchip/),
 * built for userspace with stand-in kernel headers (shim/) and run on the
 * build machine by run_unit.sh: the I/O APIC's registers, pin semantics
 * (edge, level, remote IRR, EOI, masking) and the MSI decoder.  A fake
 * local-APIC side records every message and checks that it is called with
 * the I/O APIC's lock held and never re-enters it.
 */
#include "kselftest_harness.h"

#include "../../kmod/irqchip/ioapic.h"

#define MAX_MSGS 16

static struct {
	struct rv_ioapic *io;
	struct rv_apic_msg msg[MAX_MSGS];
	int nr;
	int accept;		/* what deliver() returns */
	unsigned int acked[MAX_MSGS];
	int nr_acked;
	bool lower_on_ack;	/* the acked() source lowers its line */
	bool rewrite_on_ack;	/* and the entry is rewritten before it does */
} fake;

static int fake_deliver(void *ctx, const struct rv_apic_msg *msg)
{
	assert(ctx == &fake);
	assert(spin_is_locked(&fake.io->lock));
	if (fake.nr < MAX_MSGS)
		fake.msg[fake.nr++] = *msg;
	return fake.accept;
}

static void redir(struct rv_ioapic *io, unsigned int pin, u64 e);
static u64 redir_read(struct rv_ioapic *io, unsigned int pin);

static void fake_acked(void *ctx, unsigned int pin)
{
	assert(!spin_is_locked(&fake.io->lock));
	if (fake.nr_acked < MAX_MSGS)
		fake.acked[fake.nr_acked++] = pin;
	/* Another vCPU rewrites the entry (an affinity change) meanwhile. */
	if (fake.rewrite_on_ack)
		redir(fake.io, pin, redir_read(fake.io, pin));
	if (fake.lower_on_ack)
		rv_ioapic_set_irq(fake.io, pin, false);
}

static const struct rv_ioapic_ops fake_ops = {
	.deliver = fake_deliver,
	.acked = fake_acked,
};

static struct rv_ioapic *new_ioapic(void)
{
	static struct rv_ioapic io;

	memset(&fake, 0, sizeof(fake));
	fake.io = &io;
	fake.accept = 1;
	rv_ioapic_init(&io, &fake_ops, &fake);
	return &io;
}

static u32 reg_read(struct rv_ioapic *io, u32 reg)
{
	u64 v = 0;

	assert(!rv_ioapic_mmio_write(io, RV_IOAPIC_BASE, 4, reg));
	assert(!rv_ioapic_mmio_read(io, RV_IOAPIC_BASE + 0x10, 4, &v));
	return v;
}

static void reg_write(struct rv_ioapic *io, u32 reg, u32 val)
{
	assert(!rv_ioapic_mmio_write(io, RV_IOAPIC_BASE, 4, reg));
	assert(!rv_ioapic_mmio_write(io, RV_IOAPIC_BASE + 0x10, 4, val));
}

static void redir(struct rv_ioapic *io, unsigned int pin, u64 e)
{
	reg_write(io, 0x10 + 2 * pin, e);
	reg_write(io, 0x11 + 2 * pin, e >> 32);
}

static u64 redir_read(struct rv_ioapic *io, unsigned int pin)
{
	return reg_read(io, 0x10 + 2 * pin) | (u64)reg_read(io, 0x11 + 2 * pin) << 32;
}

#define LEVEL		(1ULL << 15)
#define MASKED		(1ULL << 16)
#define REMOTE_IRR	(1ULL << 14)
#define DEST(id)	((u64)(id) << 56)

TEST(identification_and_reset)
{
	struct rv_ioapic *io = new_ioapic();
	unsigned int pin;

	/* Version 0x11, 24 entries (maximum redirection entry 23). */
	EXPECT_EQ(0x170011, reg_read(io, 0x01));
	EXPECT_EQ(0, reg_read(io, 0x00));
	reg_write(io, 0x00, 0x0a000000);
	EXPECT_EQ(0x0a000000, reg_read(io, 0x00));
	/* ID bits only; version is read-only. */
	reg_write(io, 0x00, 0xffffffff);
	EXPECT_EQ(0x0f000000, reg_read(io, 0x00));
	reg_write(io, 0x01, 0);
	EXPECT_EQ(0x170011, reg_read(io, 0x01));
	for (pin = 0; pin < RV_IOAPIC_PINS; pin++)
		EXPECT_EQ(MASKED, redir_read(io, pin));
	/* Past the last entry: nothing there. */
	EXPECT_EQ(0xffffffff, reg_read(io, 0x10 + 2 * RV_IOAPIC_PINS));
	EXPECT_EQ(0, fake.nr);
}

TEST(edge_pin_delivers_on_rising_edge_only)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 4, 0x31 | DEST(2));
	EXPECT_EQ(1, rv_ioapic_set_irq(io, 4, true));
	ASSERT_EQ(1, fake.nr);
	EXPECT_EQ(0x31, fake.msg[0].vector);
	EXPECT_EQ(2, fake.msg[0].dest_id);
	EXPECT_EQ(APIC_DM_FIXED, fake.msg[0].delivery_mode);
	EXPECT_FALSE(fake.msg[0].dest_logical);
	EXPECT_FALSE(fake.msg[0].level_trig);
	/* Still high: no new edge (coalesced). */
	EXPECT_EQ(0, rv_ioapic_set_irq(io, 4, true));
	EXPECT_EQ(1, fake.nr);
	/* A pulse is an edge. */
	EXPECT_EQ(1, rv_ioapic_set_irq(io, 4, false));
	EXPECT_EQ(1, rv_ioapic_set_irq(io, 4, true));
	EXPECT_EQ(2, fake.nr);
	/* Edge entries never show a remote IRR. */
	EXPECT_EQ(0, redir_read(io, 4) & REMOTE_IRR);
}

TEST(edge_while_masked_is_lost)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 1, 0x41 | MASKED);
	EXPECT_EQ(-1, rv_ioapic_set_irq(io, 1, true));
	rv_ioapic_set_irq(io, 1, false);
	redir(io, 1, 0x41);
	EXPECT_EQ(0, fake.nr);
}

TEST(level_pin_waits_for_eoi)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 10, 0x52 | LEVEL | DEST(1));
	EXPECT_EQ(1, rv_ioapic_set_irq(io, 10, true));
	ASSERT_EQ(1, fake.nr);
	EXPECT_TRUE(fake.msg[0].level_trig);
	EXPECT_TRUE(redir_read(io, 10) & REMOTE_IRR);
	/* In service: coalesced. */
	EXPECT_EQ(0, rv_ioapic_set_irq(io, 10, true));
	EXPECT_EQ(1, fake.nr);
	/* Another vector's EOI releases nothing. */
	rv_ioapic_eoi(io, 0x53);
	EXPECT_EQ(1, fake.nr);
	EXPECT_EQ(0, fake.nr_acked);
	/* EOI with the line still high: delivered again. */
	rv_ioapic_eoi(io, 0x52);
	EXPECT_EQ(2, fake.nr);
	ASSERT_EQ(1, fake.nr_acked);
	EXPECT_EQ(10, fake.acked[0]);
	EXPECT_TRUE(redir_read(io, 10) & REMOTE_IRR);
	/* Line low, then EOI: remote IRR clears and nothing more comes. */
	rv_ioapic_set_irq(io, 10, false);
	rv_ioapic_eoi(io, 0x52);
	EXPECT_EQ(2, fake.nr);
	EXPECT_EQ(0, redir_read(io, 10) & REMOTE_IRR);
}

TEST(resample_lowering_the_line_stops_redelivery)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 11, 0x60 | LEVEL);
	rv_ioapic_set_irq(io, 11, true);
	fake.lower_on_ack = true;
	rv_ioapic_eoi(io, 0x60);
	EXPECT_EQ(1, fake.nr);
	EXPECT_EQ(1, fake.nr_acked);
	EXPECT_EQ(0, redir_read(io, 11) & REMOTE_IRR);
}

TEST(resample_races_an_entry_rewrite)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 12, 0x61 | LEVEL);
	rv_ioapic_set_irq(io, 12, true);
	fake.lower_on_ack = true;
	fake.rewrite_on_ack = true;
	rv_ioapic_eoi(io, 0x61);
	/* The rewrite saw the remote IRR still set: no second delivery. */
	EXPECT_EQ(1, fake.nr);
	EXPECT_EQ(0, redir_read(io, 12) & REMOTE_IRR);
}

TEST(level_nmi_entry_holds_no_remote_irr)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 13, LEVEL | APIC_DM_NMI);
	EXPECT_EQ(1, rv_ioapic_set_irq(io, 13, true));
	EXPECT_EQ(0, redir_read(io, 13) & REMOTE_IRR);
}

TEST(level_masked_then_unmasked_delivers)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 5, 0x70 | LEVEL | MASKED);
	EXPECT_EQ(-1, rv_ioapic_set_irq(io, 5, true));
	EXPECT_EQ(0, fake.nr);
	redir(io, 5, 0x70 | LEVEL);
	ASSERT_EQ(1, fake.nr);
	EXPECT_EQ(0x70, fake.msg[0].vector);
	EXPECT_TRUE(redir_read(io, 5) & REMOTE_IRR);
}

TEST(not_accepted_level_keeps_no_remote_irr)
{
	struct rv_ioapic *io = new_ioapic();

	fake.accept = 0;
	redir(io, 6, 0x71 | LEVEL);
	EXPECT_EQ(0, rv_ioapic_set_irq(io, 6, true));
	EXPECT_EQ(0, redir_read(io, 6) & REMOTE_IRR);
}

TEST(read_only_bits_and_edge_switch)
{
	struct rv_ioapic *io = new_ioapic();

	/* Delivery status (12) and remote IRR (14) cannot be written. */
	redir(io, 2, 0x80 | (1ULL << 12) | REMOTE_IRR);
	EXPECT_EQ(0x80, redir_read(io, 2));
	redir(io, 3, 0x81 | LEVEL);
	rv_ioapic_set_irq(io, 3, true);
	EXPECT_TRUE(redir_read(io, 3) & REMOTE_IRR);
	/* Switching to edge drops the remote IRR. */
	redir(io, 3, 0x81);
	EXPECT_EQ(0, redir_read(io, 3) & REMOTE_IRR);
}

TEST(message_fields)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 9, 0x90 | APIC_DM_LOWEST | (1ULL << 11) | DEST(0x0f));
	rv_ioapic_set_irq(io, 9, true);
	ASSERT_EQ(1, fake.nr);
	EXPECT_EQ(APIC_DM_LOWEST, fake.msg[0].delivery_mode);
	EXPECT_TRUE(fake.msg[0].dest_logical);
	EXPECT_EQ(0x0f, fake.msg[0].dest_id);
	EXPECT_EQ(RV_APIC_DEST_NOSHORT, fake.msg[0].shorthand);
	EXPECT_TRUE(fake.msg[0].assert);
}

TEST(mmio_widths_and_bounds)
{
	struct rv_ioapic *io = new_ioapic();
	u64 v;

	reg_write(io, 0x01, 0);
	/* Byte and word reads of IOWIN. */
	ASSERT_EQ(0, rv_ioapic_mmio_read(io, RV_IOAPIC_BASE + 0x10, 1, &v));
	EXPECT_EQ(0x11, v);
	ASSERT_EQ(0, rv_ioapic_mmio_read(io, RV_IOAPIC_BASE + 0x12, 2, &v));
	EXPECT_EQ(0x17, v);
	/* Reserved offsets read 0; sub-dword writes are ignored. */
	ASSERT_EQ(0, rv_ioapic_mmio_read(io, RV_IOAPIC_BASE + 0x04, 4, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, rv_ioapic_mmio_write(io, RV_IOAPIC_BASE, 1, 0x00));
	ASSERT_EQ(0, rv_ioapic_mmio_read(io, RV_IOAPIC_BASE, 4, &v));
	EXPECT_EQ(0x01, v);
	/* Outside the window, or a silly length: refused. */
	EXPECT_EQ(-EINVAL, rv_ioapic_mmio_read(io, RV_IOAPIC_BASE + RV_IOAPIC_SIZE, 4, &v));
	EXPECT_EQ(-EINVAL, rv_ioapic_mmio_read(io, RV_IOAPIC_BASE - 4, 4, &v));
	EXPECT_EQ(-EINVAL, rv_ioapic_mmio_write(io, RV_IOAPIC_BASE, 16, 0));
	EXPECT_EQ(-EINVAL, rv_ioapic_set_irq(io, RV_IOAPIC_PINS, true));
}

TEST(eoi_register_broadcasts)
{
	struct rv_ioapic *io = new_ioapic();

	redir(io, 7, 0xa0 | LEVEL);
	rv_ioapic_set_irq(io, 7, true);
	ASSERT_EQ(0, rv_ioapic_mmio_write(io, RV_IOAPIC_BASE + 0x40, 4, 0xa0));
	EXPECT_EQ(2, fake.nr);
	EXPECT_EQ(1, fake.nr_acked);
}

TEST(msi_decoding)
{
	struct rv_apic_msg m;

	ASSERT_TRUE(rv_msi_to_msg(0xfee03000 | (1u << 2), 0x4000 | APIC_DM_LOWEST | 0x45, &m));
	EXPECT_EQ(3, m.dest_id);
	EXPECT_TRUE(m.dest_logical);
	EXPECT_EQ(APIC_DM_LOWEST, m.delivery_mode);
	EXPECT_EQ(0x45, m.vector);
	EXPECT_FALSE(m.level_trig);
	ASSERT_TRUE(rv_msi_to_msg(0xfee00000, APIC_DM_NMI, &m));
	EXPECT_EQ(APIC_DM_NMI, m.delivery_mode);
	/* Outside the window, above 4 GiB, SMI and the reserved modes: refused. */
	EXPECT_FALSE(rv_msi_to_msg(0xfed00000, 0x40, &m));
	EXPECT_FALSE(rv_msi_to_msg(0x1fee00000ULL, 0x40, &m));
	EXPECT_FALSE(rv_msi_to_msg(0xfee00000, APIC_DM_SMI | 0x40, &m));
	EXPECT_FALSE(rv_msi_to_msg(0xfee00000, APIC_DM_REMRD | 0x40, &m));
	EXPECT_FALSE(rv_msi_to_msg(0xfee00000, APIC_DM_STARTUP | 0x40, &m));
}

TEST_HARNESS_MAIN
