// SPDX-License-Identifier: GPL-2.0
// A cascaded pair of 8259A PICs (ports 0x20/0x21, 0xa0/0xa1, ELCR at
// 0x4d0/0x4d1) with the slave on master line 2. The VMM's irqchip: the run
// loop asks intr() whether the CPU's INTR pin is up and, once the vCPU can
// take an interrupt, ack() for the vector to inject. No APIC exists, so the
// guest routes every line through here.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm {

class Pic8259 final : public IoDevice, public IrqSink {
public:
	// on_intr runs whenever INTR may have risen (the VMM then wakes or
	// kicks the boot vCPU).
	explicit Pic8259(std::function<void()> on_intr = {}) : on_intr_(std::move(on_intr)) {}

	void attach(IoBus &pio);

	// Lines 0-15; 8-15 are the slave's.
	void set_irq(unsigned line, bool level) override;
	bool intr() const { return intr_; }
	// INTA cycle: the vector for the highest-priority request (the spurious
	// IRQ 7 / 15 vector if it vanished), moving it from IRR to ISR.
	uint8_t ack();
	// Calls @cb(line), under the device lock, each time the guest lets a
	// line interrupt again: an EOI ends its service while it is unmasked,
	// the guest unmasks it while it is not in service, or an auto-EOI
	// acknowledge. Passed-through INTx, masked by the host until the guest
	// has serviced the device, is re-armed from here.
	void on_line_ready(std::function<void(unsigned line)> cb)
	{
		ready_cbs_.push_back(std::move(cb));
	}

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

	// Test visibility.
	uint8_t irr(int chip) const { return chips_[chip].irr; }
	uint8_t isr(int chip) const { return chips_[chip].isr; }
	uint8_t imr(int chip) const { return chips_[chip].imr; }

private:
	struct Chip {
		uint8_t irr = 0, isr = 0, imr = 0, last_level = 0, elcr = 0;
		uint8_t base = 0, priority_add = 0, init_state = 0;
		bool init4 = false, single = false, auto_eoi = false, rotate_on_aeoi = false;
		bool read_isr = false, poll = false, special_mask = false;

		void set_line(int irq, bool level);
		int highest_request() const;
		void intack(int irq);
		void write_cmd(uint8_t v);
		void write_data(uint8_t v);
	};
	void update();
	uint8_t poll_read(int chip);
	// Lines neither in service nor masked, slave in the high byte.
	uint16_t ready_lines() const;
	void notify_ready(uint16_t lines);

	Chip chips_[2];
	bool intr_ = false;
	std::function<void()> on_intr_;
	std::vector<std::function<void(unsigned)>> ready_cbs_;
};

} // namespace ringvm
