// SPDX-License-Identifier: GPL-2.0
// Time for devices: an injectable nanosecond clock (tests drive it by hand)
// and the interface of devices that need a callback at a deadline.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace ringvm {

using Clock = std::function<uint64_t()>; // monotonic nanoseconds

// CLOCK_MONOTONIC.
uint64_t monotonic_ns();

class TimedDevice {
public:
	virtual ~TimedDevice() = default;
	// When expire() should next run, on the device's clock.
	virtual std::optional<uint64_t> next_deadline() = 0;
	virtual void expire(uint64_t now) = 0;
};

} // namespace ringvm
