// SPDX-License-Identifier: GPL-2.0
// MSI and MSI-X of a passed-through PCI function (Documentation/vfio-api.rst,
// "MSI and MSI-X"): the guest programs a copy of the capability and of the
// MSI-X table and PBA kept by the VMM; the device's own are the host's,
// programmed by the broker (SET_IRQS) with addresses the interrupt remapper
// translates.
//
// Enabling MSI or MSI-X turns the device's INTx off and asks the broker for
// an eventfd per vector; each vector that can send (enabled, unmasked, a
// message the hypervisor routes) has its eventfd bound as an irqfd to an
// MSI route of its own carrying the guest's message, so a device interrupt
// reaches the guest's local APIC with no VMM. The VMM runs only when the
// guest writes the capability or the table: then it reprograms the routes
// and binds or unbinds irqfds. A masked vector's eventfd is unbound and
// left to count; the VMM reads it when the guest looks at the pending bits
// or unmasks the vector, which then sends what was pending. Disabling gives
// the vectors back and turns INTx on again.
//
// Only on the in-kernel irqchip (an MsiSink): without local APICs the
// capabilities stay hidden and the device has INTx only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "devices/msix.h"
#include "devices/pci_bus.h"
#include "vmm/irq.h"
#include "vmm/vfio_broker.h"
#include "vmm/vhost.h" // EventFd

namespace ringvm {

// An eventfd bound as an irqfd to a GSI, unbound when it goes (before the
// eventfd it names is closed: declare it after the EventFd).
class IrqfdBinding {
public:
	IrqfdBinding() = default;
	// Binds @fd to @gsi in @sink; throws what bind_irqfd throws.
	IrqfdBinding(MsiSink &sink, uint32_t gsi, int fd);
	~IrqfdBinding();
	IrqfdBinding(IrqfdBinding &&o) noexcept { *this = std::move(o); }
	IrqfdBinding &operator=(IrqfdBinding &&o) noexcept;
	// Unbinds now; throws what bind_irqfd throws (the destructor cannot).
	void unbind();
	// The GSI bound to, or -1.
	int gsi() const { return sink_ ? static_cast<int>(gsi_) : -1; }

private:
	MsiSink *sink_ = nullptr;
	uint32_t gsi_ = 0;
	int fd_ = -1;
};

class VfioMsi {
public:
	// The most MSI-X vectors a guest is shown of a device's table (its
	// Table Size is capped; the rest of the table still traps, reads 0
	// and drops writes). ringvm.ko routes GSIs below 1024 only
	// (RINGVM_MAX_IRQ_ROUTES), 1000 of them for MSI, shared by every
	// device; each vector the guest unmasks takes one, and each vector of
	// the table an eventfd at enable. 256 lets a few large devices coexist
	// and covers a queue per vCPU of any guest ringvm runs.
	static constexpr unsigned kMaxGuestMsixVectors = 256;

	// Reads the device's config space (@size bytes at @off).
	using ConfigReader = std::function<uint32_t(unsigned off, unsigned size)>;
	// The device's MSI capability at @msi_cap and MSI-X capability at
	// @msix_cap (0: none), read through @device, shown in @cfg (whose
	// bytes the caller makes the guest's view of them once shown);
	// @bar_size(n) is the size of memory BAR n as the guest sees it (0:
	// none), where the MSI-X table and PBA must lie. A capability the
	// broker offers no vectors for, or whose table lies outside its BAR, is
	// left out (msi_cap(), msix_cap() say 0). Nothing is shown until show().
	VfioMsi(VfioBroker &broker, PciConfig &cfg, const ConfigReader &device, unsigned msi_cap,
		unsigned msix_cap, const std::function<uint64_t(unsigned bar)> &bar_size);
	~VfioMsi();
	VfioMsi(const VfioMsi &) = delete;
	VfioMsi &operator=(const VfioMsi &) = delete;

	// Where the capabilities the guest can be given are; 0: none.
	unsigned msi_cap() const { return msi_.cap; }
	unsigned msix_cap() const { return msix_ ? msix_cap_ : 0; }
	// Config-space ranges [first, end) the VMM owns once shown: the
	// capabilities' registers after their ID and next pointer.
	std::vector<std::pair<unsigned, unsigned>> config_ranges() const;
	// Ranges [first, end) of BAR @bar that must trap: the MSI-X table and
	// PBA rounded out to whole pages, whether or not MSI-X is shown or
	// offered (a guest must never reach the device's own table).
	std::vector<std::pair<uint64_t, uint64_t>> trapped_pages(unsigned bar) const;

	// The in-kernel irqchip exists: the capabilities become the guest's.
	// @intx(on) turns the device's INTx off before MSI or MSI-X goes on and
	// back on after it goes off (PCI 3.0 6.8.1.3, 6.8.2.3).
	void show(MsiSink &sink, std::function<void(bool on)> intx);
	bool shown() const { return sink_ != nullptr; }

	// After a guest write to config space (any bytes: cheap when nothing
	// of ours changed). A broker refusing the vectors does not throw: MSI
	// retries with fewer vectors down to 1; otherwise the device stays on
	// INTx, the guest's bits as written, and stderr says why (once).
	void config_written();
	// Before a function reset (the guest's Initiate-FLR): unbinds the
	// irqfds, turns the broker's MSI or MSI-X off (the reset would anyway)
	// and returns the guest's copies to their reset values. INTx is the
	// caller's to turn back on after the reset.
	void reset();
	// Before a guest read of config space at [@off, @off + @size).
	void config_reading(unsigned off, unsigned size);
	// Whether a guest access to BAR @bar at [@off, @off + @len) is the
	// MSI-X table's or PBA's, shown or not (--irqchip user, before show(),
	// MSI-X not offered); then msix_read/msix_write: the VMM's copy, never
	// the device's table (not shown: no message is ever sent; not
	// offered: reads 0, writes dropped).
	bool msix_covers(unsigned bar, uint64_t off, size_t len) const;
	void msix_read(unsigned bar, uint64_t off, std::span<uint8_t> data);
	void msix_write(unsigned bar, uint64_t off, std::span<const uint8_t> data);

	// Test visibility: the broker kind on (kVfioIrqMsi/Msix, or -1) and
	// vector @v's eventfd, and the GSI it is bound to (or -1).
	int kind() const { return kind_; }
	size_t vectors_on() const { return vectors_.size(); }
	int vector_fd(unsigned v) const { return v < vectors_.size() ? vectors_[v].fd.get() : -1; }
	int vector_gsi(unsigned v) const { return v < vectors_.size() ? vectors_[v].irqfd.gsi() : -1; }

private:
	using Message = Msix::Message;
	struct MsiCap {
		unsigned cap = 0, len = 0;
		unsigned max_vectors = 0; // what the device and the broker offer
		bool is64 = false, per_vector_mask = false;
		unsigned data_off() const { return cap + (is64 ? 0xc : 0x8); }
		unsigned mask_off() const { return cap + (is64 ? 0x10 : 0xc); }
		unsigned pending_off() const { return mask_off() + 4; }
	};
	struct MsixLoc {
		unsigned bar = 0;
		uint64_t off = 0, len = 0;
		bool holds(unsigned b, uint64_t o, size_t n) const
		{
			return b == bar && o >= off && o + n <= off + len;
		}
	};
	struct Vector {
		EventFd fd;
		IrqfdBinding irqfd; // goes before fd is closed
	};
	struct Route {
		std::optional<uint32_t> gsi;
		std::optional<Message> routed; // what the hypervisor took
	};

	void setup_msi(const ConfigReader &device, unsigned cap);
	void setup_msix(const ConfigReader &device, unsigned cap,
			const std::function<uint64_t(unsigned)> &bar_size);
	void sync();
	void switch_kind(int want, unsigned n);
	void vectors_off();
	void sync_vector(unsigned v);
	void poll_unbound();
	uint32_t msi_control() const;
	bool msi_enabled() const;
	unsigned msi_vectors() const;
	bool msi_masked(unsigned v) const;
	std::optional<Message> msi_message(unsigned v) const;
	std::optional<Message> live_message(unsigned v) const;
	void set_msi_pending(unsigned v, bool on);
	bool msi_pending(unsigned v) const;
	uint64_t drain(unsigned v);

	VfioBroker &broker_;
	PciConfig &cfg_;
	MsiCap msi_;
	std::unique_ptr<Msix> msix_;
	unsigned msix_cap_ = 0;
	MsixLoc table_, pba_;
	MsiSink *sink_ = nullptr;
	std::function<void(bool)> set_intx_; // turns the device's INTx on or off
	int kind_ = -1;
	// What the guest's bits last asked for (kind_ and vectors_ are what the
	// broker gave: less, or nothing, when it refused).
	int asked_kind_ = -1;
	unsigned asked_n_ = 0;
	bool fewer_logged_ = false, refusal_logged_ = false;
	std::vector<Vector> vectors_;
	std::vector<Route> routes_; // per vector index, kept across enables
};

} // namespace ringvm
