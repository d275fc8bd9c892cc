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

// A device with a deadline. Whoever keeps time for it (the Machine) asks
// next_deadline() after each expire() and after each rearm(); the device
// calls rearm() itself whenever the guest reprograms it, so the owner needs
// no knowledge of which accesses move a deadline.
class TimedDevice {
public:
	virtual ~TimedDevice() = default;
	// When expire() should next run, on the device's clock.
	virtual std::optional<uint64_t> next_deadline() = 0;
	virtual void expire(uint64_t now) = 0;
	// @fn runs (in the thread that reprogrammed the device, under the device
	// lock) each time the deadline may have moved.
	void on_rearm(std::function<void()> fn) { rearm_ = std::move(fn); }

protected:
	void rearm()
	{
		if (rearm_)
			rearm_();
	}

private:
	std::function<void()> rearm_;
};

} // namespace ringvm
