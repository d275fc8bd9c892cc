// SPDX-License-Identifier: GPL-2.0
// The VMM's side of Linux's own vhost-net (/dev/vhost-net): the same
// VhostWorker as ringvm_vhost, spoken in <linux/vhost.h>'s ABI, so one
// virtio-net device model runs on either kernel worker (`--vhost linux`).
// Linux's rings are given by this process's addresses, not guest-physical
// ones, and its backend is set per queue; the tap must carry a virtio-net
// header (IFF_VNET_HDR) of the size the negotiated features give.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vmm/fd.h"
#include "vmm/guest_memory.h"
#include "vmm/vhost.h"

namespace ringvm {

// Where vhost-net lives on a stock kernel.
inline constexpr const char *kLinuxVhostNetPath = "/dev/vhost-net";

// One ioctl on @fd; returns what ioctl(2) does, errno set. The default is
// ioctl(2) itself; the unit tests pass a fake.
using IoctlFn = std::function<int(int fd, unsigned long req, void *arg)>;

// The header vhost-net and the tap put before each frame with features @f:
// the 12-byte one with num_buffers under VERSION_1 or MRG_RXBUF, else 10.
size_t virtio_net_hdr_len(uint64_t f);

class LinuxVhostNet final : public VhostWorker {
public:
	// Opens @path (default /dev/vhost-net) and takes ownership of it for
	// this process (its worker thread is then `vhost-<pid>`). Throws Error
	// with the reason and the fix (modprobe vhost_net).
	explicit LinuxVhostNet(const std::string &path = {}, IoctlFn io = {});
	// An already open device (tests: any fd number).
	LinuxVhostNet(Fd fd, IoctlFn io);

	uint64_t features() override;
	void set_features(uint64_t f) override;
	void set_mem_table(GuestMemory &mem) override;
	void start_queue(unsigned q, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
			 int kick, int call, int err) override;
	// @fd is a tap: it must have been opened with IFF_VNET_HDR; its header
	// size is set to the negotiated one before any queue takes it.
	void set_backend(int fd) override;
	std::string why_stopped(unsigned q) override;

private:
	void call(int fd, unsigned long req, void *arg, const char *what);
	Fd fd_;
	IoctlFn io_;
	GuestMemory *mem_ = nullptr;
	uint64_t features_ = 0;
	std::vector<unsigned> started_;
};

} // namespace ringvm
