// SPDX-License-Identifier: GPL-2.0
#include "devices/pci_bus.h"

#include <gtest/gtest.h>

#include <map>

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

namespace {

// A function with one 4 KiB memory BAR that records what reaches it.
class BarFn final : public PciFunction {
public:
	BarFn() : cfg_(0x1af4, 0x1042, 0x010000)
	{
		cfg_.add_mem_bar(0, 0x1000);
		cfg_.poke(kPciIntPin, 1, 1);
	}
	PciConfig &config() override { return cfg_; }
	void bar_read(unsigned bar, uint64_t off, std::span<uint8_t> d) override
	{
		le_store(d, (uint64_t{bar} << 16) | off);
	}
	void bar_write(unsigned, uint64_t off, std::span<const uint8_t> d) override
	{
		last_off = off;
		last_val = le_value(d);
	}
	void connect_intx(IrqLine line) override { intx = line; }
	uint64_t last_off = ~0ull, last_val = 0;
	IrqLine intx;

private:
	PciConfig cfg_;
};

struct Lines final : IrqSink {
	void set_irq(unsigned line, bool level) override { levels[line] = level; }
	std::map<unsigned, bool> levels;
};

} // namespace

TEST(PciBus, BarIsPlacedSizedAndDecodedOnlyWithMemoryOn)
{
	PciBus bus;
	IoBus mmio("mmio");
	bus.attach_mmio(mmio);
	Lines lines;
	auto fn = std::make_unique<BarFn>();
	BarFn *f = fn.get();
	bus.add(3, std::move(fn), &lines);
	uint32_t bar = cfg_read(bus, 3, 0x10);
	EXPECT_GE(bar, PciBus::kMmioBase);
	EXPECT_EQ(0u, bar & 0xfff);
	// Sizing, as Linux does it: all ones, read, restore.
	out(bus, 0xcf8, 0x80000000u | (3 << 11) | 0x10, 4);
	out(bus, 0xcfc, 0xffffffffu, 4);
	EXPECT_EQ(0xfffff000u, cfg_read(bus, 3, 0x10));
	out(bus, 0xcf8, 0x80000000u | (3 << 11) | 0x10, 4);
	out(bus, 0xcfc, bar, 4);

	uint8_t d[4];
	EXPECT_TRUE(mmio.read(bar + 0x20, d)); // the window claims it...
	EXPECT_EQ(0xffffffffu, le_value(d));   // ...but decoding is off
	out(bus, 0xcf8, 0x80000000u | (3 << 11) | 0x04, 4);
	out(bus, 0xcfc, kPciCommandMemory, 2);
	mmio.read(bar + 0x20, d);
	EXPECT_EQ(0x20u, le_value(d));
	le_store(d, 0xabcd);
	mmio.write(bar + 0x44, d);
	EXPECT_EQ(0x44u, f->last_off);
	EXPECT_EQ(0xabcdu, f->last_val);
	// An access running past the BAR's end reaches no one.
	mmio.read(bar + 0xffe, d);
	EXPECT_EQ(0xffffffffu, le_value(d));

	// The guest moves the BAR: the old address goes dead, the new one works.
	out(bus, 0xcf8, 0x80000000u | (3 << 11) | 0x10, 4);
	out(bus, 0xcfc, bar + 0x10000, 4);
	mmio.read(bar + 0x20, d);
	EXPECT_EQ(0xffffffffu, le_value(d));
	mmio.read(bar + 0x10020, d);
	EXPECT_EQ(0x20u, le_value(d));

	// INTx pin A is routed to the slot's PIC line and the line register says so.
	EXPECT_EQ(PciBus::intx_line(3), cfg_read(bus, 3, 0x3c, 1));
	f->intx.set(true);
	EXPECT_TRUE(lines.levels[PciBus::intx_line(3)]);
}

TEST(PciBus, CapabilitiesAreChained)
{
	PciConfig cfg(0x1af4, 0x1042, 0);
	unsigned a = cfg.add_capability(0x09, 16), b = cfg.add_capability(0x09, 20);
	EXPECT_EQ(a, cfg.read(kPciCapList, 1));
	EXPECT_EQ(b, cfg.read(a + 1, 1));
	EXPECT_EQ(0u, cfg.read(b + 1, 1));
	EXPECT_TRUE(cfg.read(kPciStatus, 2) & kPciStatusCapList);
	EXPECT_THROW(cfg.add_mem_bar(0, 100), Error);
}
