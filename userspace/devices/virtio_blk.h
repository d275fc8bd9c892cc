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

// `--disk PATH[,ro][,serial=S]`.
struct DiskOptions {
	std::string path;
	bool read_only = false;
	std::string serial; // empty: "ringvm-" and the file's name, cut to 20 bytes
};
// Throws Error naming the bad part of @spec.
DiskOptions parse_disk_option(const std::string &spec);

// A disk's backing file, opened and sized before any device exists, so a bad
// image is reported before the hypervisor or the host's network is touched.
struct DiskImage {
	Fd fd;
	uint64_t bytes = 0;
	bool read_only = false;
	std::string serial;
};
// Opens @o.path read-write (read-only with ,ro, or when the file allows no
// more); throws Error saying why the file cannot serve as a disk.
DiskImage open_disk_image(const DiskOptions &o);

class VirtioBlk final : public VirtioPci {
public:
	// Serves @disk (a regular file or block device open read-write, or
	// read-only when @read_only) of @bytes bytes. With @vhost, the queue
	// goes to that ringvm_vhost device.
	VirtioBlk(GuestMemory &mem, Fd disk, uint64_t bytes, bool read_only, std::string id,
		  std::unique_ptr<VhostDevice> vhost);

	// Flush requests that reached the disk (fdatasync succeeded).
	uint64_t flushes() const { return flushes_; }

	// The device for an image opened by open_disk_image(); with @use_vhost
	// ringvm_vhost serves its queue.
	static std::unique_ptr<VirtioBlk> create(GuestMemory &mem, DiskImage image,
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
