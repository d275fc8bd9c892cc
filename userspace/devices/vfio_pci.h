// SPDX-License-Identifier: GPL-2.0
// A host PCI function passed through to the guest with ringvm_vfio.ko
// (`ringvm run --passthrough BDF`, Documentation/vfio-api.rst, "VMM
// integration").
//
// The device DMAs straight into guest RAM: all of it is mapped for DMA at
// IOVA = guest-physical address, so the addresses the guest's driver
// programs are the ones the IOMMU translates. Config space is the device's
// own, filtered by the broker, except what the VMM virtualizes: the BARs
// (placed by the VMM's PciBus, movable by the guest), the expansion ROM (none),
// the interrupt line and pin, the memory/I/O/bus-master/INTx-disable command
// bits, the capability chain, and MSI and MSI-X (VfioMsi), which the chain
// shows only on the in-kernel irqchip: without local APICs the guest gets
// INTx alone.
//
// Memory BARs the broker can mmap are memory slots of the VM at the BAR's
// guest address (when the options allow it), followed as the guest moves
// them or turns decoding off; the pages holding the MSI-X table and PBA are
// left out whenever the device has MSI-X (shown or not), so those trap to
// the VMM's copy, never the device's table. The others trap and go through
// the broker.
// INTx arrives on an eventfd, already masked by the broker. With the
// userspace PICs the VMM raises the line, which stays up until the guest
// lets it interrupt again (EOI or unmask, Pic8259::on_line_ready); then the
// broker unmasks the device. With the in-kernel irqchip the eventfd is an
// irqfd with resample: the kernel raises the line without the VMM, lowers
// it at the guest's EOI and signals the resample eventfd, on which the VMM
// has the broker unmask the device (a level-triggered line, as KVM's).
// While the guest has MSI or MSI-X on, INTx is off at the broker and its
// irqfd unbound.
// A guest's function reset (Initiate-FLR in PCI Express Device Control) is
// bracketed by the VMM, as QEMU's vfio_pci_pre_reset/post_reset: MSI and
// MSI-X off and back to their reset values (VfioMsi::reset), INTx off, then
// the broker's reset, then INTx on again with its irqfd. The bit reads 0.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "devices/pci_bus.h"
#include "devices/vfio_msi.h"
#include "vmm/fd.h"
#include "vmm/vfio_broker.h"
#include "vmm/vhost.h" // EventFd

namespace ringvm {

class GuestMemory;
class Vm;

struct VfioPciOptions {
	// Hands out memory slot numbers; empty: every BAR access traps. BARs
	// with a slot trap too on a VM that cannot map device memory
	// (Vm::maps_device_memory: ringvm.ko before RINGVM_CAP_DEVICE_MEMORY).
	std::function<uint32_t()> alloc_mem_slot;
};

class VfioPci final : public PciFunction {
public:
	// Maps every region of @mem for DMA, reads the device's config space
	// and BARs, mmaps what it can and routes INTx to an eventfd. Throws
	// Error naming the device and the reason.
	VfioPci(std::unique_ptr<VfioBroker> broker, GuestMemory &mem, VfioPciOptions opts = {});
	~VfioPci() override;

	PciConfig &config() override { return cfg_; }
	uint32_t config_read(unsigned off, unsigned size) override;
	void config_write(unsigned off, unsigned size, uint32_t v) override;
	void bar_read(unsigned bar, uint64_t off, std::span<uint8_t> data) override;
	void bar_write(unsigned bar, uint64_t off, std::span<const uint8_t> data) override;
	void connect_intx(IrqLine line) override;

	// The hypervisor's VM exists: BARs with slots get mapped from now on,
	// if it maps device memory.
	void attach_vm(Vm &vm);
	// The broker signalled INTx (the eventfd, drained).
	void intx_fired();
	// The PIC lets @line interrupt again (Pic8259::on_line_ready).
	void line_ready(unsigned line);
	// Hands INTx to @vm's in-kernel irqchip (an irqfd with resample on the
	// line the bus gave the device): from now on the VMM only unmasks, when
	// intx_resample_fd() is readable (intx_resampled). Throws Error.
	void intx_through_kernel(Vm &vm);
	void intx_resampled();
	// The in-kernel irqchip's local APICs take messages: the guest is shown
	// the device's MSI and MSI-X (VfioMsi), bound to @sink's routes.
	void route_msi(MsiSink &sink);
	// Signalled by the kernel at the guest's EOI of the INTx line.
	int intx_resample_fd() const { return intx_resample_.get(); }

	const std::string &bdf() const { return broker_->bdf(); }
	// The INTx eventfd; -1 when the device has no INTx.
	int intx_fd() const { return intx_fd_.get(); }
	// Readable once the host asks for the device back (an unbind).
	int req_fd() const { return req_fd_.get(); }
	// Where BAR @bar is (partly) a memory slot of the VM now, if it is.
	std::optional<uint64_t> bar_slot_gpa(unsigned bar) const;
	// The memory slots BAR @bar is mapped through: [offset, end) in the BAR.
	std::vector<std::pair<uint64_t, uint64_t>> bar_pieces(unsigned bar) const;
	bool intx_pending() const { return intx_pending_; }
	// Whether the device's INTx is on (off while MSI or MSI-X is).
	bool intx_on() const { return intx_fd_ && !intx_off_; }
	const VfioMsi *msi() const { return msi_.get(); }

private:
	// A part of a BAR that is a memory slot: all of it but the pages
	// that must trap.
	struct Piece {
		uint64_t off, size;
		uint32_t slot;
		std::optional<uint64_t> mapped_gpa;
	};
	struct Bar {
		VfioRegionInfo region;
		RegionMapping map; // the host's mapping of the BAR, if mmap'able
		std::vector<Piece> pieces;
	};
	void map_guest_ram(GuestMemory &mem);
	void read_capabilities();
	void link_capabilities(bool with_msi);
	void setup_bars();
	void setup_bar_slots();
	void set_intx(bool on);
	void pre_reset();
	void post_reset();
	bool initiates_flr(unsigned off, unsigned size, uint32_t v) const;
	void setup_intx();
	void setup_req();
	void sync_bars();
	void update_intx();
	void unmask_intx();
	void write_command(unsigned off, unsigned size, uint32_t v);
	void forward_config_write(unsigned off, unsigned size, uint32_t v);
	uint32_t device_config(unsigned off, unsigned size);
	bool direct_access(const Bar &b, uint64_t off, size_t len) const;

	std::unique_ptr<VfioBroker> broker_;
	VfioPciOptions opts_;
	PciConfig cfg_;
	// Per config byte: bits whose guest view comes from cfg_, not the device.
	std::array<uint8_t, 256> virt_{};
	std::array<Bar, kPciNumBars> bars_;
	std::vector<std::pair<unsigned, uint8_t>> caps_; // the device's chain: offset, ID
	std::unique_ptr<VfioMsi> msi_;
	unsigned exp_cap_ = 0; // the PCI Express capability; 0: none
	Vm *vm_ = nullptr;
	Vm *intx_vm_ = nullptr; // the VM whose irqfd INTx is
	Fd intx_fd_;
	EventFd req_fd_;
	IrqLine intx_;
	unsigned intx_line_ = ~0u;
	bool intx_pending_ = false;
	bool intx_in_kernel_ = false;
	bool intx_unmask_deferred_ = false; // held back by the guest's DisINTx
	bool intx_off_ = false;		    // MSI or MSI-X is on
	EventFd intx_resample_;
};

} // namespace ringvm
