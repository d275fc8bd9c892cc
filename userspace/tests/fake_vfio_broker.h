// SPDX-License-Identifier: GPL-2.0
// A fake ringvm_vfio device node for the passthrough tests: config space,
// BARs, MAP_DMA, SET_IRQS with the broker's rules, UNMASK_INTX, and the
// broker's filtering of config writes; and a guest's bus to put it on.
#pragma once

#include <sys/mman.h>

#include <array>
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "board/machine.h"
#include "devices/vfio_pci.h"
#include "tests/images.h"
#include "tests/io_helpers.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm::test {

constexpr const char *kBdf = "0000:00:03.0";

// The device node as the broker shows it.
class FakeBroker final : public VfioBroker {
public:
	FakeBroker()
	{
		put(0x00, 4, 0x11e81234);  // vendor 1234, device 11e8 (QEMU's edu)
		put(0x04, 2, 0x0406);	   // bus master and DisINTx: the broker's
		put(0x08, 4, 0x00ff0010);  // class ff, revision 0x10
		put(0x0e, 1, 0x80);	   // header type 0, multi-function
		put(0x10, 4, 0xfea00000);  // where the host placed BAR0
		put(0x18, 4, 0x0000c001);  // BAR2: I/O
		put(0x3d, 1, 2);	   // INTx pin B
		regions[0] = {kVfioRegionRead | kVfioRegionWrite | kVfioRegionMmap, 0x100000};
		regions[2] = {kVfioRegionRead | kVfioRegionWrite | kVfioRegionIoPort, 0x20};
		regions[3] = {kVfioRegionRead | kVfioRegionWrite, 0x1000}; // not mmap'able
		regions[kVfioRegionConfig] = {kVfioRegionRead | kVfioRegionWrite, 256};
	}

	// A capability chain: PM -> MSI -> MSI-X -> PCIe.
	void add_caps()
	{
		put(0x06, 2, kPciStatusCapList);
		put(0x34, 1, 0x40);
		put(0x40, 2, 0x5001);
		put(0x50, 2, 0x7005);
		put(0x70, 2, 0x8011);
		put(0x80, 2, 0x0010);
	}

	void put(unsigned off, unsigned size, uint32_t v)
	{
		for (unsigned i = 0; i < size; i++)
			config[off + i] = static_cast<uint8_t>(v >> (8 * i));
	}
	uint32_t get(unsigned off, unsigned size) const
	{
		uint32_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= static_cast<uint32_t>(config[off + i]) << (8 * i);
		return v;
	}

	const std::string &bdf() const override { return name; }
	VfioDeviceInfo device_info() override { return info; }
	VfioRegionInfo region_info(unsigned index) override { return regions.at(index); }
	uint32_t irq_count(unsigned kind) override
	{
		return kind == kVfioIrqIntx ? intx_count : kind == kVfioIrqMsi ? msi_count : msix_count;
	}
	RegionMapping map_region(unsigned index, uint64_t size) override
	{
		void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
		if (p == MAP_FAILED)
			throw sys_error("mmap", errno);
		bar_maps[index] = static_cast<uint8_t *>(p);
		return RegionMapping(p, size);
	}

	int read(unsigned index, uint64_t off, std::span<uint8_t> data) override
	{
		reads.push_back({index, off, data.size(), 0});
		if (index == kVfioRegionConfig) {
			for (size_t i = 0; i < data.size(); i++)
				data[i] = config[off + i];
			return 0;
		}
		le_store(data, 0x5a000000u | (index << 16) | off);
		return 0;
	}

	int write(unsigned index, uint64_t off, std::span<const uint8_t> data) override
	{
		uint64_t v = le_value(data);
		writes.push_back({index, off, data.size(), v});
		if (index != kVfioRegionConfig)
			return 0;
		// The broker's filter: BARs, the ROM BAR, MSI and MSI-X, and
		// changes to bus master or DisINTx are refused.
		auto touches = [&](unsigned lo, unsigned hi) { return off < hi && off + data.size() > lo; };
		if (touches(0x10, 0x28) || touches(0x30, 0x34) || touches(0x50, 0x60) ||
		    touches(0x70, 0x7c))
			return EPERM;
		if (touches(0x04, 0x06)) {
			uint32_t cmd = get(0x04, 2);
			uint32_t want = cmd;
			for (size_t i = 0; i < data.size(); i++)
				if (off + i == 4 || off + i == 5) {
					unsigned s = 8 * (off + i - 4);
					want = (want & ~(0xffu << s)) | (data[i] << s);
				}
			if ((want ^ cmd) & 0x0404)
				return EPERM;
		}
		for (size_t i = 0; i < data.size(); i++)
			config[off + i] = data[i];
		// Initiate-FLR in the PCIe capability's Device Control (at 0x80
		// in add_caps' chain): as the broker, a reset that turns every
		// interrupt off first; the bit reads 0.
		if (touches(kFlrByte, kFlrByte + 1) && (config[kFlrByte] & 0x80)) {
			config[kFlrByte] &= 0x7f;
			irq_kind = ~0u;
			irq_fds.clear();
			flrs++;
		}
		return 0;
	}
	static constexpr unsigned kFlrByte = 0x89;
	int flrs = 0;

	int map_dma(uint64_t iova, void *vaddr, uint64_t size, uint32_t flags) override
	{
		if (map_dma_error)
			return map_dma_error;
		dma.push_back({iova, vaddr, size, flags});
		return 0;
	}
	// As the broker: one kind at a time, turned off before another goes on.
	int set_irqs(unsigned kind, std::span<const int> fds) override
	{
		if (set_irqs_error)
			return set_irqs_error;
		if (on_set_irqs)
			on_set_irqs(kind, fds);
		irq_sets.push_back({kind, fds.size()});
		if (fds.empty()) {
			if (irq_kind != kind)
				return EINVAL;
			irq_kind = ~0u;
			irq_fds.clear();
			return 0;
		}
		if (irq_kind != ~0u)
			return EBUSY;
		if (fds.size() > irq_count(kind))
			return EINVAL;
		irq_kind = kind;
		irq_fds.assign(fds.begin(), fds.end());
		return 0;
	}
	std::function<void(unsigned kind, std::span<const int> fds)> on_set_irqs;
	// Every SET_IRQS: kind, vector count (0: off).
	std::vector<std::pair<unsigned, size_t>> irq_sets;
	int unmask_intx() override
	{
		if (irq_kind != kVfioIrqIntx)
			return EINVAL;
		unmasks++;
		if (on_unmask)
			on_unmask();
		return 0;
	}
	std::function<void()> on_unmask;
	int set_req_eventfd(int fd) override
	{
		req_fd = fd;
		return 0;
	}
	int req_fd = -1;

	struct Access {
		unsigned index;
		uint64_t off;
		size_t size;
		uint64_t value;
	};
	struct Dma {
		uint64_t iova;
		void *vaddr;
		uint64_t size;
		uint32_t flags;
	};
	std::string name = kBdf;
	VfioDeviceInfo info{kVfioDeviceIntxMask, 0x1234, 0x11e8, 0, (1ull << 39) - 1};
	std::array<uint8_t, 256> config{};
	std::array<VfioRegionInfo, kVfioNumRegions> regions{};
	std::array<uint8_t *, kPciNumBars> bar_maps{};
	uint32_t intx_count = 1, msi_count = 0, msix_count = 0;
	int map_dma_error = 0, set_irqs_error = 0, unmasks = 0;
	unsigned irq_kind = ~0u;
	std::vector<int> irq_fds;
	std::vector<Dma> dma;
	std::vector<Access> reads, writes;

	size_t config_writes_at(unsigned off) const
	{
		size_t n = 0;
		for (const auto &w : writes)
			n += w.index == kVfioRegionConfig && w.off <= off && off < w.off + w.size;
		return n;
	}
};

// A guest on bus 0: configuration mechanism 1 and the MMIO window.
struct Guest {
	PciBus bus;
	IoBus mmio{"mmio"};
	IrqRecorder irqs;
	VfioPci *dev = nullptr;
	unsigned slot = 3;

	Guest() { bus.attach_mmio(mmio); }
	void add(std::unique_ptr<VfioPci> d)
	{
		dev = d.get();
		bus.add(slot, std::move(d), &irqs);
	}
	uint32_t cfg(unsigned off, size_t size = 4)
	{
		out(bus, 0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc), 4);
		return in(bus, 0xcfc + (off & 3), size);
	}
	void set_cfg(unsigned off, uint32_t v, size_t size = 4)
	{
		out(bus, 0xcf8, 0x80000000u | (slot << 11) | (off & 0xfc), 4);
		out(bus, 0xcfc + (off & 3), v, size);
	}
	uint64_t mmio_read(uint64_t addr, size_t size)
	{
		uint8_t d[8] = {};
		mmio.read(addr, {d, size});
		return le_value({d, size});
	}
	void mmio_write(uint64_t addr, uint64_t v, size_t size)
	{
		uint8_t d[8];
		le_store({d, size}, v);
		mmio.write(addr, {d, size});
	}
};

// Small guest RAM for device-level tests.
inline GuestMemory &small_ram()
{
	static GuestMemory mem(16u << 20);
	return mem;
}

inline std::unique_ptr<VfioPci> make(FakeBroker *&fake, VfioPciOptions o = {},
			      std::function<void(FakeBroker &)> setup = {})
{
	auto b = std::make_unique<FakeBroker>();
	fake = b.get();
	if (setup)
		setup(*b);
	return std::make_unique<VfioPci>(std::move(b), small_ram(), std::move(o));
}

// A small machine to attach a fake device to (add_passthrough).
inline MachineConfig machine_config()
{
	MachineConfig c;
	c.mem_size = 32u << 20;
	c.kernel = make_bzimage();
	c.console_fd = -1;
	return c;
}

} // namespace ringvm::test
