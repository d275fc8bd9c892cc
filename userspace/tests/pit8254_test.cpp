// SPDX-License-Identifier: GPL-2.0
#include "devices/pit8254.h"

#include <gtest/gtest.h>

#include "tests/io_helpers.h"

using namespace ringvm;
using ringvm::test::in;
using ringvm::test::IrqRecorder;
using ringvm::test::out;

namespace {

struct PitFixture : ::testing::Test {
	uint64_t now = 1000000000ull;
	IrqRecorder irq;
	Pit8254 pit{IrqLine(&irq, 0), [this] { return now; }};
	// ns for n PIT ticks, rounded up.
	static uint64_t ticks(uint64_t n) { return (n * 1000000000ull + Pit8254::kHz - 1) / Pit8254::kHz; }
};

} // namespace

TEST_F(PitFixture, Mode2PeriodicRaisesIrq0)
{
	out(pit, 0x43, 0x34);
	out(pit, 0x40, 0xe8);
	out(pit, 0x40, 0x03); // 1000 ticks
	int base = irq.rises[0]; // OUT went high with the control word
	auto d = pit.next_deadline();
	ASSERT_TRUE(d.has_value());
	EXPECT_EQ(now + ticks(1000), *d);
	now = *d - 1;
	pit.expire(now);
	EXPECT_EQ(base, irq.rises[0]);
	now = *d;
	pit.expire(now);
	EXPECT_EQ(base + 1, irq.rises[0]);
	EXPECT_TRUE(irq.levels[0]);
	EXPECT_EQ(now - ticks(1000) + ticks(2000), *pit.next_deadline());
}

TEST_F(PitFixture, MissedPeriodsCollapseIntoOneTick)
{
	out(pit, 0x43, 0x34);
	out(pit, 0x40, 100);
	out(pit, 0x40, 0);
	int base = irq.rises[0];
	uint64_t start = now;
	now += ticks(1050);
	pit.expire(now);
	EXPECT_EQ(base + 1, irq.rises[0]);
	EXPECT_EQ(start + ticks(1100), *pit.next_deadline());
}

TEST_F(PitFixture, Mode0OneShot)
{
	out(pit, 0x43, 0x30);
	EXPECT_FALSE(irq.levels[0]);
	out(pit, 0x40, 0x10);
	out(pit, 0x40, 0x00);
	now = *pit.next_deadline();
	pit.expire(now);
	EXPECT_TRUE(irq.levels[0]);
	EXPECT_FALSE(pit.next_deadline().has_value());
	// A new count drops OUT and re-arms.
	out(pit, 0x40, 0x10);
	out(pit, 0x40, 0x00);
	EXPECT_FALSE(irq.levels[0]);
	EXPECT_TRUE(pit.next_deadline().has_value());
}

TEST_F(PitFixture, Mode4StrobeRaisesAnEdgeOnce)
{
	// Linux's i8253 oneshot clockevent: 0x38, then the count.
	out(pit, 0x43, 0x38);
	out(pit, 0x40, 0x20);
	out(pit, 0x40, 0x00);
	EXPECT_TRUE(irq.levels[0]); // OUT idles high in mode 4
	int base = irq.rises[0];
	now = *pit.next_deadline();
	pit.expire(now);
	EXPECT_EQ(base + 1, irq.rises[0]);
	EXPECT_TRUE(irq.levels[0]);
	EXPECT_FALSE(pit.next_deadline().has_value());
	out(pit, 0x40, 0x20);
	out(pit, 0x40, 0x00);
	now = *pit.next_deadline();
	pit.expire(now);
	EXPECT_EQ(base + 2, irq.rises[0]);
}

TEST_F(PitFixture, CounterLatchAndLoHiRead)
{
	out(pit, 0x43, 0x34);
	out(pit, 0x40, 0x00);
	out(pit, 0x40, 0x10); // 0x1000
	now += ticks(0x100);
	out(pit, 0x43, 0x00); // latch channel 0
	now += ticks(0x200);  // latched value does not move
	uint32_t lo = in(pit, 0x40), hi = in(pit, 0x40);
	EXPECT_EQ(0x1000u - 0x100u, (hi << 8) | lo);
	// Unlatched reads follow the clock.
	lo = in(pit, 0x40);
	hi = in(pit, 0x40);
	EXPECT_EQ(0x1000u - 0x300u, (hi << 8) | lo);
}

TEST_F(PitFixture, Channel2GateAndOutputOnPort61)
{
	// Linux's pit_calibrate_tsc: gate on, speaker off, mode 0 on channel 2.
	out(pit, 0x61, (in(pit, 0x61) & ~0x02) | 0x01);
	out(pit, 0x43, 0xb0);
	out(pit, 0x42, 0x9c);
	out(pit, 0x42, 0x2e); // 11932 ticks: 10 ms
	EXPECT_EQ(0u, in(pit, 0x61) & 0x20);
	now += ticks(11931);
	EXPECT_EQ(0u, in(pit, 0x61) & 0x20);
	now += ticks(2);
	EXPECT_EQ(0x20u, in(pit, 0x61) & 0x20);
	EXPECT_EQ(0x01u, in(pit, 0x61) & 0x03);
}

TEST_F(PitFixture, Channel2StopsWhileGateLow)
{
	out(pit, 0x61, 0x00);
	out(pit, 0x43, 0xb0);
	out(pit, 0x42, 0x00);
	out(pit, 0x42, 0x10);
	now += ticks(0x800);
	EXPECT_EQ(0x1000, pit.count(2)); // gate low: not counting
	out(pit, 0x61, 0x01);
	now += ticks(0x100);
	EXPECT_EQ(0x0f00, pit.count(2));
}

TEST_F(PitFixture, Port61RefreshBitToggles)
{
	uint32_t a = in(pit, 0x61) & 0x10, b = in(pit, 0x61) & 0x10;
	EXPECT_NE(a, b);
}

TEST_F(PitFixture, ReadBackStatusAndCount)
{
	out(pit, 0x43, 0x36); // channel 0, lo/hi, mode 3
	out(pit, 0x40, 0x00);
	out(pit, 0x40, 0x00); // 65536
	out(pit, 0x43, 0xc2); // read-back status and count of channel 0
	uint32_t status = in(pit, 0x40);
	EXPECT_EQ(0x36u, status & 0x3f);
	EXPECT_EQ(0x80u, status & 0x80); // OUT high in the first half
	EXPECT_EQ(0u, in(pit, 0x40));	 // count 65536 reads as 0
}

TEST_F(PitFixture, LsbOnlyAndMsbOnlyAccess)
{
	out(pit, 0x43, 0x14); // channel 0, LSB only, mode 2
	out(pit, 0x40, 0x80);
	EXPECT_EQ(0x80u, in(pit, 0x40));
	out(pit, 0x43, 0x24); // MSB only
	out(pit, 0x40, 0x02);
	EXPECT_EQ(0x02u, in(pit, 0x40));
	EXPECT_EQ(0x0200, pit.count(0));
}

TEST_F(PitFixture, NoDeadlineUntilProgrammed)
{
	EXPECT_FALSE(pit.next_deadline().has_value());
}

TEST_F(PitFixture, EveryWriteAsksItsOwnerToRearm)
{
	// The machine learns of a new deadline only through rearm(): loading a
	// count, a control word and the gate port must each call it.
	int rearms = 0;
	pit.on_rearm([&] { rearms++; });
	out(pit, 0x43, 0x34);
	out(pit, 0x40, 0xe8);
	out(pit, 0x40, 0x03);
	out(pit, 0x61, 0x01);
	EXPECT_EQ(4, rearms);
	in(pit, 0x40); // reads move nothing
	EXPECT_EQ(4, rearms);
}
