// SPDX-License-Identifier: GPL-2.0
#include "devices/pci_bus.h"

#include "vmm/error.h"

namespace ringvm {

namespace {

// Red Hat's QEMU PCIe host bridge ID: Linux binds nothing special to it.
constexpr uint16_t kVendor = 0x1b36, kHostBridge = 0x0008;
constexpr uint32_t kClassHostBridge = 0x060000;
constexpr uint32_t kEnable = 0x80000000u;

} // namespace

PciConfig::PciConfig(uint16_t vendor, uint16_t device, uint32_t class_rev, uint8_t header_type)
{
	poke(0, 2, vendor);
	poke(2, 2, device);
	poke(8, 4, class_rev);
	poke(0x0e, 1, header_type);
	// Command: I/O, memory, bus master, INTx disable.
	set_writable(0x04, 2, 0x0407);
	set_writable(0x0c, 1, 0xff); // cache line size
	set_writable(0x0d, 1, 0xff); // latency timer
	set_writable(0x3c, 1, 0xff); // interrupt line
}

uint32_t PciConfig::read(unsigned off, unsigned size) const
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size && off + i < data_.size(); i++)
		v |= static_cast<uint32_t>(data_[off + i]) << (8 * i);
	return v;
}

void PciConfig::write(unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size && off + i < data_.size(); i++) {
		uint8_t b = static_cast<uint8_t>(v >> (8 * i));
		uint8_t m = wmask_[off + i];
		data_[off + i] = (data_[off + i] & ~m) | (b & m);
	}
}

void PciConfig::poke(unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size && off + i < data_.size(); i++)
		data_[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

void PciConfig::set_writable(unsigned off, unsigned size, uint32_t mask)
{
	for (unsigned i = 0; i < size && off + i < wmask_.size(); i++)
		wmask_[off + i] = static_cast<uint8_t>(mask >> (8 * i));
}

PciHostBridge::PciHostBridge() : cfg_(kVendor, kHostBridge, kClassHostBridge << 8) {}

PciBus::PciBus()
{
	add(0, std::make_unique<PciHostBridge>());
}

void PciBus::attach(IoBus &pio)
{
	pio.add(0xcf8, 8, *this, "PCI configuration mechanism 1");
}

void PciBus::add(unsigned slot, std::unique_ptr<PciFunction> fn)
{
	if (slot >= 32 || slots_.count(slot))
		throw Error("cannot add a PCI device at slot " + std::to_string(slot) +
			    (slot >= 32 ? ": bus 0 has 32 slots" : ": slot taken"));
	slots_.emplace(slot, std::move(fn));
}

PciFunction *PciBus::selected(unsigned &off) const
{
	if (!(address_ & kEnable))
		return nullptr;
	unsigned bus = (address_ >> 16) & 0xff, dev = (address_ >> 11) & 0x1f,
		 fn = (address_ >> 8) & 7;
	off = address_ & 0xfc;
	if (bus != 0 || fn != 0)
		return nullptr;
	auto it = slots_.find(dev);
	return it == slots_.end() ? nullptr : it->second.get();
}

void PciBus::io_read(uint64_t addr, std::span<uint8_t> data)
{
	if (addr >= 0xcf8 && addr < 0xcfc) {
		// Only a full dword access at 0xcf8 is the address register.
		le_store(data, addr == 0xcf8 && data.size() == 4 ? address_ : 0xffffffffu);
		return;
	}
	unsigned off = 0;
	PciFunction *f = selected(off);
	unsigned byte = static_cast<unsigned>(addr - 0xcfc);
	uint32_t v = f ? f->config().read(off + byte, static_cast<unsigned>(data.size()))
		       : 0xffffffffu;
	le_store(data, v);
}

void PciBus::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	if (addr >= 0xcf8 && addr < 0xcfc) {
		if (addr == 0xcf8 && data.size() == 4)
			address_ = static_cast<uint32_t>(le_value(data)) & 0x80fffffcu;
		return;
	}
	unsigned off = 0;
	PciFunction *f = selected(off);
	if (f)
		f->config().write(off + static_cast<unsigned>(addr - 0xcfc),
				  static_cast<unsigned>(data.size()),
				  static_cast<uint32_t>(le_value(data)));
}

} // namespace ringvm
