// SPDX-License-Identifier: GPL-2.0
// MC146818 CMOS RTC and NVRAM (index 0x70, data 0x71). The clock reads the
// host's wall time (UTC) at every access; writes to the time registers are
// accepted and dropped, so the guest always sees host time. NVRAM holds the
// memory-size bytes firmware would leave, and keeps whatever the guest stores.
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <functional>

#include "vmm/io_bus.h"

namespace ringvm {

class CmosRtc final : public IoDevice {
public:
	using WallClock = std::function<std::time_t()>;
	CmosRtc(uint64_t low_mem, uint64_t high_mem, WallClock wall = [] { return std::time(nullptr); });
	void attach(IoBus &pio);

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

private:
	uint8_t read_reg(uint8_t reg);
	std::array<uint8_t, 128> nvram_{};
	uint8_t index_ = 0;
	WallClock wall_;
};

} // namespace ringvm
