// SPDX-License-Identifier: GPL-2.0
// An interrupt line as devices see it: they drive a level; the controller
// decides whether that is an edge or a level for the CPU.
#pragma once

#include <cstdint>

namespace ringvm {

class IrqSink {
public:
	virtual ~IrqSink() = default;
	virtual void set_irq(unsigned line, bool level) = 0;
};

// Where message-signalled interrupts go: the local APICs of an in-kernel
// irqchip. @address and @data are what the guest programmed (an x86 MSI:
// 0xfeeXXXXX, the destination in the address, vector and mode in data).
class MsiSink {
public:
	virtual ~MsiSink() = default;
	virtual void signal_msi(uint64_t address, uint32_t data) = 0;
	// In-kernel MSI routes, so that an eventfd (vhost's call) interrupts
	// the guest with no VMM: add_msi_route() gives a GSI of its own, whose
	// message set_msi_route() follows, and bind_irqfd() attaches an eventfd
	// to it (KVM_IRQFD) or detaches it.
	virtual uint32_t add_msi_route() = 0;
	virtual void set_msi_route(uint32_t gsi, uint64_t address, uint32_t data) = 0;
	virtual void bind_irqfd(uint32_t gsi, int fd, bool bind) = 0;
};

// A device's connection to one line of a controller.
class IrqLine {
public:
	IrqLine() = default;
	IrqLine(IrqSink *sink, unsigned line) : sink_(sink), line_(line) {}
	void set(bool level)
	{
		if (sink_ && level != level_) {
			level_ = level;
			sink_->set_irq(line_, level);
		}
	}
	// One rising edge for edge-triggered consumers, leaving the line at
	// the level it had (a PIT in mode 2 idles high and dips for a tick).
	void pulse()
	{
		bool was = level_;
		set(!was);
		set(was);
	}
	bool level() const { return level_; }

private:
	IrqSink *sink_ = nullptr;
	unsigned line_ = 0;
	bool level_ = false;
};

} // namespace ringvm
