// SPDX-License-Identifier: GPL-2.0
#include "devices/i8042.h"

#include <gtest/gtest.h>

#include "tests/io_helpers.h"

using namespace ringvm;
using ringvm::test::in;
using ringvm::test::IrqRecorder;
using ringvm::test::out;

namespace {

struct I8042Fixture : ::testing::Test {
	IrqRecorder irq;
	int resets = 0;
	I8042 kbc{IrqLine(&irq, 1), [this] { resets++; }};
};

} // namespace

TEST_F(I8042Fixture, PulseResetLineResetsCpu)
{
	out(kbc, 0x64, 0xfe);
	EXPECT_EQ(1, resets);
	out(kbc, 0x64, 0xff); // pulses no line
	EXPECT_EQ(1, resets);
}

TEST_F(I8042Fixture, OutputPortBit0ClearResets)
{
	out(kbc, 0x64, 0xd1);
	out(kbc, 0x60, 0x03);
	EXPECT_EQ(0, resets);
	out(kbc, 0x64, 0xd1);
	out(kbc, 0x60, 0x02);
	EXPECT_EQ(1, resets);
}

TEST_F(I8042Fixture, SelfTestAndStatus)
{
	EXPECT_EQ(0u, in(kbc, 0x64) & 0x01);
	out(kbc, 0x64, 0xaa);
	EXPECT_EQ(0x09u, in(kbc, 0x64) & 0x09); // output full, last write was a command
	EXPECT_EQ(0x55u, in(kbc, 0x60));
	EXPECT_EQ(0u, in(kbc, 0x64) & 0x01);
}

TEST_F(I8042Fixture, CommandByteRoundTrip)
{
	out(kbc, 0x64, 0x60);
	out(kbc, 0x60, 0x47);
	out(kbc, 0x64, 0x20);
	EXPECT_EQ(0x47u, in(kbc, 0x60));
}

TEST_F(I8042Fixture, KeyboardAnswersWithInterrupt)
{
	out(kbc, 0x60, 0xf2); // identify
	EXPECT_TRUE(irq.levels[1]);
	EXPECT_EQ(0xfau, in(kbc, 0x60));
	EXPECT_EQ(0xabu, in(kbc, 0x60));
	EXPECT_EQ(0x83u, in(kbc, 0x60));
	EXPECT_FALSE(irq.levels[1]);
	out(kbc, 0x60, 0xed); // LEDs take an argument, each ACKed
	out(kbc, 0x60, 0x07);
	EXPECT_EQ(0xfau, in(kbc, 0x60));
	EXPECT_EQ(0xfau, in(kbc, 0x60));
	out(kbc, 0x60, 0xff);
	EXPECT_EQ(0xfau, in(kbc, 0x60));
	EXPECT_EQ(0xaau, in(kbc, 0x60));
}

TEST_F(I8042Fixture, NoInterruptWhenDisabledInCommandByte)
{
	out(kbc, 0x64, 0x60);
	out(kbc, 0x60, 0x44);
	out(kbc, 0x60, 0xee);
	EXPECT_FALSE(irq.levels[1]);
	EXPECT_EQ(0xeeu, in(kbc, 0x60));
}

TEST_F(I8042Fixture, NoAuxDevice)
{
	out(kbc, 0x64, 0xa9);
	EXPECT_NE(0u, in(kbc, 0x60)); // AUX interface test fails
	out(kbc, 0x64, 0xd3);
	out(kbc, 0x60, 0x5a); // AUX loopback does not echo
	EXPECT_EQ(0x01u, in(kbc, 0x64) & 0x01);
	EXPECT_EQ(0xffu, in(kbc, 0x60));
	out(kbc, 0x64, 0xd4);
	out(kbc, 0x60, 0xf2); // nothing answers for the mouse
	EXPECT_EQ(0u, in(kbc, 0x64) & 0x01);
}
