// SPDX-License-Identifier: GPL-2.0
// The virtio 1.x PCI transport ("modern" only, as Firecracker and kvmtool's
// modern mode): one 16 KiB memory BAR holding the common configuration, the
// ISR byte, the device configuration and the queue notify doorbells, found
// by the driver through vendor capabilities; the MSI-X table and PBA share
// the BAR. Interrupts are MSI-X messages (a vector per queue and one for
// configuration changes, as the driver assigns them) once the driver enables
// MSI-X, which it can only with the in-kernel irqchip's local APICs
// (set_msi_sink); INTx and the ISR byte otherwise.
//
// A device type derives from VirtioPci and supplies its ID, features,
// configuration and what happens on queue notify, driver OK and reset, or
// hands its queues to an in-kernel worker through use_vhost().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "devices/msix.h"
#include "devices/pci_bus.h"
#include "devices/virtio_vhost.h"

namespace ringvm {

// Feature bits (virtio numbering), as <linux/virtio_*.h> define them.
constexpr unsigned kVirtioFIndirectDesc = VIRTIO_RING_F_INDIRECT_DESC,
		   kVirtioFEventIdx = VIRTIO_RING_F_EVENT_IDX, kVirtioFVersion1 = VIRTIO_F_VERSION_1;
// Device status bits.
constexpr uint8_t kVirtioAcknowledge = VIRTIO_CONFIG_S_ACKNOWLEDGE,
		  kVirtioDriver = VIRTIO_CONFIG_S_DRIVER, kVirtioDriverOk = VIRTIO_CONFIG_S_DRIVER_OK,
		  kVirtioFeaturesOk = VIRTIO_CONFIG_S_FEATURES_OK,
		  kVirtioNeedsReset = VIRTIO_CONFIG_S_NEEDS_RESET, kVirtioFailed = VIRTIO_CONFIG_S_FAILED;

// BAR 0 layout.
constexpr uint32_t kVirtioCommonOff = 0x0000, kVirtioIsrOff = 0x1000,
		   kVirtioDeviceOff = 0x2000, kVirtioNotifyOff = 0x3000,
		   kVirtioMsixTableOff = 0x4000, kVirtioMsixPbaOff = 0x6000,
		   kVirtioBarSize = 0x8000, kVirtioNotifyMultiplier = 4;

struct VirtqState {
	uint16_t size = 0;   // what the driver chose (max until it writes)
	bool enabled = false;
	uint64_t desc = 0, driver = 0, device = 0;
	uint16_t vector = Msix::kNoVector; // its MSI-X vector
};

class VirtioPci : public PciFunction {
public:
	// @virtio_id: 2 block, 1 net. @max_queue_size: a power of two.
	VirtioPci(uint16_t virtio_id, uint32_t pci_class, unsigned num_queues,
		  uint16_t max_queue_size, uint64_t features);
	PciConfig &config() override { return cfg_; }
	void bar_read(unsigned bar, uint64_t off, std::span<uint8_t> data) override;
	void bar_write(unsigned bar, uint64_t off, std::span<const uint8_t> data) override;
	void config_write(unsigned off, unsigned size, uint32_t v) override;
	void connect_intx(IrqLine line) override { intx_ = line; }
	// Where MSI-X messages go (the in-kernel irqchip); without one the
	// guest has no local APIC to enable MSI-X for.
	void set_msi_sink(MsiSink *sink) { msix_.set_sink(sink); }
	const Msix &msix() const { return msix_; }
	// With an MSI sink, for queues whose used-buffer notifications come
	// on eventfds (@call_fds[q]: vhost's call eventfds): from now on a
	// queue whose MSI-X vector can send has its eventfd bound as an irqfd
	// on that vector's MSI route, so the guest is interrupted with no VMM,
	// and @watch(q, false) stops the VMM's own watch of it; when the
	// vector cannot send (masked, MSI-X off, no vector) the irqfd goes and
	// @watch(q, true) brings the watch back, whose interrupt_queue() then
	// sets the pending bit as for any masked vector.
	using CallWatchFn = std::function<void(unsigned q, bool vmm_watches)>;
	void route_calls_in_kernel(std::vector<int> call_fds, CallWatchFn watch);
	// The GSI queue @q's call eventfd is bound to, or -1.
	int call_irqfd_gsi(unsigned q) const { return q < call_gsi_.size() ? call_gsi_[q] : -1; }

	uint8_t status() const { return status_; }
	uint64_t negotiated() const { return driver_features_; }
	bool has(unsigned bit) const { return driver_features_ & (1ull << bit); }
	const VirtqState &queue(unsigned q) const { return queues_.at(q); }
	unsigned num_queues() const { return static_cast<unsigned>(queues_.size()); }

	// How a doorbell can bypass the VMM: @fn(gpa, eventfd, assign) asks the
	// hypervisor for an ioeventfd (2-byte writes at gpa). Without it, or
	// when it refuses, doorbells arrive as MMIO exits as before.
	using DoorbellFn = std::function<bool(uint64_t gpa, int fd, bool assign)>;
	void set_doorbell_fn(DoorbellFn fn) { doorbell_fn_ = std::move(fn); }
	// Queues whose doorbell currently signals an eventfd in the hypervisor.
	size_t doorbells_in_kernel() const { return bound_.size(); }

	// Whether an in-kernel worker serves the queues (use_vhost), and its eventfds:
	// whoever runs the event loop turns a call into interrupt_queue() and
	// an error into vhost_failed().
	VhostQueues *vhost() { return vhost_.get(); }
	void vhost_failed(unsigned q) { fail(vhost_->why_stopped(q)); }

	// Used-buffer notification of queue @q: its MSI-X vector, or ISR bit 0
	// and the INTx line.
	void interrupt_queue(unsigned q);
	// The device can go no further until the driver resets it (a malformed
	// ring): DEVICE_NEEDS_RESET and a configuration interrupt.
	void fail(const std::string &why);

protected:
	// Device configuration space, @off from its start.
	virtual void device_config_read(uint64_t off, std::span<uint8_t> data) = 0;
	virtual void device_config_write(uint64_t off, std::span<const uint8_t> data)
	{
		(void)off;
		(void)data;
	}
	// The driver wrote queue @q's doorbell.
	virtual void queue_notify(unsigned q) = 0;
	// DRIVER_OK was set: every enabled queue can be served.
	virtual void driver_ok() = 0;
	// Status 0 was written: stop using every queue; the transport state is
	// reset after this returns.
	virtual void device_reset() = 0;
	// From the constructor: an in-kernel worker serves every queue from
	// @backend_fd, and queue_notify, driver_ok and device_reset are no
	// longer called. Of the offered features, @worker_bits are kept only
	// where the worker implements them.
	void use_vhost(std::unique_ptr<VhostWorker> dev, GuestMemory &mem, int backend_fd,
		       uint64_t worker_bits);
	// From now until reset, queue @q's doorbell signals @fd (its kick
	// eventfd) inside the hypervisor, at the doorbell's current address.
	void bind_doorbell(unsigned q, int fd);

private:
	void common_read(uint64_t off, std::span<uint8_t> data);
	void common_write(uint64_t off, uint64_t v, size_t size);
	void write_status(uint8_t s);
	void reset_transport();
	void start_vhost();
	void unbind_doorbells();
	void interrupt_config();
	void sync_call_irqfds();
	// Interrupts are messages: MSI-X is on and has somewhere to go (a
	// guest without a local APIC that turns it on anyway keeps INTx).
	bool msix_enabled() const { return msix_.enabled() && msix_.sink(); }

	PciConfig cfg_;
	IrqLine intx_;
	uint64_t device_features_;
	uint16_t max_queue_size_;
	uint32_t device_feature_select_ = 0, driver_feature_select_ = 0;
	uint64_t driver_features_ = 0;
	uint8_t status_ = 0, isr_ = 0, config_generation_ = 0;
	uint16_t queue_select_ = 0;
	uint16_t config_vector_ = Msix::kNoVector;
	std::vector<VirtqState> queues_;
	DoorbellFn doorbell_fn_;
	struct Bound {
		uint64_t gpa;
		int fd;
	};
	std::vector<Bound> bound_;
	std::unique_ptr<VhostQueues> vhost_;
	Msix msix_; // after cfg_, whose capability list it joins
	CallWatchFn call_watch_;
	std::vector<int> call_fds_;
	std::vector<int> call_gsi_;		       // per queue: its bound irqfd's GSI, or -1
	std::vector<std::optional<uint32_t>> vector_gsi_; // per vector: its MSI route
	std::vector<std::optional<Msix::Message>> routed_; // per vector: what the route sends
};

} // namespace ringvm
