// SPDX-License-Identifier: GPL-2.0
#include "devices/debug_exit.h"

#include <gtest/gtest.h>

#include "tests/io_helpers.h"

using namespace ringvm;
using ringvm::test::out;

TEST(DebugExit, StatusIsValueShiftedOrOne)
{
	int status = -1;
	DebugExit d([&](int s) { status = s; });
	out(d, 0xf4, 0x00);
	EXPECT_EQ(1, status);
	out(d, 0xf4, 0x21);
	EXPECT_EQ(0x43, status);
	out(d, 0xf4, 0x1ff, 2); // only what fits an exit status
	EXPECT_EQ(0xff, status);
}

TEST(DebugExit, RegistersOnePortOnTheBus)
{
	IoBus bus("pio");
	int status = -1;
	DebugExit d([&](int s) { status = s; });
	d.attach(bus, 0x501);
	uint8_t v = 3;
	EXPECT_TRUE(bus.write(0x501, {&v, 1}));
	EXPECT_EQ(7, status);
	EXPECT_FALSE(bus.write(0x502, {&v, 1}));
}
