// SPDX-License-Identifier: GPL-2.0
#include "devices/vfio_pci.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "vmm/backend.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"
#include "vmm/passthrough.h"

namespace ringvm {

namespace {

constexpr unsigned kConfigSize = 256;
constexpr unsigned kHeaderType = 0x0e, kRomBar = 0x30;
constexpr uint8_t kCapMsi = 0x05, kCapMsix = 0x11, kCapExp = 0x10;
// Initiate Function Level Reset: bit 15 of PCI Express Device Control, at
// 8 in the capability.
constexpr unsigned kExpDevCtlHi = 0x09;
constexpr uint8_t kExpFlrBit = 0x80;
// Command bits the VMM keeps for the guest: I/O, memory, bus master and
// INTx disable. The device keeps the broker's values (decoding on, bus
// master on, DisINTx as the broker's INTx mask).
constexpr uint16_t kCommandVirtual = 0x0407;
// MAP_DMA refuses larger mappings (E2BIG).
constexpr uint64_t kMaxDmaChunk = 64ull << 30;

std::string dma_reason(int err)
{
	switch (err) {
	case ENOMEM:
		return "over the locked-memory limit (raise ulimit -l to the guest's memory size, "
		       "or run with CAP_IPC_LOCK)";
	case ERANGE:
		return "outside the IOMMU's aperture (give the guest less --mem)";
	case EEXIST:
		return "the range is already mapped";
	case EINVAL:
		return "the IOMMU reserves part of the range (see the device's "
		       "iommu_group/reserved_regions in sysfs)";
	case EPERM:
		return "the device was opened by another process";
	default:
		return std::strerror(err);
	}
}

bool aligned_access(uint64_t off, size_t len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) && off % len == 0;
}

} // namespace

VfioPci::VfioPci(std::unique_ptr<VfioBroker> broker, GuestMemory &mem, VfioPciOptions opts)
	: broker_(std::move(broker)), opts_(std::move(opts)), cfg_(0, 0, 0)
{
	VfioRegionInfo c = broker_->region_info(kVfioRegionConfig);
	if (c.size < kConfigSize)
		throw Error("cannot pass through " + bdf() + ": its config space region has " +
			    std::to_string(c.size) + " bytes, fewer than 256");
	map_guest_ram(mem);

	// What the VMM shows instead of the device: see vfio_pci.h.
	virt_[kPciCommand] = kCommandVirtual & 0xff;
	virt_[kPciCommand + 1] = kCommandVirtual >> 8;
	virt_[kHeaderType] = 0xff; // one function: no multi-function bit
	for (unsigned b = kPciBar0; b < kPciBar0 + 4 * kPciNumBars; b++)
		virt_[b] = 0xff;
	for (unsigned b = kRomBar; b < kRomBar + 4; b++)
		virt_[b] = 0xff; // no expansion ROM
	virt_[kPciCapList] = 0xff;
	virt_[kPciIntLine] = virt_[kPciIntPin] = 0xff;
	cfg_.poke(kHeaderType, 1, device_config(kHeaderType, 1) & 0x7f);

	setup_bars();
	read_capabilities();
	setup_bar_slots();
	setup_intx();
	setup_req();
}

VfioPci::~VfioPci()
{
	// The VM's slots go before the mappings they point at.
	for (auto &b : bars_) {
		for (auto &p : b.pieces) {
			if (!vm_ || !p.mapped_gpa)
				continue;
			try {
				vm_->map_memory(p.slot, *p.mapped_gpa, 0, b.map.data() + p.off);
			} catch (const Error &) {
				// The VM is ending anyway; the mapping goes with it.
			}
		}
	}
}

void VfioPci::map_guest_ram(GuestMemory &mem)
{
	VfioDeviceInfo info = broker_->device_info();
	for (const auto &r : mem.regions()) {
		uint64_t last = r.gpa + r.size - 1;
		// append(), not "[" + hex(..): GCC 12 at -O2 warns about the latter
		// (a false -Wrestrict, GCC bug 105329).
		std::string range;
		range.append("[").append(hex(r.gpa)).append(", ").append(hex(r.gpa + r.size)).append(")");
		if (r.gpa < info.iova_start || last > info.iova_end)
			throw Error("cannot map guest RAM " + range + " for DMA by " + bdf() +
				    ": outside the IOMMU's aperture [" + hex(info.iova_start) + ", " +
				    hex(info.iova_end) + "] (give the guest less --mem)");
		uint8_t *hva = mem.span(r.gpa, r.size).data();
		for (uint64_t off = 0; off < r.size; off += kMaxDmaChunk) {
			uint64_t n = std::min(kMaxDmaChunk, r.size - off);
			// IOVA = guest-physical address: the guest's driver programs
			// the device with the addresses it knows.
			int err = broker_->map_dma(r.gpa + off, hva + off, n,
						   kVfioDmaRead | kVfioDmaWrite);
			if (err)
				throw Error("cannot map guest RAM " + range + " for DMA by " + bdf() +
					    " (RINGVM_VFIO_MAP_DMA): " + dma_reason(err));
		}
	}
}

void VfioPci::setup_bars()
{
	for (unsigned i = 0; i < kPciNumBars; i++) {
		Bar &b = bars_[i];
		b.region = broker_->region_info(i);
		// Absent, the upper half of a 64-bit BAR, or I/O: the guest sees
		// no BAR there (the bus places memory BARs only).
		if (!b.region.size || (b.region.flags & kVfioRegionIoPort))
			continue;
		if (b.region.size > PciBus::kMmioEnd - PciBus::kMmioBase)
			throw Error("cannot pass through " + bdf() + ": BAR " + std::to_string(i) +
				    " has " + std::to_string(b.region.size >> 20) +
				    " MiB, more than the VMM's 32-bit MMIO window");
		// Shown as a 32-bit BAR the VMM places; sizing works on the mirror.
		cfg_.add_mem_bar(i, static_cast<uint32_t>(b.region.size));
		if (!(b.region.flags & kVfioRegionMmap))
			continue;
		try {
			b.map = broker_->map_region(i, b.region.size);
		} catch (const Error &) {
			// Trapped through pread/pwrite instead.
		}
	}
}

void VfioPci::setup_bar_slots()
{
	if (!opts_.alloc_mem_slot)
		return;
	for (unsigned i = 0; i < kPciNumBars; i++) {
		Bar &b = bars_[i];
		if (!b.map)
			continue;
		std::vector<std::pair<uint64_t, uint64_t>> holes;
		if (msi_)
			holes = msi_->trapped_pages(i);
		holes.push_back({b.region.size, b.region.size});
		uint64_t at = 0;
		for (auto [first, end] : holes) {
			first = std::min(first, b.region.size);
			if (first > at)
				b.pieces.push_back({at, first - at, opts_.alloc_mem_slot(), {}});
			at = std::max(at, end);
		}
	}
}

void VfioPci::read_capabilities()
{
	unsigned msi = 0, msix = 0;
	if (device_config(kPciStatus, 2) & kPciStatusCapList) {
		unsigned ptr = device_config(kPciCapList, 1) & 0xfc;
		// At most 48 capabilities fit: a longer chain loops.
		for (int n = 0; ptr >= 0x40 && n < 48; n++) {
			uint8_t id = static_cast<uint8_t>(device_config(ptr, 1));
			caps_.push_back({ptr, id});
			if (id == kCapMsi && !msi)
				msi = ptr;
			if (id == kCapMsix && !msix)
				msix = ptr;
			if (id == kCapExp && !exp_cap_)
				exp_cap_ = ptr;
			ptr = device_config(ptr + 1, 1) & 0xfc;
		}
	}
	// Initiate-FLR is the VMM's: it reads 0, a write of 1 is a reset the
	// VMM brackets (config_write).
	if (exp_cap_ && exp_cap_ + kExpDevCtlHi < kConfigSize)
		virt_[exp_cap_ + kExpDevCtlHi] |= kExpFlrBit;
	else
		exp_cap_ = 0;
	if (msi || msix)
		msi_ = std::make_unique<VfioMsi>(
			*broker_, cfg_,
			[this](unsigned off, unsigned size) { return device_config(off, size); }, msi,
			msix, [this](unsigned bar) -> uint64_t { return cfg_.bar_size(bar); });
	link_capabilities(false);
}

void VfioPci::link_capabilities(bool with_msi)
{
	std::vector<unsigned> shown;
	for (auto [ptr, id] : caps_) {
		// MSI and MSI-X need a local APIC: until route_msi() they are
		// unlinked, so the guest's driver uses INTx.
		bool msi_cap = with_msi && msi_ && (ptr == msi_->msi_cap() || ptr == msi_->msix_cap());
		if ((id == kCapMsi || id == kCapMsix) && !msi_cap)
			continue;
		shown.push_back(ptr);
	}
	cfg_.poke(kPciCapList, 1, shown.empty() ? 0 : shown.front());
	for (size_t k = 0; k < shown.size(); k++) {
		virt_[shown[k] + 1] = 0xff;
		cfg_.poke(shown[k] + 1, 1, k + 1 < shown.size() ? shown[k + 1] : 0);
	}
	virt_[kPciStatus] = kPciStatusCapList;
	cfg_.poke(kPciStatus, 1, shown.empty() ? 0 : kPciStatusCapList);
}

void VfioPci::setup_intx()
{
	if (!device_config(kPciIntPin, 1) || !broker_->irq_count(kVfioIrqIntx)) {
		cfg_.poke(kPciIntPin, 1, 0);
		return;
	}
	int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		throw sys_error("create an eventfd for the INTx of " + bdf(), errno);
	intx_fd_ = Fd(fd);
	int fds[1] = {fd};
	int err = broker_->set_irqs(kVfioIrqIntx, fds);
	if (err)
		throw Error("cannot route the INTx of " + bdf() + " to the guest (RINGVM_VFIO_SET_IRQS): " +
			    (err == EOPNOTSUPP
				     ? std::string("the device cannot mask INTx (no INTx disable "
						   "bit), and INTx is the only interrupt this "
						   "platform delivers (no local APIC for MSI)")
				     : std::string(std::strerror(err))));
	// Pin A whatever the device's pin: the bus routes it by slot.
	cfg_.poke(kPciIntPin, 1, 1);
}

void VfioPci::setup_req()
{
	if (int err = broker_->set_req_eventfd(req_fd_.get()))
		throw Error("cannot ask ringvm_vfio to tell when the host wants " + bdf() +
			    " back (RINGVM_VFIO_SET_REQ_EVENTFD): " + std::strerror(err));
}

uint32_t VfioPci::device_config(unsigned off, unsigned size)
{
	uint8_t b[4] = {};
	if (aligned_access(off, size)) {
		if (broker_->read(kVfioRegionConfig, off, {b, size}))
			return size == 4 ? ~0u : (1u << (8 * size)) - 1;
		return static_cast<uint32_t>(le_value({b, size}));
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= device_config(off + i, 1) << (8 * i);
	return v;
}

uint32_t VfioPci::config_read(unsigned off, unsigned size)
{
	if (size > 4 || off + size > kConfigSize)
		return ~0u;
	if (msi_)
		msi_->config_reading(off, size);
	uint32_t mask = 0;
	bool all_virtual = true;
	for (unsigned i = 0; i < size; i++) {
		mask |= static_cast<uint32_t>(virt_[off + i]) << (8 * i);
		all_virtual &= virt_[off + i] == 0xff;
	}
	uint32_t dev = all_virtual ? 0 : device_config(off, size);
	return (dev & ~mask) | (cfg_.read(off, size) & mask);
}

void VfioPci::config_write(unsigned off, unsigned size, uint32_t v)
{
	if (size > 4 || off + size > kConfigSize)
		return;
	bool bars = false, command = false;
	for (unsigned i = 0; i < size; i++) {
		unsigned b = off + i;
		if (b == kPciCommand || b == kPciCommand + 1)
			command = true;
		else if (virt_[b] == 0xff)
			cfg_.write(b, 1, v >> (8 * i));
		bars |= b >= kPciBar0 && b < kPciBar0 + 4 * kPciNumBars;
	}
	bool flr = initiates_flr(off, size, v);
	if (flr)
		pre_reset();
	if (command)
		write_command(off, size, v);
	forward_config_write(off, size, v); // the broker resets on Initiate-FLR
	if (flr)
		post_reset();
	if (bars || command)
		sync_bars();
	if (command)
		update_intx();
	if (msi_)
		msi_->config_written();
}

bool VfioPci::initiates_flr(unsigned off, unsigned size, uint32_t v) const
{
	unsigned b = exp_cap_ + kExpDevCtlHi;
	return exp_cap_ && off <= b && b < off + size && ((v >> (8 * (b - off))) & kExpFlrBit);
}

void VfioPci::pre_reset()
{
	// The broker's reset turns every interrupt off; so do we first, so
	// that no irqfd stays bound to an eventfd the broker dropped and the
	// guest's MSI and MSI-X copies read as after a reset.
	if (msi_)
		msi_->reset();
	if (!intx_fd_ || intx_off_)
		return;
	if (intx_in_kernel_)
		intx_vm_->deassign_irqfd(intx_line_, intx_fd_.get());
	intx_off_ = true;
	intx_pending_ = intx_unmask_deferred_ = false;
	intx_.set(false);
	broker_->set_irqs(kVfioIrqIntx, {}); // EINVAL: already off
}

void VfioPci::post_reset()
{
	set_intx(true);
}

void VfioPci::write_command(unsigned off, unsigned size, uint32_t v)
{
	uint32_t cmd = config_read(kPciCommand, 2);
	for (unsigned i = 0; i < size; i++) {
		unsigned b = off + i;
		if (b == kPciCommand || b == kPciCommand + 1) {
			unsigned shift = 8 * (b - kPciCommand);
			cmd = (cmd & ~(0xffu << shift)) | (((v >> (8 * i)) & 0xff) << shift);
		}
	}
	cfg_.write(kPciCommand, 2, cmd); // keeps the virtual bits only
	// The rest (SERR, parity...) goes to the device, with the bits the
	// broker guards as they are there: it refuses changes to those.
	for (int attempt = 0; attempt < 2; attempt++) {
		uint32_t dev = device_config(kPciCommand, 2);
		uint32_t want = (dev & kCommandVirtual) | (cmd & ~kCommandVirtual & 0xffff);
		if (want == dev)
			return;
		uint8_t d[2];
		le_store(d, want);
		// EPERM: the broker's INTx handler changed DisINTx meanwhile.
		if (broker_->write(kVfioRegionConfig, kPciCommand, d) != EPERM)
			return;
	}
}

void VfioPci::forward_config_write(unsigned off, unsigned size, uint32_t v)
{
	auto forwarded = [this](unsigned b) {
		return b != kPciCommand && b != kPciCommand + 1 && virt_[b] != 0xff;
	};
	unsigned end = off + size;
	for (unsigned b = off; b < end;) {
		if (!forwarded(b)) {
			b++;
			continue;
		}
		// The widest naturally aligned access of forwarded bytes.
		unsigned n = 4;
		for (;; n /= 2) {
			bool ok = b % n == 0 && b + n <= end;
			for (unsigned i = 0; ok && i < n; i++)
				ok = forwarded(b + i);
			if (ok || n == 1)
				break;
		}
		uint8_t d[4];
		le_store({d, n}, v >> (8 * (b - off)));
		// A refusal (EPERM) is the broker filtering a register: as
		// hardware ignores a write to a read-only one, so does the guest.
		broker_->write(kVfioRegionConfig, b, {d, n});
		b += n;
	}
}

bool VfioPci::direct_access(const Bar &b, uint64_t off, size_t len) const
{
	return b.map && aligned_access(off, len) && off + len <= b.map.size();
}

void VfioPci::bar_read(unsigned bar, uint64_t off, std::span<uint8_t> data)
{
	if (bar >= kPciNumBars) {
		le_store(data, ~0ull);
		return;
	}
	if (msi_ && msi_->msix_covers(bar, off, data.size())) {
		msi_->msix_read(bar, off, data);
		return;
	}
	Bar &b = bars_[bar];
	if (direct_access(b, off, data.size())) {
		// One access of the guest's width: device registers care.
		const uint8_t *p = b.map.data() + off;
		uint64_t v;
		switch (data.size()) {
		case 1:
			v = *reinterpret_cast<const volatile uint8_t *>(p);
			break;
		case 2:
			v = *reinterpret_cast<const volatile uint16_t *>(p);
			break;
		case 4:
			v = *reinterpret_cast<const volatile uint32_t *>(p);
			break;
		default:
			v = *reinterpret_cast<const volatile uint64_t *>(p);
			break;
		}
		le_store(data, v);
		return;
	}
	if (aligned_access(off, data.size())) {
		if (broker_->read(bar, off, data))
			le_store(data, ~0ull);
		return;
	}
	for (size_t i = 0; i < data.size(); i++)
		bar_read(bar, off + i, data.subspan(i, 1));
}

void VfioPci::bar_write(unsigned bar, uint64_t off, std::span<const uint8_t> data)
{
	if (bar >= kPciNumBars)
		return;
	if (msi_ && msi_->msix_covers(bar, off, data.size())) {
		msi_->msix_write(bar, off, data);
		return;
	}
	Bar &b = bars_[bar];
	if (direct_access(b, off, data.size())) {
		uint8_t *p = b.map.data() + off;
		uint64_t v = le_value(data);
		switch (data.size()) {
		case 1:
			*reinterpret_cast<volatile uint8_t *>(p) = static_cast<uint8_t>(v);
			break;
		case 2:
			*reinterpret_cast<volatile uint16_t *>(p) = static_cast<uint16_t>(v);
			break;
		case 4:
			*reinterpret_cast<volatile uint32_t *>(p) = static_cast<uint32_t>(v);
			break;
		default:
			*reinterpret_cast<volatile uint64_t *>(p) = v;
			break;
		}
		return;
	}
	if (aligned_access(off, data.size())) {
		broker_->write(bar, off, data); // a refused write is dropped
		return;
	}
	for (size_t i = 0; i < data.size(); i++)
		bar_write(bar, off + i, data.subspan(i, 1));
}

void VfioPci::attach_vm(Vm &vm)
{
	if (!vm.maps_device_memory())
		return; // every BAR access traps and goes through the broker
	vm_ = &vm;
	sync_bars();
}

void VfioPci::sync_bars()
{
	if (!vm_)
		return;
	std::array<std::optional<uint64_t>, kPciNumBars> want;
	// Remove stale slots first, so that BARs trading places both map.
	for (unsigned i = 0; i < kPciNumBars; i++) {
		Bar &b = bars_[i];
		if (cfg_.memory_enabled())
			want[i] = cfg_.bar_address(i);
		for (auto &p : b.pieces) {
			if (p.mapped_gpa && (!want[i] || *p.mapped_gpa != *want[i] + p.off)) {
				// Size 0 deletes.
				vm_->map_memory(p.slot, *p.mapped_gpa, 0, b.map.data() + p.off);
				p.mapped_gpa.reset();
			}
		}
	}
	for (unsigned i = 0; i < kPciNumBars; i++) {
		Bar &b = bars_[i];
		for (auto &p : b.pieces) {
			if (!want[i] || p.mapped_gpa)
				continue;
			try {
				vm_->map_memory(p.slot, *want[i] + p.off, p.size, b.map.data() + p.off);
				p.mapped_gpa = *want[i] + p.off;
			} catch (const Error &) {
				// Overlapping RAM or another slot (a guest mid-way
				// through moving BARs): the BAR traps until the next
				// change.
			}
		}
	}
}

std::optional<uint64_t> VfioPci::bar_slot_gpa(unsigned bar) const
{
	for (const auto &p : bars_.at(bar).pieces)
		if (p.mapped_gpa)
			return *p.mapped_gpa - p.off;
	return std::nullopt;
}

std::vector<std::pair<uint64_t, uint64_t>> VfioPci::bar_pieces(unsigned bar) const
{
	std::vector<std::pair<uint64_t, uint64_t>> r;
	for (const auto &p : bars_.at(bar).pieces)
		r.push_back({p.off, p.off + p.size});
	return r;
}

void VfioPci::connect_intx(IrqLine line)
{
	intx_ = line;
	intx_line_ = cfg_.read(kPciIntLine, 1); // the bus wrote it just before
}

void VfioPci::update_intx()
{
	bool disabled = cfg_.read(kPciCommand, 2) & kPciCommandIntxDisable;
	if (intx_in_kernel_) {
		// The kernel drives the line; an unmask the guest's DisINTx held
		// back goes now that it is clear.
		if (intx_unmask_deferred_ && !disabled) {
			intx_unmask_deferred_ = false;
			unmask_intx();
		}
		return;
	}
	intx_.set(intx_pending_ && !disabled);
}

void VfioPci::intx_fired()
{
	// Off: a signal from before MSI went on, for a line now lowered.
	if (!intx_fd_ || intx_in_kernel_ || intx_off_)
		return;
	intx_pending_ = true;
	update_intx();
}

void VfioPci::line_ready(unsigned line)
{
	if (line != intx_line_ || !intx_pending_)
		return;
	// The guest has serviced the line: lower it and let the device
	// interrupt again. If it still asserts INTx the broker signals the
	// eventfd at once and the line rises again.
	intx_pending_ = false;
	update_intx();
	if (int err = broker_->unmask_intx())
		throw Error("cannot unmask the INTx of " + bdf() + " (RINGVM_VFIO_UNMASK_INTX): " +
			    std::strerror(err));
}

void VfioPci::intx_through_kernel(Vm &vm)
{
	if (!intx_fd_)
		return;
	try {
		vm.assign_irqfd(intx_line_, intx_fd_.get(), intx_resample_.get());
	} catch (const Error &e) {
		throw Error("cannot route the INTx of " + bdf() + " through the in-kernel irqchip: " +
			    e.what());
	}
	intx_in_kernel_ = true;
	intx_vm_ = &vm;
	intx_pending_ = false;
}

void VfioPci::intx_resampled()
{
	// The guest EOI'd the line and the kernel lowered it: let the device
	// interrupt again, unless the guest's own DisINTx says not to yet (a
	// driver that masks at the device, as uio_pci_generic does: unmasking
	// a device still asserting would raise the line at once, again and
	// again). If it still asserts INTx the broker signals the irqfd at once
	// and the line rises again. With MSI on, INTx is off at the broker: an
	// EOI of a line raised before that has nothing to unmask.
	if (intx_off_)
		return;
	if (cfg_.read(kPciCommand, 2) & kPciCommandIntxDisable) {
		intx_unmask_deferred_ = true;
		return;
	}
	unmask_intx();
}

void VfioPci::unmask_intx()
{
	if (int err = broker_->unmask_intx())
		throw Error("cannot unmask the INTx of " + bdf() + " (RINGVM_VFIO_UNMASK_INTX): " +
			    std::strerror(err));
}

void VfioPci::route_msi(MsiSink &sink)
{
	if (!msi_ || (!msi_->msi_cap() && !msi_->msix_cap()))
		return;
	msi_->show(sink, [this](bool on) { set_intx(on); });
	for (auto [first, end] : msi_->config_ranges())
		for (unsigned b = first; b < end; b++)
			virt_[b] = 0xff;
	link_capabilities(true);
}

void VfioPci::set_intx(bool on)
{
	if (!intx_fd_ || intx_off_ != on)
		return;
	if (!on) {
		// Unbound first: the kernel lowers a line it holds up for the
		// resample, which nothing would ever EOI now.
		if (intx_in_kernel_)
			intx_vm_->deassign_irqfd(intx_line_, intx_fd_.get());
		intx_off_ = true;
		intx_pending_ = intx_unmask_deferred_ = false;
		intx_.set(false);
		if (int err = broker_->set_irqs(kVfioIrqIntx, {}))
			throw Error("cannot turn off the INTx of " + bdf() +
				    " for its MSI (RINGVM_VFIO_SET_IRQS): " + std::strerror(err));
		return;
	}
	int fds[1] = {intx_fd_.get()};
	if (int err = broker_->set_irqs(kVfioIrqIntx, fds))
		throw Error("cannot turn the INTx of " + bdf() +
			    " back on after its MSI (RINGVM_VFIO_SET_IRQS): " + std::strerror(err));
	intx_off_ = false;
	if (intx_in_kernel_) {
		// A signal left from before MSI went on would raise the line for
		// nothing. (The userspace PIC's watch copes: intx_fired() ignored
		// it while off.)
		uint64_t stale;
		[[maybe_unused]] ssize_t n = ::read(intx_fd_.get(), &stale, sizeof(stale));
		intx_vm_->assign_irqfd(intx_line_, intx_fd_.get(), intx_resample_.get());
	}
}

} // namespace ringvm
