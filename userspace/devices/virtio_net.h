// SPDX-License-Identifier: GPL-2.0
// virtio-net on the modern PCI transport, backed by a tap interface. As for
// virtio-blk, its two queues (0 receive, 1 transmit) are served by an
// in-kernel worker (ringvm_vhost, or Linux's vhost-net with `--vhost
// linux`), or with `--vhost off` by the VMM: transmit in the vCPU
// thread that took the doorbell exit, receive in the event thread when the
// tap has a frame.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

// One of <linux/virtio_net.h>'s structs has a field named `class`, a C++
// keyword; nothing here uses that struct.
#define class class_
#include <linux/virtio_net.h>
#undef class

#include "devices/virtio_pci.h"
#include "net/tap.h"
#include "vmm/guest_memory.h"
#include "vmm/vhost.h"
#include "vmm/virtqueue.h"

namespace ringvm {

constexpr unsigned kVirtioNetFMac = VIRTIO_NET_F_MAC;
constexpr unsigned kVirtioNetRx = 0, kVirtioNetTx = 1;
constexpr uint16_t kVirtioNetQueueSize = 256;
// The header with num_buffers (VERSION_1), no offloads used.
constexpr size_t kVirtioNetHdrLen = sizeof(virtio_net_hdr_mrg_rxbuf);
static_assert(kVirtioNetHdrLen == 12);

class VirtioNet final : public VirtioPci {
public:
	// Frames go through @tap_fd (not owned; the Tap outlives the device).
	VirtioNet(GuestMemory &mem, int tap_fd, uint64_t mac, std::unique_ptr<VhostWorker> vhost);

	// The tap has frames (--vhost off): move them into posted buffers.
	void on_tap_readable();
	uint64_t rx_dropped() const { return rx_dropped_; }
	uint64_t tx_dropped() const { return tx_dropped_; }

protected:
	void device_config_read(uint64_t off, std::span<uint8_t> data) override;
	void queue_notify(unsigned q) override;
	void driver_ok() override;
	void device_reset() override;

private:
	void transmit();

	GuestMemory &mem_;
	int tap_;
	uint64_t mac_;
	std::optional<SplitQueue> rxq_, txq_;
	uint64_t rx_dropped_ = 0, tx_dropped_ = 0;
	std::vector<uint8_t> rx_buf_; // one frame read from the tap
};

} // namespace ringvm
