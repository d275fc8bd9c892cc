// SPDX-License-Identifier: GPL-2.0
#include "devices/virtio_vhost.h"

#include "devices/virtio_pci.h"

namespace ringvm {

uint64_t offer_with_worker(uint64_t device_bits, uint64_t worker_bits, uint64_t worker_features)
{
	return device_bits & (~worker_bits | worker_features);
}

VhostQueues::VhostQueues(std::unique_ptr<VhostWorker> dev, GuestMemory &mem,
			 unsigned num_queues, int backend_fd)
	: dev_(std::move(dev)), features_(dev_->features()), backend_fd_(backend_fd),
	  fds_(num_queues)
{
	dev_->set_mem_table(mem);
}

bool VhostQueues::start(uint64_t negotiated, const std::vector<VirtqState> &queues)
{
	bool any = false;
	for (const auto &q : queues)
		any = any || q.enabled;
	if (!any)
		return false;
	dev_->set_features(negotiated & features_);
	for (unsigned q = 0; q < queues.size(); q++) {
		const VirtqState &s = queues[q];
		if (s.enabled)
			dev_->start_queue(q, s.size, s.desc, s.driver, s.device, kick_fd(q),
					  call_fd(q), err_fd(q));
	}
	dev_->set_backend(backend_fd_);
	return true;
}

void VhostQueues::stop()
{
	dev_->set_backend(-1);
}

std::string VhostQueues::why_stopped(unsigned q)
{
	return dev_->why_stopped(q);
}

} // namespace ringvm
