// SPDX-License-Identifier: GPL-2.0
// i8042 keyboard controller (0x60 data, 0x64 status/command). Its job here is
// the CPU reset line: command 0xfe, or an output-port write with bit 0
// clear, resets the machine, which ends the VM like a guest reboot. A
// keyboard that answers commands but never has keys keeps Linux's atkbd
// probe short; there is no mouse (AUX port tests fail).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm {

class I8042 final : public IoDevice {
public:
	I8042(IrqLine kbd_irq, std::function<void()> on_reset)
		: irq_(kbd_irq), on_reset_(std::move(on_reset))
	{
	}
	void attach(IoBus &pio);

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

private:
	void command(uint8_t cmd);
	void data(uint8_t v);
	void keyboard(uint8_t v);
	void push(uint8_t v);
	void update_irq();

	IrqLine irq_;
	std::function<void()> on_reset_;
	std::deque<uint8_t> out_;
	uint8_t cmd_byte_ = 0x65; // kbd interrupt on, system flag, translate, AUX off
	uint8_t pending_ = 0;	  // controller command waiting for its data byte
	uint8_t kbd_pending_ = 0; // keyboard command waiting for its argument
	uint8_t last_cmd_ = 0;	  // bit 3 of the status: last write was to 0x64
};

} // namespace ringvm
