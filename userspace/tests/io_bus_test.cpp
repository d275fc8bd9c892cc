// SPDX-License-Identifier: GPL-2.0
#include "vmm/io_bus.h"

#include <gtest/gtest.h>

#include "vmm/error.h"

using namespace ringvm;

namespace {

struct Probe : IoDevice {
	uint64_t last_read = 0, last_write = 0, value = 0;
	void io_read(uint64_t a, std::span<uint8_t> d) override
	{
		last_read = a;
		le_store(d, 0x12345678);
	}
	void io_write(uint64_t a, std::span<const uint8_t> d) override
	{
		last_write = a;
		value = le_value(d);
	}
};

} // namespace

TEST(IoBus, DispatchesWithAbsoluteAddress)
{
	IoBus bus("pio");
	Probe p;
	bus.add(0x40, 4, p, "probe");
	uint8_t b[2] = {0x34, 0x12};
	EXPECT_TRUE(bus.write(0x43, b));
	EXPECT_EQ(0x43u, p.last_write);
	EXPECT_EQ(0x1234u, p.value);
	uint8_t r[4];
	EXPECT_TRUE(bus.read(0x40, r));
	EXPECT_EQ(0x12345678u, le_value(r));
}

TEST(IoBus, UnclaimedReadsAllOnes)
{
	IoBus bus("pio");
	Probe p;
	bus.add(0x40, 4, p, "probe");
	uint8_t r[2] = {0, 0};
	EXPECT_FALSE(bus.read(0x44, r));
	EXPECT_EQ(0xffffu, le_value(r));
	EXPECT_FALSE(bus.read(0x3f, r));
	EXPECT_FALSE(bus.write(0x44, r));
}

TEST(IoBus, OverlapsAreRejected)
{
	IoBus bus("pio");
	Probe a, b;
	bus.add(0x40, 4, a, "first");
	EXPECT_THROW(bus.add(0x43, 1, b, "second"), Error);
	EXPECT_THROW(bus.add(0x3f, 2, b, "second"), Error);
	EXPECT_THROW(bus.add(0x30, 0, b, "empty"), Error);
	try {
		bus.add(0x41, 1, b, "second");
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.what()).find("overlaps first"), std::string::npos);
	}
	bus.add(0x44, 1, b, "adjacent");
	bus.add(0x3f, 1, b, "below");
}

TEST(IoBus, LittleEndianHelpers)
{
	uint8_t b[4];
	le_store(b, 0xa1b2c3d4);
	EXPECT_EQ(0xd4, b[0]);
	EXPECT_EQ(0xa1, b[3]);
	EXPECT_EQ(0xa1b2c3d4u, le_value(b));
}
