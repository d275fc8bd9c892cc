// SPDX-License-Identifier: GPL-2.0
// PCI bus 0 behind configuration mechanism 1 (0xcf8 address, 0xcfc-0xcff
// data), with a host bridge at 00:00.0. Devices implement PciFunction; empty
// slots read as all ones, so the guest's scan finds exactly what is there.
//
// As kvmtool does, the VMM plays firmware: each function's memory BARs get
// addresses in the 32-bit hole and its INTx pin a PIC line before the guest
// boots, so Linux keeps them. The bus decodes the MMIO window itself from the
// BAR registers and the command register, so a guest that moves a BAR or
// turns decoding off is followed without re-registering anything.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm {

constexpr unsigned kPciNumBars = 6;
constexpr unsigned kPciCommand = 0x04, kPciStatus = 0x06, kPciBar0 = 0x10;
constexpr unsigned kPciCapList = 0x34, kPciIntLine = 0x3c, kPciIntPin = 0x3d;
constexpr uint16_t kPciCommandMemory = 0x0002, kPciCommandIntxDisable = 0x0400;
constexpr uint16_t kPciStatusCapList = 0x0010, kPciStatusIntx = 0x0008;

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

	// Declares BAR @idx as 32-bit, non-prefetchable memory of @size bytes
	// (a power of two, at least 16): sizing by writing all ones then works.
	void add_mem_bar(unsigned idx, uint32_t size);
	uint32_t bar_size(unsigned idx) const { return idx < kPciNumBars ? bar_size_[idx] : 0; }
	uint64_t bar_address(unsigned idx) const;
	bool memory_enabled() const { return read(kPciCommand, 2) & kPciCommandMemory; }
	// Appends a capability of @len bytes (header included) with ID @id and
	// returns its offset; the caller pokes its body.
	unsigned add_capability(uint8_t id, unsigned len);

private:
	std::array<uint8_t, 256> data_{};
	std::array<uint8_t, 256> wmask_{};
	std::array<uint32_t, kPciNumBars> bar_size_{};
	unsigned cap_next_ = 0x40;
	unsigned cap_last_ = 0;
};

class PciFunction {
public:
	virtual ~PciFunction() = default;
	virtual PciConfig &config() = 0;
	// Configuration accesses from the guest; a device that must see or
	// filter them (a passed-through function) overrides these.
	virtual uint32_t config_read(unsigned off, unsigned size) { return config().read(off, size); }
	virtual void config_write(unsigned off, unsigned size, uint32_t v)
	{
		config().write(off, size, v);
	}
	// Accesses to a memory BAR, @off from its start; only while the guest
	// has memory decoding on. Reads fill all of @data.
	virtual void bar_read(unsigned bar, uint64_t off, std::span<uint8_t> data);
	virtual void bar_write(unsigned bar, uint64_t off, std::span<const uint8_t> data);
	// The PIC line the bus routed INTx pin A to (functions with a pin).
	virtual void connect_intx(IrqLine line) { (void)line; }
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
	// Where the VMM places memory BARs: inside GuestMemory's 32-bit hole,
	// below the IOAPIC/LAPIC addresses a guest may still assume.
	static constexpr uint64_t kMmioBase = 0xe0000000ull, kMmioEnd = 0xfec00000ull;

	PciBus();
	// Claims 0xcf8-0xcff on @pio and the BAR window on @mmio.
	void attach(IoBus &pio);
	void attach_mmio(IoBus &mmio);
	// Throws Error if the slot is taken or out of range, or the BAR window
	// is full. Assigns the function's BAR addresses and, when its pin
	// register is non-zero, a PIC line on @irqs.
	void add(unsigned slot, std::unique_ptr<PciFunction> fn, IrqSink *irqs = nullptr);
	PciFunction *function(unsigned slot) const;

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

	// The PIC line INTx of @slot goes to (the swizzle firmware would do).
	static unsigned intx_line(unsigned slot);

private:
	class MmioWindow final : public IoDevice {
	public:
		explicit MmioWindow(PciBus &bus) : bus_(bus) {}
		void io_read(uint64_t addr, std::span<uint8_t> data) override;
		void io_write(uint64_t addr, std::span<const uint8_t> data) override;

	private:
		PciBus &bus_;
	};
	PciFunction *selected(unsigned &off) const;
	// The function and BAR decoding @addr, with the offset into the BAR.
	PciFunction *decode(uint64_t addr, size_t len, unsigned &bar, uint64_t &off) const;
	uint32_t address_ = 0;
	uint64_t next_bar_ = kMmioBase;
	std::map<unsigned, std::unique_ptr<PciFunction>> slots_; // devfn >> 3
	MmioWindow window_{*this};
};

} // namespace ringvm
