// SPDX-License-Identifier: GPL-2.0
// The hand-off of a virtio device's queues to an in-kernel worker
// (ringvm_vhost, or Linux's vhost-net for virtio-net), for any device
// on the virtio-pci transport (which owns it, VirtioPci::use_vhost): the
// worker's memory table, one kick, call and error eventfd per queue, the
// queues and backend fd at DRIVER_OK, and the backend detached at reset.
// The VMM then only forwards doorbells that still exit, and turns call and
// error eventfds into interrupts and DEVICE_NEEDS_RESET.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vmm/guest_memory.h"
#include "vmm/vhost.h"

namespace ringvm {

struct VirtqState;

// The features a device offers the guest when a worker serves its queues:
// of @device_bits, those in @worker_bits (what the data path must
// implement) only where the worker's @worker_features have them too; the
// rest (configuration space, VMM-side bits) stay as they are.
uint64_t offer_with_worker(uint64_t device_bits, uint64_t worker_bits, uint64_t worker_features);

class VhostQueues {
public:
	// Gives @dev the guest's RAM; the worker will serve @num_queues queues
	// from @backend_fd (a disk or a tap; not owned). Throws Error.
	VhostQueues(std::unique_ptr<VhostWorker> dev, GuestMemory &mem, unsigned num_queues,
		    int backend_fd);

	// The feature bits the worker implements.
	uint64_t features() const { return features_; }
	int kick_fd(unsigned q) const { return fds_.at(q).kick.get(); }
	int call_fd(unsigned q) const { return fds_.at(q).call.get(); }
	int err_fd(unsigned q) const { return fds_.at(q).err.get(); }

	// DRIVER_OK: the negotiated features, every enabled queue, then the
	// backend; false when no queue is enabled (nothing to serve). Throws
	// Error naming the ioctl that failed.
	bool start(uint64_t negotiated, const std::vector<VirtqState> &queues);
	// Device reset: the worker lets go of the backend.
	void stop();
	// A doorbell that reached the VMM after all.
	void kick(unsigned q) { fds_.at(q).kick.signal(); }
	// Why the worker stopped queue @q, for DEVICE_NEEDS_RESET.
	std::string why_stopped(unsigned q);

private:
	std::unique_ptr<VhostWorker> dev_;
	uint64_t features_;
	int backend_fd_;
	std::vector<VhostQueueFds> fds_;
};

} // namespace ringvm
