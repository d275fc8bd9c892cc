// SPDX-License-Identifier: GPL-2.0
#include "devices/pci_bus.h"

#include <gtest/gtest.h>

#include "tests/io_helpers.h"
#include "vmm/error.h"

using namespace ringvm;
using ringvm::test::in;
using ringvm::test::out;

namespace {

uint32_t cfg_read(PciBus &bus, unsigned dev, unsigned off, size_t size = 4)
{
	out(bus, 0xcf8, 0x80000000u | (dev << 11) | (off & 0xfc), 4);
	return in(bus, 0xcfc + (off & 3), size);
}

} // namespace

TEST(PciBus, AddressRegisterReadsBack)
{
	// Linux's pci_check_type1 writes and reads back 0xcf8.
	PciBus bus;
	out(bus, 0xcfb, 0x01);
	out(bus, 0xcf8, 0x80000000u, 4);
	EXPECT_EQ(0x80000000u, in(bus, 0xcf8, 4));
}

TEST(PciBus, HostBridgeIsEnumerable)
{
	PciBus bus;
	EXPECT_EQ(0x00081b36u, cfg_read(bus, 0, 0));
	EXPECT_EQ(0x060000u, cfg_read(bus, 0, 8) >> 8); // class: host bridge
	EXPECT_EQ(0x1b36u, cfg_read(bus, 0, 0, 2));
	EXPECT_EQ(0x0008u, cfg_read(bus, 0, 2, 2));
}

TEST(PciBus, EmptySlotsReadAllOnes)
{
	PciBus bus;
	for (unsigned dev = 1; dev < 32; dev++)
		EXPECT_EQ(0xffffffffu, cfg_read(bus, dev, 0)) << dev;
	out(bus, 0xcf8, 0x80010000u, 4); // bus 1
	EXPECT_EQ(0xffffffffu, in(bus, 0xcfc, 4));
	out(bus, 0xcf8, 0x00000000u, 4); // enable bit clear
	EXPECT_EQ(0xffffffffu, in(bus, 0xcfc, 4));
}

TEST(PciBus, OnlyWritableBitsChange)
{
	PciBus bus;
	out(bus, 0xcf8, 0x80000000u, 4);
	out(bus, 0xcfc, 0xdeadbeef, 4); // IDs are read-only
	EXPECT_EQ(0x00081b36u, cfg_read(bus, 0, 0));
	out(bus, 0xcf8, 0x80000004u, 4);
	out(bus, 0xcfc, 0xffff, 2);
	EXPECT_EQ(0x0407u, cfg_read(bus, 0, 4, 2));
	out(bus, 0xcf8, 0x8000003cu, 4);
	out(bus, 0xcfc, 0x0b, 1);
	EXPECT_EQ(0x0bu, cfg_read(bus, 0, 0x3c, 1));
}

TEST(PciBus, SlotsAreCheckedOnAdd)
{
	PciBus bus;
	EXPECT_THROW(bus.add(0, std::make_unique<PciHostBridge>()), Error);
	EXPECT_THROW(bus.add(32, std::make_unique<PciHostBridge>()), Error);
	bus.add(3, std::make_unique<PciHostBridge>());
	EXPECT_EQ(0x00081b36u, cfg_read(bus, 3, 0));
}
