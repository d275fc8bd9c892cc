// SPDX-License-Identifier: GPL-2.0
#include "devices/uart8250.h"

namespace ringvm {

namespace {

enum : uint8_t {
	RBR_THR = 0,
	IER = 1,
	IIR_FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7,
};

constexpr uint8_t kIerRdi = 0x01, kIerThri = 0x02, kIerRlsi = 0x04;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrLoop = 0x10;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kIirNone = 0x01, kIirThri = 0x02, kIirRdi = 0x04, kIirRlsi = 0x06;
constexpr uint8_t kIirFifo = 0xc0;

} // namespace

void Uart8250::attach(IoBus &pio, uint16_t base)
{
	base_ = base;
	pio.add(base, 8, *this, "8250 UART");
}

uint8_t Uart8250::iir() const
{
	uint8_t fifo = (fcr_ & 1) ? kIirFifo : 0;
	if ((ier_ & kIerRlsi) && overrun_)
		return fifo | kIirRlsi;
	if ((ier_ & kIerRdi) && !rx_.empty())
		return fifo | kIirRdi;
	if ((ier_ & kIerThri) && thr_pending_)
		return fifo | kIirThri;
	return fifo | kIirNone;
}

void Uart8250::update_irq()
{
	irq_.set(!(iir() & kIirNone));
}

void Uart8250::receive(uint8_t byte)
{
	if (rx_.size() >= kFifo) {
		overrun_ = true;
		return;
	}
	rx_.push_back(byte);
}

bool Uart8250::push_input(uint8_t byte)
{
	if (rx_full())
		return false;
	receive(byte);
	update_irq();
	return true;
}

void Uart8250::io_read(uint64_t addr, std::span<uint8_t> data)
{
	uint8_t v = 0;
	switch (addr - base_) {
	case RBR_THR:
		if (lcr_ & kLcrDlab) {
			v = dll_;
		} else if (!rx_.empty()) {
			v = rx_.front();
			rx_.pop_front();
			if (rx_room_)
				rx_room_();
		}
		break;
	case IER:
		v = (lcr_ & kLcrDlab) ? dlm_ : ier_;
		break;
	case IIR_FCR:
		v = iir();
		// Reading IIR while it reports THRE acknowledges that interrupt.
		if ((v & 0x0f) == kIirThri)
			thr_pending_ = false;
		break;
	case LCR:
		v = lcr_;
		break;
	case MCR:
		v = mcr_;
		break;
	case LSR:
		v = kLsrThre | kLsrTemt | (rx_.empty() ? 0 : kLsrDr) | (overrun_ ? kLsrOe : 0);
		overrun_ = false;
		break;
	case MSR:
		if (mcr_ & kMcrLoop) {
			// Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD.
			v = ((mcr_ & 0x01) << 5) | ((mcr_ & 0x02) << 3) | ((mcr_ & 0x04) << 4) |
			    ((mcr_ & 0x08) << 4);
		} else {
			v = 0xb0; // DCD, DSR, CTS: a cable with someone on it
		}
		break;
	case SCR:
		v = scr_;
		break;
	}
	update_irq();
	le_store(data, v);
}

void Uart8250::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	uint8_t v = static_cast<uint8_t>(le_value(data));
	switch (addr - base_) {
	case RBR_THR:
		if (lcr_ & kLcrDlab) {
			dll_ = v;
			break;
		}
		// Writing THR clears its interrupt; the byte then leaves at once
		// and THR is empty again: the line drops and rises, so an
		// edge-triggered PIC sees a new request for the next byte.
		thr_pending_ = false;
		update_irq();
		if (mcr_ & kMcrLoop)
			receive(v);
		else if (sink_)
			sink_(v);
		thr_pending_ = true;
		break;
	case IER:
		if (lcr_ & kLcrDlab) {
			dlm_ = v;
			break;
		}
		// Enabling THRE with an empty THR raises it at once.
		if ((v & kIerThri) && !(ier_ & kIerThri))
			thr_pending_ = true;
		ier_ = v & 0x0f;
		break;
	case IIR_FCR:
		fcr_ = v & 0xc9;
		if (v & 0x02) {
			rx_.clear();
			overrun_ = false;
			if (rx_room_)
				rx_room_();
		}
		break;
	case LCR:
		lcr_ = v;
		break;
	case MCR:
		mcr_ = v & 0x1f;
		break;
	case SCR:
		scr_ = v;
		break;
	default: // LSR and MSR are read-only
		break;
	}
	update_irq();
}

} // namespace ringvm
