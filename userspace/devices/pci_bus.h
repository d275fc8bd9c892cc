// SPDX-License-Identifier: GPL-2.0
// PCI bus 0 behind configuration mechanism 1 (0xcf8 address, 0xcfc-0xcff
// data), with a host bridge at 00:00.0. Devices implement PciFunction; empty
// slots read as all ones, so the guest's scan finds exactly what is there.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>

#include "vmm/io_bus.h"

namespace ringvm {

// A function's 256-byte configuration header: registers, and which bits of
// them the guest may change.
class PciConfig {
public:
	PciConfig(uint16_t vendor, uint16_t device, uint32_t class_rev, uint8_t header_type = 0);
	uint32_t read(unsigned off, unsigned size) const;
	void write(unsigned off, unsigned size, uint32_t v);
	void set_writable(unsigned off, unsigned size, uint32_t mask);
	// Sets read-only contents (IDs, capabilities), bypassing the mask.
	void poke(unsigned off, unsigned size, uint32_t v);

private:
	std::array<uint8_t, 256> data_{};
	std::array<uint8_t, 256> wmask_{};
};

class PciFunction {
public:
	virtual ~PciFunction() = default;
	virtual PciConfig &config() = 0;
};

class PciHostBridge final : public PciFunction {
public:
	PciHostBridge();
	PciConfig &config() override { return cfg_; }

private:
	PciConfig cfg_;
};

class PciBus final : public IoDevice {
public:
	PciBus();
	void attach(IoBus &pio);
	// Throws Error if the slot is taken or out of range.
	void add(unsigned slot, std::unique_ptr<PciFunction> fn);

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

private:
	PciFunction *selected(unsigned &off) const;
	uint32_t address_ = 0;
	std::map<unsigned, std::unique_ptr<PciFunction>> slots_; // devfn >> 3
};

} // namespace ringvm
