// SPDX-License-Identifier: GPL-2.0
#include "devices/cmos_rtc.h"

#include <gtest/gtest.h>

#include "tests/io_helpers.h"

using namespace ringvm;
using ringvm::test::in;
using ringvm::test::out;

namespace {

// 2026-11-23 21:34:56 UTC, a Monday.
constexpr std::time_t kWhen = 1795469696;

uint32_t reg(CmosRtc &rtc, uint8_t r)
{
	out(rtc, 0x70, r);
	return in(rtc, 0x71);
}

} // namespace

TEST(CmosRtc, ReadsHostTimeInBcd)
{
	CmosRtc rtc(256u << 20, 0, [] { return kWhen; });
	EXPECT_EQ(0x56u, reg(rtc, 0x00));
	EXPECT_EQ(0x34u, reg(rtc, 0x02));
	EXPECT_EQ(0x21u, reg(rtc, 0x04));
	EXPECT_EQ(0x02u, reg(rtc, 0x06));
	EXPECT_EQ(0x23u, reg(rtc, 0x07));
	EXPECT_EQ(0x11u, reg(rtc, 0x08));
	EXPECT_EQ(0x26u, reg(rtc, 0x09));
	EXPECT_EQ(0x20u, reg(rtc, 0x32));
}

TEST(CmosRtc, BinaryAndTwelveHourModes)
{
	CmosRtc rtc(256u << 20, 0, [] { return kWhen; });
	out(rtc, 0x70, 0x0b);
	out(rtc, 0x71, 0x04); // binary, 12-hour
	EXPECT_EQ(56u, reg(rtc, 0x00));
	EXPECT_EQ(0x89u, reg(rtc, 0x04)); // 9 PM
	EXPECT_EQ(26u, reg(rtc, 0x09));
}

TEST(CmosRtc, StatusRegistersAndNmiBit)
{
	CmosRtc rtc(256u << 20, 0, [] { return kWhen; });
	EXPECT_EQ(0u, reg(rtc, 0x0a) & 0x80); // no update in progress
	EXPECT_EQ(0x80u, reg(rtc, 0x0d));     // battery good
	// Bit 7 of the index masks NMI; the register is still selected.
	EXPECT_EQ(0x80u, reg(rtc, 0x8d));
	out(rtc, 0x70, 0x0d);
	out(rtc, 0x71, 0x00);
	EXPECT_EQ(0x80u, reg(rtc, 0x0d)); // read-only
}

TEST(CmosRtc, TimeWritesAreIgnoredNvramKept)
{
	CmosRtc rtc(256u << 20, 0, [] { return kWhen; });
	out(rtc, 0x70, 0x00);
	out(rtc, 0x71, 0x11);
	EXPECT_EQ(0x56u, reg(rtc, 0x00));
	out(rtc, 0x70, 0x40);
	out(rtc, 0x71, 0xab);
	EXPECT_EQ(0xabu, reg(rtc, 0x40));
}

TEST(CmosRtc, MemorySizeBytes)
{
	CmosRtc rtc(256u << 20, 1u << 30, [] { return kWhen; });
	EXPECT_EQ(0x280u, reg(rtc, 0x15) | reg(rtc, 0x16) << 8);
	EXPECT_EQ(0xfc00u, reg(rtc, 0x17) | reg(rtc, 0x18) << 8); // capped at 63 MiB
	EXPECT_EQ((240u << 20) >> 16, reg(rtc, 0x34) | reg(rtc, 0x35) << 8);
	EXPECT_EQ((1u << 30) >> 16, reg(rtc, 0x5b) | reg(rtc, 0x5c) << 8 | reg(rtc, 0x5d) << 16);
}
