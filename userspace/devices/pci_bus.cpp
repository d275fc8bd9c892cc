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

void PciConfig::add_mem_bar(unsigned idx, uint32_t size)
{
	if (idx >= kPciNumBars || size < 16 || (size & (size - 1)))
		throw Error("PCI BAR " + std::to_string(idx) + " of " + std::to_string(size) +
			    " bytes: BARs are 0-5, sized a power of two of at least 16");
	bar_size_[idx] = size;
	// Type bits 0 (32-bit memory, not prefetchable) stay read-only, so
	// writing all ones reads back the size mask as the guest expects.
	set_writable(kPciBar0 + 4 * idx, 4, ~(size - 1));
}

uint64_t PciConfig::bar_address(unsigned idx) const
{
	if (idx >= kPciNumBars || !bar_size_[idx])
		return 0;
	return read(kPciBar0 + 4 * idx, 4) & ~0xfu;
}

unsigned PciConfig::add_capability(uint8_t id, unsigned len)
{
	len = (len + 3) & ~3u;
	if (len < 4 || cap_next_ + len > data_.size())
		throw Error("PCI configuration space has no room for a capability of " +
			    std::to_string(len) + " bytes");
	unsigned off = cap_next_;
	poke(off, 1, id);
	poke(off + 1, 1, 0);
	if (cap_last_)
		poke(cap_last_ + 1, 1, off);
	else
		poke(kPciCapList, 1, off);
	poke(kPciStatus, 2, read(kPciStatus, 2) | kPciStatusCapList);
	cap_last_ = off;
	cap_next_ += len;
	return off;
}

void PciFunction::bar_read(unsigned, uint64_t, std::span<uint8_t> data)
{
	le_store(data, ~0ull);
}

void PciFunction::bar_write(unsigned, uint64_t, std::span<const uint8_t>) {}

PciHostBridge::PciHostBridge() : cfg_(kVendor, kHostBridge, kClassHostBridge << 8) {}

PciBus::PciBus()
{
	add(0, std::make_unique<PciHostBridge>());
}

void PciBus::attach(IoBus &pio)
{
	pio.add(0xcf8, 8, *this, "PCI configuration mechanism 1");
}

void PciBus::attach_mmio(IoBus &mmio)
{
	mmio.add(kMmioBase, kMmioEnd - kMmioBase, window_, "PCI memory BARs");
}

unsigned PciBus::intx_line(unsigned slot)
{
	// The lines the PC/AT left free for add-in cards, rotated by slot as
	// a PCI interrupt router would.
	static constexpr unsigned kLines[] = {10, 11, 5, 9};
	return kLines[slot % 4];
}

void PciBus::add(unsigned slot, std::unique_ptr<PciFunction> fn, IrqSink *irqs)
{
	if (slot >= 32 || slots_.count(slot))
		throw Error("cannot add a PCI device at slot " + std::to_string(slot) +
			    (slot >= 32 ? ": bus 0 has 32 slots" : ": slot taken"));
	PciConfig &cfg = fn->config();
	uint64_t next = next_bar_;
	for (unsigned i = 0; i < kPciNumBars; i++) {
		uint64_t size = cfg.bar_size(i);
		if (!size)
			continue;
		next = (next + size - 1) & ~(size - 1);
		if (next + size > kMmioEnd)
			throw Error("cannot place BAR " + std::to_string(i) + " of PCI slot " +
				    std::to_string(slot) + ": the 32-bit MMIO window is full");
		cfg.poke(kPciBar0 + 4 * i, 4, static_cast<uint32_t>(next));
		next += size;
	}
	next_bar_ = next;
	if (cfg.read(kPciIntPin, 1)) {
		unsigned line = intx_line(slot);
		cfg.poke(kPciIntLine, 1, line);
		fn->connect_intx(IrqLine(irqs, line));
	}
	slots_.emplace(slot, std::move(fn));
}

PciFunction *PciBus::function(unsigned slot) const
{
	auto it = slots_.find(slot);
	return it == slots_.end() ? nullptr : it->second.get();
}

PciFunction *PciBus::decode(uint64_t addr, size_t len, unsigned &bar, uint64_t &off) const
{
	for (const auto &[slot, fn] : slots_) {
		PciConfig &cfg = fn->config();
		if (!cfg.memory_enabled())
			continue;
		for (unsigned i = 0; i < kPciNumBars; i++) {
			uint64_t size = cfg.bar_size(i), base = cfg.bar_address(i);
			if (size && addr >= base && addr - base + len <= size) {
				bar = i;
				off = addr - base;
				return fn.get();
			}
		}
	}
	return nullptr;
}

void PciBus::MmioWindow::io_read(uint64_t addr, std::span<uint8_t> data)
{
	unsigned bar = 0;
	uint64_t off = 0;
	if (PciFunction *fn = bus_.decode(addr, data.size(), bar, off))
		fn->bar_read(bar, off, data);
	else
		le_store(data, ~0ull);
}

void PciBus::MmioWindow::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	unsigned bar = 0;
	uint64_t off = 0;
	if (PciFunction *fn = bus_.decode(addr, data.size(), bar, off))
		fn->bar_write(bar, off, data);
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
	uint32_t v = f ? f->config_read(off + byte, static_cast<unsigned>(data.size()))
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
		f->config_write(off + static_cast<unsigned>(addr - 0xcfc),
				static_cast<unsigned>(data.size()),
				static_cast<uint32_t>(le_value(data)));
}

} // namespace ringvm
