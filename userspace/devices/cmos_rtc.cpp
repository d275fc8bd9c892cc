// SPDX-License-Identifier: GPL-2.0
#include "devices/cmos_rtc.h"

#include <algorithm>

namespace ringvm {

namespace {

enum : uint8_t {
	kSec = 0x00,
	kMin = 0x02,
	kHour = 0x04,
	kWday = 0x06,
	kMday = 0x07,
	kMonth = 0x08,
	kYear = 0x09,
	kRegA = 0x0a,
	kRegB = 0x0b,
	kRegC = 0x0c,
	kRegD = 0x0d,
	kCentury = 0x32,
};
constexpr uint8_t kBBinary = 0x04, kB24h = 0x02;

uint8_t to_bcd(int v)
{
	return static_cast<uint8_t>(((v / 10) << 4) | (v % 10));
}

} // namespace

CmosRtc::CmosRtc(uint64_t low_mem, uint64_t high_mem, WallClock wall) : wall_(std::move(wall))
{
	nvram_[kRegA] = 0x26; // 32.768 kHz time base, 1024 Hz rate, no update in progress
	nvram_[kRegB] = kB24h;
	nvram_[kRegD] = 0x80; // battery good
	// Base memory 640 KiB; extended memory (KiB above 1 MiB, capped at 64 MiB);
	// memory above 16 MiB in 64 KiB units; memory above 4 GiB in 64 KiB units.
	nvram_[0x15] = 0x80, nvram_[0x16] = 0x02;
	uint64_t ext = std::min<uint64_t>(low_mem > (1u << 20) ? (low_mem >> 10) - 1024 : 0, 0xfc00);
	nvram_[0x17] = nvram_[0x30] = ext & 0xff;
	nvram_[0x18] = nvram_[0x31] = ext >> 8;
	uint64_t above16 = low_mem > (16u << 20) ? std::min<uint64_t>((low_mem - (16u << 20)) >> 16, 0xffff) : 0;
	nvram_[0x34] = above16 & 0xff;
	nvram_[0x35] = above16 >> 8;
	uint64_t above4g = high_mem >> 16;
	nvram_[0x5b] = above4g & 0xff;
	nvram_[0x5c] = (above4g >> 8) & 0xff;
	nvram_[0x5d] = (above4g >> 16) & 0xff;
}

void CmosRtc::attach(IoBus &pio)
{
	pio.add(0x70, 2, *this, "CMOS RTC");
}

uint8_t CmosRtc::read_reg(uint8_t reg)
{
	if (reg > kYear && reg != kCentury)
		return reg == kRegC ? 0 : nvram_[reg]; // reading C clears pending flags
	std::time_t t = wall_();
	std::tm tm{};
	gmtime_r(&t, &tm);
	bool bin = nvram_[kRegB] & kBBinary;
	auto enc = [bin](int v) { return bin ? static_cast<uint8_t>(v) : to_bcd(v); };
	switch (reg) {
	case kSec:
		return enc(tm.tm_sec);
	case kMin:
		return enc(tm.tm_min);
	case kHour:
		if (nvram_[kRegB] & kB24h)
			return enc(tm.tm_hour);
		// 12-hour mode: 1-12 with the PM flag in bit 7.
		return static_cast<uint8_t>(enc(tm.tm_hour % 12 ? tm.tm_hour % 12 : 12) |
					    (tm.tm_hour >= 12 ? 0x80 : 0));
	case kWday:
		return enc(tm.tm_wday + 1);
	case kMday:
		return enc(tm.tm_mday);
	case kMonth:
		return enc(tm.tm_mon + 1);
	case kYear:
		return enc(tm.tm_year % 100);
	case kCentury:
		return enc((tm.tm_year + 1900) / 100);
	default: // alarm registers 1, 3, 5
		return nvram_[reg];
	}
}

void CmosRtc::io_read(uint64_t addr, std::span<uint8_t> data)
{
	le_store(data, addr == 0x71 ? read_reg(index_) : 0xff);
}

void CmosRtc::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	uint8_t v = static_cast<uint8_t>(le_value(data));
	if (addr == 0x70) {
		index_ = v & 0x7f; // bit 7 masks NMI, which this platform never raises
		return;
	}
	switch (index_) {
	case kSec:
	case kMin:
	case kHour:
	case kWday:
	case kMday:
	case kMonth:
	case kYear:
	case kCentury:
	case kRegC:
	case kRegD:
		break; // time follows the host; C and D are read-only
	case kRegA:
		nvram_[kRegA] = v & 0x7f; // UIP is read-only
		break;
	default:
		nvram_[index_] = v;
		break;
	}
}

} // namespace ringvm
