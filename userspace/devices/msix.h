// SPDX-License-Identifier: GPL-2.0
// A function's MSI-X (PCI Local Bus 3.0, 6.8.2): the capability in config
// space, the vector table and the pending-bit array in one of its memory
// BARs, and delivery of a vector as the guest programmed it.
//
// A vector is sent as a message to the MsiSink (the in-kernel irqchip's
// local APICs) while MSI-X is enabled and neither the vector nor the whole
// function is masked; a masked vector sets its pending bit instead and is
// sent when the guest unmasks it, so no interrupt is lost. With no sink (the
// userspace irqchip has no local APIC, and a guest there cannot program an
// address) nothing is sent: such a guest has no MSI support to enable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "devices/pci_bus.h"
#include "vmm/irq.h"

namespace ringvm {

class Msix {
public:
	static constexpr uint16_t kNoVector = 0xffff;
	static constexpr unsigned kEntrySize = 16;

	// Adds the capability to @cfg for @vectors vectors (1-2048), the table
	// at @table_off and the PBA at @pba_off in BAR @bar (both 8-aligned).
	Msix(PciConfig &cfg, unsigned vectors, unsigned bar, uint32_t table_off,
	     uint32_t pba_off);
	// The capability a passed-through function already has at @cap: the
	// caller shows its table and PBA registers (the device's, which may
	// name two BARs), so the model keeps its own offsets: the table at 0,
	// the PBA at pba_offset(), and the caller translates BAR offsets.
	struct Existing {
		unsigned cap;
	};
	Msix(PciConfig &cfg, Existing at, unsigned vectors);
	uint32_t pba_offset() const { return pba_off_; }
	void set_sink(MsiSink *sink) { sink_ = sink; }
	MsiSink *sink() const { return sink_; }
	// Called after every guest write that may change what a vector sends
	// or whether it can (the table, the control word).
	void on_change(std::function<void()> cb) { on_change_ = std::move(cb); }
	// The message vector @v sends now: none while MSI-X is off, the vector
	// or the function masked, or @v past the table.
	using Message = std::pair<uint64_t, uint32_t>;
	std::optional<Message> live_message(uint16_t v) const;

	unsigned vectors() const { return static_cast<unsigned>(entries_.size()); }
	// The guest's MSI-X enable bit: interrupts go as messages, not INTx.
	bool enabled() const;
	// Sends vector @v (kNoVector, or one past the table: nothing).
	void notify(uint16_t v);

	// Accesses @off bytes into the BAR, inside the table or the PBA (what
	// covers() says). Reads fill all of @data; 4- and 8-byte accesses, as
	// the specification allows, and anything else as bytes.
	bool covers(uint64_t off, size_t len) const;
	void read(uint64_t off, std::span<uint8_t> data) const;
	void write(uint64_t off, std::span<const uint8_t> data);
	// After any config-space write: a cleared function mask sends what is
	// pending.
	void config_written();
	// A function reset: MSI-X off, the function unmasked, every entry
	// zero and masked, nothing pending (PCI 3.0 6.8.2.9).
	void reset();

private:
	struct Entry {
		uint32_t addr_lo = 0, addr_hi = 0, data = 0, ctrl = 1; // masked at reset
		bool pending = false;
	};
	uint16_t control() const { return static_cast<uint16_t>(cfg_.read(cap_ + 2, 2)); }
	bool masked(const Entry &e) const;
	void deliver_pending();
	uint8_t byte(uint64_t off) const;
	void set_byte(uint64_t off, uint8_t v);

	PciConfig &cfg_;
	unsigned cap_;
	uint32_t table_off_, pba_off_;
	std::vector<Entry> entries_;
	MsiSink *sink_ = nullptr;
	std::function<void()> on_change_;
};

} // namespace ringvm
