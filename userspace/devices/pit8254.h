// SPDX-License-Identifier: GPL-2.0
// Intel 8254 PIT (ports 0x40-0x43) and the system control port 0x61 it
// shares with the speaker. Channel 0 drives IRQ 0 (modes 0, 2 and 3: Linux's
// oneshot and periodic clockevent); channel 2 is gated by port 0x61 bit 0 and
// its output is readable at bit 5, which is how Linux calibrates the TSC.
// Counters are computed from the clock on each read, never ticked.
#pragma once

#include <cstdint>

#include "vmm/clock.h"
#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm {

class Pit8254 final : public IoDevice, public TimedDevice {
public:
	static constexpr uint64_t kHz = 1193182;

	Pit8254(IrqLine irq0, Clock clock) : irq0_(irq0), clock_(std::move(clock)) {}
	void attach(IoBus &pio);

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;
	std::optional<uint64_t> next_deadline() override;
	void expire(uint64_t now) override;

	// Test visibility.
	uint16_t count(int ch) { return static_cast<uint16_t>(current(ch_[ch], clock_())); }
	bool out(int ch) { return output(ch_[ch], clock_()); }

private:
	struct Channel {
		uint32_t reload = 0x10000; // 0 written means 65536
		uint8_t mode = 0, access = 3;
		bool gate = true, armed = false; // armed: a count was loaded
		uint64_t start = 0;		 // when counting began (ns)
		uint64_t frozen_ticks = 0;	 // ticks counted when the gate fell
		bool latched = false, status_latched = false;
		uint16_t latch = 0;
		uint8_t status = 0;
		bool read_msb = false, write_msb = false; // lo/hi toggles
		uint8_t write_lsb = 0;
		uint64_t fired = 0; // channel 0: periods already signalled
	};
	uint64_t ticks(const Channel &c, uint64_t now) const;
	uint32_t current(const Channel &c, uint64_t now) const;
	bool output(const Channel &c, uint64_t now) const;
	uint64_t deadline_after(const Channel &c, uint64_t n) const;
	void write_port(uint64_t addr, uint8_t v);
	void load(Channel &c, uint32_t value);
	void control(uint8_t v);

	IrqLine irq0_;
	Clock clock_;
	Channel ch_[3];
	uint8_t port61_ = 0;
	bool refresh_ = false;
};

} // namespace ringvm
