// SPDX-License-Identifier: GPL-2.0
#include "devices/acpi_pm.h"

#include <gtest/gtest.h>

#include <vector>


namespace ringvm {
namespace {

struct Lines final : IrqSink {
	void set_irq(unsigned line, bool level) override { seen.push_back({line, level}); }
	std::vector<std::pair<unsigned, bool>> seen;
};

struct Pm {
	Lines sci;
	uint64_t now = 0;
	int power_offs = 0, resets = 0;
	AcpiPm pm{IrqLine(&sci, 9), [this] { return now; }, [this] { power_offs++; },
		  [this] { resets++; }};
	IoBus bus{"port I/O"};
	Pm() { pm.attach(bus); }
};

uint64_t rd(IoBus &b, uint16_t port, unsigned size)
{
	std::vector<uint8_t> d(size);
	b.read(port, d);
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= uint64_t{d[i]} << (8 * i);
	return v;
}

void wr(IoBus &b, uint16_t port, uint64_t v, unsigned size)
{
	std::vector<uint8_t> d(size);
	for (unsigned i = 0; i < size; i++)
		d[i] = static_cast<uint8_t>(v >> (8 * i));
	b.write(port, d);
}

TEST(AcpiPm, SlpEnWithS5PowersOff)
{
	Pm p;
	EXPECT_EQ(AcpiPm::kSciEn, rd(p.bus, AcpiPm::kPm1aCnt, 2)); // always ACPI mode
	// SLP_TYP alone does nothing; SLP_EN with another type is ignored.
	wr(p.bus, AcpiPm::kPm1aCnt, AcpiPm::kSlpTypS5 << 10, 2);
	wr(p.bus, AcpiPm::kPm1aCnt, 1u << 10 | AcpiPm::kSlpEn, 2);
	EXPECT_EQ(0, p.power_offs);
	wr(p.bus, AcpiPm::kPm1aCnt, AcpiPm::kSlpTypS5 << 10 | AcpiPm::kSlpEn, 2);
	EXPECT_EQ(1, p.power_offs);
	// SLP_EN reads back 0, SCI_EN stays 1.
	EXPECT_EQ(AcpiPm::kSciEn | AcpiPm::kSlpTypS5 << 10, rd(p.bus, AcpiPm::kPm1aCnt, 2));
}

TEST(AcpiPm, SlpEnWrittenAsTwoBytesPowersOff)
{
	Pm p;
	uint16_t v = AcpiPm::kSlpTypS5 << 10 | AcpiPm::kSlpEn;
	wr(p.bus, AcpiPm::kPm1aCnt, v & 0xff, 1);
	wr(p.bus, AcpiPm::kPm1aCnt + 1, v >> 8, 1);
	EXPECT_EQ(1, p.power_offs);
}

TEST(AcpiPm, ResetRegisterTakesOnlyTheResetValue)
{
	Pm p;
	wr(p.bus, AcpiPm::kReset, 0x02, 1);
	EXPECT_EQ(0, p.resets);
	wr(p.bus, AcpiPm::kReset, AcpiPm::kResetValue, 1);
	EXPECT_EQ(1, p.resets);
}

TEST(AcpiPm, TimerCountsAt3579545HzIn32Bits)
{
	Pm p;
	p.now = 1000000000; // one second
	EXPECT_EQ(3579545u, rd(p.bus, AcpiPm::kPmTmr, 4));
	p.now = 2000000000;
	EXPECT_EQ(2 * 3579545u, rd(p.bus, AcpiPm::kPmTmr, 4));
	// 2^32 ticks is 1199.86 s: the value wraps, it does not saturate.
	p.now = 1200ull * 1000000000;
	EXPECT_EQ(static_cast<uint32_t>(1200ull * 3579545), rd(p.bus, AcpiPm::kPmTmr, 4));
	// Byte reads see the same counter.
	p.now = 1000000000;
	EXPECT_EQ(3579545u & 0xff, rd(p.bus, AcpiPm::kPmTmr, 1));
	EXPECT_EQ((3579545u >> 8) & 0xff, rd(p.bus, AcpiPm::kPmTmr + 1, 1));
}

TEST(AcpiPm, PowerButtonRaisesSciOnlyWhenEnabledUntilCleared)
{
	Pm p;
	EXPECT_FALSE(p.pm.press_power_button()); // not enabled: nobody hears it
	EXPECT_TRUE(p.sci.seen.empty());
	EXPECT_EQ(AcpiPm::kPwrBtn, rd(p.bus, AcpiPm::kPm1aEvt, 2));
	wr(p.bus, AcpiPm::kPm1aEvt + 2, AcpiPm::kPwrBtn, 2);
	ASSERT_EQ(1u, p.sci.seen.size());
	EXPECT_EQ(std::make_pair(9u, true), p.sci.seen[0]);
	EXPECT_EQ(AcpiPm::kPwrBtn, rd(p.bus, AcpiPm::kPm1aEvt + 2, 2));
	// Writing 0 clears nothing; writing the bit clears it and the SCI.
	wr(p.bus, AcpiPm::kPm1aEvt, 0, 2);
	EXPECT_EQ(1u, p.sci.seen.size());
	wr(p.bus, AcpiPm::kPm1aEvt, AcpiPm::kPwrBtn, 2);
	ASSERT_EQ(2u, p.sci.seen.size());
	EXPECT_EQ(std::make_pair(9u, false), p.sci.seen[1]);
	EXPECT_EQ(0u, rd(p.bus, AcpiPm::kPm1aEvt, 2));
	// Enabled: the press is heard at once.
	EXPECT_TRUE(p.pm.press_power_button());
	ASSERT_EQ(3u, p.sci.seen.size());
	EXPECT_EQ(std::make_pair(9u, true), p.sci.seen[2]);
}

} // namespace
} // namespace ringvm
