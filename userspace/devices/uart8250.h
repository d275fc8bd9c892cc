// SPDX-License-Identifier: GPL-2.0
// 16550A UART (8250 family) as COM1: the guest console. Transmit is
// instantaneous (every THR write goes straight to the sink), so THRE is
// always set and its interrupt is raised as a real UART raises it: when the
// guest enables it or after each byte. Receive has a 16-byte FIFO fed by
// push_input(), which refuses a byte when it is full (the feeder waits for
// on_rx_room(), as a terminal's flow control would make it wait). Loopback
// mode works, since Linux's probe relies on it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm {

class Uart8250 final : public IoDevice {
public:
	using Sink = std::function<void(uint8_t)>;
	Uart8250(IrqLine irq, Sink sink) : irq_(irq), sink_(std::move(sink)) {}

	void attach(IoBus &pio, uint16_t base = 0x3f8);
	// Bytes typed on the console; false (nothing taken) when the FIFO is full.
	bool push_input(uint8_t byte);
	bool rx_full() const { return rx_.size() >= kFifo; }
	// Called when the guest takes a byte from the receiver (or clears it):
	// the console holds back what it could not push until then.
	void on_rx_room(std::function<void()> cb) { rx_room_ = std::move(cb); }

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

private:
	static constexpr size_t kFifo = 16;
	uint8_t iir() const;
	void update_irq();
	void receive(uint8_t byte);

	IrqLine irq_;
	Sink sink_;
	std::function<void()> rx_room_;
	uint16_t base_ = 0x3f8;
	std::deque<uint8_t> rx_;
	uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, fcr_ = 0;
	uint8_t dll_ = 0x0c, dlm_ = 0; // 9600 baud
	bool thr_pending_ = false;     // THRE interrupt not yet acknowledged
	bool overrun_ = false;
};

} // namespace ringvm
