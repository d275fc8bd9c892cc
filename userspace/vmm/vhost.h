// SPDX-License-Identifier: GPL-2.0
// The VMM's side of an in-kernel virtqueue worker: the interface both
// workers share (VhostWorker), and ringvm_vhost's (VhostDevice): owner of
// the fd, the memory table and the per-queue eventfds. Linux's vhost-net is
// vmm/vhost_net.h. Every call throws Error naming the ioctl that failed and
// why.
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

// Guest RAM as a vhost memory table: @Table's count of @Region entries
// (the field names <linux/vhost_types.h> and ringvm_vhost.h share), each
// region's guest-physical range and this process's address of it, in an
// 8-byte aligned buffer to pass to SET_MEM_TABLE.
template <typename Table, typename Region> std::vector<uint64_t> vhost_mem_table(GuestMemory &mem)
{
	const auto &regions = mem.regions();
	size_t bytes = sizeof(Table) + regions.size() * sizeof(Region);
	std::vector<uint64_t> buf((bytes + 7) / 8);
	auto *table = reinterpret_cast<Table *>(buf.data());
	table->nregions = static_cast<uint32_t>(regions.size());
	for (size_t i = 0; i < regions.size(); i++) {
		auto &r = table->regions[i];
		r.guest_phys_addr = regions[i].gpa;
		r.memory_size = regions[i].size;
		r.userspace_addr = reinterpret_cast<uintptr_t>(mem.span(regions[i].gpa, 1).data());
	}
	return buf;
}

// Which kernel serves a device's virtqueues (`--vhost`): none (the VMM),
// ringvm_vhost, or Linux's vhost-net (virtio-net only).
enum class VhostKind { Off, Ringvm, Linux };

// What a virtio device hands its queues to: ringvm_vhost or Linux's
// vhost-net. The device's transport calls these in this order: features,
// set_mem_table, then at DRIVER_OK set_features, start_queue for each
// enabled queue and set_backend; at reset set_backend(-1).
class VhostWorker {
public:
	virtual ~VhostWorker() = default;
	// The virtio feature bits the worker implements.
	virtual uint64_t features() = 0;
	// The negotiated bits, already limited to features().
	virtual void set_features(uint64_t f) = 0;
	// Guest RAM as the worker will see it: GPA -> this process's addresses.
	virtual void set_mem_table(GuestMemory &mem) = 0;
	// Hands queue @q to the worker: size, ring addresses (guest-physical),
	// first avail index and its eventfds.
	virtual void start_queue(unsigned q, uint16_t num, uint64_t desc, uint64_t avail,
				 uint64_t used, int kick, int call, int err) = 0;
	// The disk or tap the started queues move data to; -1 lets go of it.
	virtual void set_backend(int fd) = 0;
	// Why queue @q stopped, once its error eventfd fired.
	virtual std::string why_stopped(unsigned q) = 0;
};

class VhostDevice final : public VhostWorker {
public:
	// Opens /dev/ringvm-vhost (or @path), takes ownership for this process
	// and sets the device type (RINGVM_VHOST_DEV_BLK / _NET).
	VhostDevice(uint32_t type, const std::string &path = {});
	uint64_t features() override;
	void set_features(uint64_t f) override;
	void set_mem_table(GuestMemory &mem) override;
	void set_backend(int fd) override;
	// blk: the serial GET_ID answers (up to 20 bytes, NUL-padded).
	void set_blk_id(std::string_view id);
	void start_queue(unsigned q, uint16_t num, uint64_t desc, uint64_t avail, uint64_t used,
			 int kick, int call, int err) override;
	std::string why_stopped(unsigned q) override;
	// Why queue @q stopped (RINGVM_VHOST_ERR_*), 0 while it runs.
	uint32_t queue_error(unsigned q);

private:
	void ioctl_or_throw(unsigned long req, void *arg, const char *what);
	Fd fd_;
};

} // namespace ringvm
