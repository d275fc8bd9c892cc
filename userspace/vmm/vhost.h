// SPDX-License-Identifier: GPL-2.0
// The VMM's side of one ringvm_vhost device: owner of the fd, the memory
// table and the per-queue eventfds. Every call throws Error naming the ioctl
// that failed and why.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/fd.h"
#include "vmm/guest_memory.h"

namespace ringvm {

// An eventfd the VMM owns (kick, call or err of one queue).
class EventFd {
public:
	EventFd();
	int get() const { return fd_.get(); }
	void signal() const;

private:
	Fd fd_;
};

// The three eventfds of one queue handed to the worker.
struct VhostQueueFds {
	EventFd kick, call, err;
};

// Why /dev/ringvm-vhost cannot be used by this process (module not loaded,
// permission), or empty when it can: what `--vhost auto` decides on.
std::string vhost_unavailable_reason();

class VhostDevice {
public:
	// Opens /dev/ringvm-vhost (or @path), takes ownership for this process
	// and sets the device type (RINGVM_VHOST_DEV_BLK / _NET).
	VhostDevice(uint32_t type, const std::string &path = {});
	uint64_t features();
	void set_features(uint64_t f);
	// Guest RAM as the worker will see it: GPA -> this process's addresses.
	void set_mem_table(GuestMemory &mem);
	void set_backend(int fd);
	// blk: the serial GET_ID answers (up to 20 bytes, NUL-padded).
	void set_blk_id(std::string_view id);
	// Hands queue @q to the worker: size, ring addresses, first avail index
	// and its eventfds.
	void start_queue(unsigned q, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
			 int kick, int call, int err);
	// Why queue @q stopped (RINGVM_VHOST_ERR_*), 0 while it runs.
	uint32_t queue_error(unsigned q);

private:
	void ioctl_or_throw(unsigned long req, void *arg, const char *what);
	Fd fd_;
};

} // namespace ringvm
