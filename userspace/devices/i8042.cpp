// SPDX-License-Identifier: GPL-2.0
#include "devices/i8042.h"

namespace ringvm {

namespace {

constexpr uint8_t kStatusObf = 0x01, kStatusSys = 0x04, kStatusCmd = 0x08,
		  kStatusUnlocked = 0x10;
constexpr uint8_t kCmdByteKbdIrq = 0x01;
constexpr uint8_t kAck = 0xfa;

} // namespace

void I8042::attach(IoBus &pio)
{
	pio.add(0x60, 1, *this, "i8042 data");
	pio.add(0x64, 1, *this, "i8042 command");
}

void I8042::update_irq()
{
	irq_.set(!out_.empty() && (cmd_byte_ & kCmdByteKbdIrq));
}

void I8042::push(uint8_t v)
{
	out_.push_back(v);
}

void I8042::io_read(uint64_t addr, std::span<uint8_t> d)
{
	uint8_t v;
	if (addr == 0x64) {
		v = kStatusSys | kStatusUnlocked | last_cmd_ | (out_.empty() ? 0 : kStatusObf);
	} else {
		v = out_.empty() ? 0 : out_.front();
		if (!out_.empty())
			out_.pop_front();
		// The line drops so the next byte makes a fresh edge.
		irq_.set(false);
	}
	update_irq();
	le_store(d, v);
}

void I8042::command(uint8_t cmd)
{
	switch (cmd) {
	case 0x20: // read command byte
		push(cmd_byte_);
		break;
	case 0x60: // write command byte
	case 0xd1: // write output port
	case 0xd2: // write keyboard output buffer
	case 0xd3: // write AUX output buffer
	case 0xd4: // write to AUX device
		pending_ = cmd;
		break;
	case 0xa7: // disable AUX
		cmd_byte_ |= 0x20;
		break;
	case 0xa8: // enable AUX
		cmd_byte_ &= ~0x20;
		break;
	case 0xa9: // test AUX port: clock line stuck low, so no AUX device
		push(0x02);
		break;
	case 0xaa: // self test
		push(0x55);
		break;
	case 0xab: // test keyboard port
		push(0x00);
		break;
	case 0xad:
		cmd_byte_ |= 0x10;
		break;
	case 0xae:
		cmd_byte_ &= ~0x10;
		break;
	case 0xd0: // read output port: A20 on, not in reset
		push(0x03);
		break;
	default:
		// 0xf0-0xff pulse output-port lines; bit 0 is the CPU reset.
		if (cmd >= 0xf0 && !(cmd & 1) && on_reset_)
			on_reset_();
		break;
	}
}

void I8042::keyboard(uint8_t v)
{
	if (kbd_pending_) {
		kbd_pending_ = 0;
		push(kAck);
		return;
	}
	switch (v) {
	case 0xff: // reset: ACK, then self-test passed
		push(kAck);
		push(0xaa);
		break;
	case 0xf2: // identify: an MF2 keyboard
		push(kAck);
		push(0xab);
		push(0x83);
		break;
	case 0xed: // set LEDs
	case 0xf0: // scan code set
	case 0xf3: // typematic rate
		kbd_pending_ = v;
		push(kAck);
		break;
	case 0xee: // echo
		push(0xee);
		break;
	default:
		push(kAck);
		break;
	}
}

void I8042::data(uint8_t v)
{
	uint8_t cmd = pending_;
	pending_ = 0;
	switch (cmd) {
	case 0x60:
		cmd_byte_ = v;
		break;
	case 0xd1:
		if (!(v & 1) && on_reset_)
			on_reset_();
		break;
	case 0xd2:
		push(v);
		break;
	case 0xd3:
		// No AUX port: the loopback answers 0xff at once instead of
		// timing out, and Linux's AUX test then says there is none.
		push(0xff);
		break;
	case 0xd4:
		break; // no AUX device: nothing answers
	default:
		keyboard(v);
		break;
	}
}

void I8042::io_write(uint64_t addr, std::span<const uint8_t> d)
{
	uint8_t v = static_cast<uint8_t>(le_value(d));
	if (addr == 0x64) {
		last_cmd_ = kStatusCmd;
		command(v);
	} else {
		last_cmd_ = 0;
		data(v);
	}
	update_irq();
}

} // namespace ringvm
