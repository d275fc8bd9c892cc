// SPDX-License-Identifier: GPL-2.0
// virtio-blk on the modern PCI transport. Its one request queue is served
// either by ringvm_vhost in the kernel (the VMM only forwards doorbells and
// turns call eventfds into interrupts) or, with `--vhost off`, right here in
// the vCPU thread that took the doorbell exit.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <linux/virtio_blk.h>

#include "devices/virtio_pci.h"
#include "vmm/fd.h"
#include "vmm/guest_memory.h"
#include "vmm/vhost.h"
#include "vmm/virtqueue.h"

namespace ringvm {

// Virtio block feature bits the VMM knows.
constexpr unsigned kVirtioBlkFSegMax = VIRTIO_BLK_F_SEG_MAX, kVirtioBlkFRo = VIRTIO_BLK_F_RO,
		   kVirtioBlkFFlush = VIRTIO_BLK_F_FLUSH;
constexpr uint16_t kVirtioBlkQueueSize = 256;

class VirtioBlk final : public VirtioPci {
public:
	// Serves @disk (a regular file or block device open read-write, or
	// read-only when @read_only) of @bytes bytes. With @vhost, the queue
	// goes to that ringvm_vhost device.
	VirtioBlk(GuestMemory &mem, Fd disk, uint64_t bytes, bool read_only, std::string id,
		  std::unique_ptr<VhostDevice> vhost);

	// Flush requests that reached the disk (fdatasync succeeded).
	uint64_t flushes() const { return flushes_; }

	// Opens @path for `--disk` and builds the device; throws Error saying why
	// the file cannot serve as a disk.
	static std::unique_ptr<VirtioBlk> open(GuestMemory &mem, const std::string &path,
					       bool use_vhost);

protected:
	void device_config_read(uint64_t off, std::span<uint8_t> data) override;
	void queue_notify(unsigned q) override;
	void driver_ok() override;
	void device_reset() override;

private:
	static uint64_t offered(bool read_only);
	void serve();
	// Handles one request; returns the bytes written into the chain.
	uint32_t handle(const Chain &c);

	GuestMemory &mem_;
	Fd disk_;
	uint64_t bytes_;
	bool read_only_;
	std::string id_;
	std::optional<SplitQueue> vq_;
	uint64_t flushes_ = 0;
};

} // namespace ringvm
