// SPDX-License-Identifier: GPL-2.0
#include "devices/pic8259.h"

#include <gtest/gtest.h>

#include "tests/io_helpers.h"

using namespace ringvm;
using ringvm::test::in;
using ringvm::test::out;

namespace {

// Linux's init_8259A: master at 0x30, slave at 0x38, cascade on IRQ 2.
void init_pair(Pic8259 &p, uint8_t mbase = 0x30, uint8_t sbase = 0x38, uint8_t icw4 = 0x01)
{
	out(p, 0x20, 0x11);
	out(p, 0x21, mbase);
	out(p, 0x21, 0x04);
	out(p, 0x21, icw4);
	out(p, 0xa0, 0x11);
	out(p, 0xa1, sbase);
	out(p, 0xa1, 0x02);
	out(p, 0xa1, icw4);
	out(p, 0x21, 0x00);
	out(p, 0xa1, 0x00);
}

} // namespace

TEST(Pic8259, ImrReadsBackWhatWasWritten)
{
	// Linux's probe_8259A: no PIC if the mask does not read back.
	Pic8259 p;
	out(p, 0x21, 0xff);
	EXPECT_EQ(0xffu, in(p, 0x21));
	out(p, 0xa1, 0x5a);
	EXPECT_EQ(0x5au, in(p, 0xa1));
}

TEST(Pic8259, EdgeRaisesIntrAndAckGivesVector)
{
	int raised = 0;
	Pic8259 p([&] { raised++; });
	init_pair(p);
	EXPECT_FALSE(p.intr());
	p.set_irq(4, true);
	EXPECT_TRUE(p.intr());
	EXPECT_EQ(1, raised);
	EXPECT_EQ(0x34, p.ack());
	EXPECT_FALSE(p.intr());
	EXPECT_EQ(0x10, p.isr(0));
	// Still in service: the same line cannot interrupt again.
	p.set_irq(4, false);
	p.set_irq(4, true);
	EXPECT_FALSE(p.intr());
	out(p, 0x20, 0x20); // non-specific EOI
	EXPECT_EQ(0, p.isr(0));
	EXPECT_TRUE(p.intr());
}

TEST(Pic8259, EdgeNeedsAFreshRisingEdge)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(0, true);
	EXPECT_EQ(0x30, p.ack());
	out(p, 0x20, 0x20);
	p.set_irq(0, true); // still high: no new edge
	EXPECT_FALSE(p.intr());
}

TEST(Pic8259, MaskedLineWaitsInIrr)
{
	Pic8259 p;
	init_pair(p);
	out(p, 0x21, 0x01);
	p.set_irq(0, true);
	EXPECT_FALSE(p.intr());
	EXPECT_EQ(0x01, p.irr(0));
	out(p, 0x21, 0x00);
	EXPECT_TRUE(p.intr());
}

TEST(Pic8259, PriorityAndNesting)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(3, true);
	p.set_irq(1, true);
	EXPECT_EQ(0x31, p.ack()); // lower line number wins
	// IRQ 3 is lower priority than in-service IRQ 1: blocked.
	EXPECT_FALSE(p.intr());
	p.set_irq(0, true); // higher priority nests
	EXPECT_TRUE(p.intr());
	EXPECT_EQ(0x30, p.ack());
	out(p, 0x20, 0x60); // specific EOI 0
	out(p, 0x20, 0x61); // specific EOI 1
	EXPECT_EQ(0x33, p.ack());
}

TEST(Pic8259, SlaveCascadesThroughIrq2)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(12, true);
	EXPECT_TRUE(p.intr());
	EXPECT_EQ(0x3c, p.ack());
	EXPECT_EQ(0x10, p.isr(1));
	EXPECT_EQ(0x04, p.isr(0));
	out(p, 0xa0, 0x20);
	out(p, 0x20, 0x20);
	EXPECT_EQ(0, p.isr(0));
	EXPECT_EQ(0, p.isr(1));
}

TEST(Pic8259, SpuriousWhenRequestVanishes)
{
	Pic8259 p;
	init_pair(p);
	EXPECT_EQ(0x37, p.ack());
}

TEST(Pic8259, LevelTriggeredViaElcrFollowsLine)
{
	Pic8259 p;
	init_pair(p);
	out(p, 0x4d1, 0xff);
	EXPECT_EQ(0xdeu, in(p, 0x4d1)); // lines 8 and 13 are edge-only
	out(p, 0x4d0, 0xff);
	EXPECT_EQ(0xf8u, in(p, 0x4d0));
	p.set_irq(9, true);
	EXPECT_EQ(0x39, p.ack());
	out(p, 0xa0, 0x20);
	out(p, 0x20, 0x20);
	// Line still high: a level request stays pending.
	EXPECT_TRUE(p.intr());
	p.set_irq(9, false);
	EXPECT_EQ(0, p.irr(1)); // gone from the slave (the master may see a spurious 15)
}

TEST(Pic8259, ReadIsrThroughOcw3)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(5, true);
	EXPECT_EQ(0x20u, in(p, 0x20)); // IRR by default
	p.ack();
	out(p, 0x20, 0x0b); // read ISR
	EXPECT_EQ(0x20u, in(p, 0x20));
	out(p, 0x20, 0x0a); // read IRR
	EXPECT_EQ(0x00u, in(p, 0x20));
}

TEST(Pic8259, AutoEoiLeavesIsrClear)
{
	Pic8259 p;
	init_pair(p, 0x08, 0x70, 0x03);
	p.set_irq(1, true);
	EXPECT_EQ(0x09, p.ack());
	EXPECT_EQ(0, p.isr(0));
}

TEST(Pic8259, PollModeAcknowledges)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(6, true);
	out(p, 0x20, 0x0c); // poll
	EXPECT_EQ(0x86u, in(p, 0x20));
	EXPECT_EQ(0x40, p.isr(0));
	out(p, 0x20, 0x0c);
	EXPECT_EQ(0x00u, in(p, 0x20));
}

TEST(Pic8259, RotateOnNonSpecificEoi)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(0, true);
	p.ack();
	out(p, 0x20, 0xa0); // rotate on non-specific EOI: IRQ 0 becomes lowest
	p.set_irq(0, false);
	p.set_irq(0, true);
	p.set_irq(1, true);
	EXPECT_EQ(0x31, p.ack());
}

TEST(Pic8259, IgnoresLinesOutOfRange)
{
	Pic8259 p;
	init_pair(p);
	p.set_irq(16, true);
	EXPECT_FALSE(p.intr());
}
