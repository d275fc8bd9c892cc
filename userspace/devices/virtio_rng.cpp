// SPDX-License-Identifier: GPL-2.0
#include "devices/virtio_rng.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

#include <linux/virtio_ids.h>

namespace ringvm {

namespace {

constexpr uint32_t kClassOther = 0xff0000; // PCI class "unassigned": what QEMU shows
constexpr uint16_t kQueueSize = 64;

// Fills @p from the host's pool; the pool is initialised on any running host,
// so this does not block.
bool fill(uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = ::getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= static_cast<size_t>(n);
	}
	return true;
}

} // namespace

VirtioRng::VirtioRng(GuestMemory &mem)
	: VirtioPci(VIRTIO_ID_RNG, kClassOther, 1, kQueueSize, 1ull << kVirtioFIndirectDesc),
	  mem_(mem)
{
}

void VirtioRng::device_config_read(uint64_t, std::span<uint8_t> data)
{
	// virtio-rng has no configuration space.
	std::fill(data.begin(), data.end(), 0);
}

void VirtioRng::driver_ok()
{
	const VirtqState &q = queue(0);
	if (!q.enabled)
		return;
	try {
		vq_.emplace(mem_, QueueLayout{q.size, q.desc, q.driver, q.device, false,
					      has(kVirtioFIndirectDesc)});
	} catch (const QueueError &e) {
		fail(e.what());
	}
}

void VirtioRng::device_reset()
{
	vq_.reset();
}

void VirtioRng::queue_notify(unsigned)
{
	if (!vq_)
		return;
	try {
		serve();
	} catch (const QueueError &e) {
		vq_.reset();
		fail(e.what());
	}
}

void VirtioRng::serve()
{
	bool completed = false;
	while (auto c = vq_->pop()) {
		// Only the device-writable part is the request; anything the driver
		// made readable is ignored, as the spec leaves it undefined.
		uint32_t written = 0;
		for (auto &buf : c->writable) {
			size_t n = std::min<size_t>(buf.size(), kMaxPerRequest - written);
			if (!n || !fill(buf.data(), n))
				break;
			written += static_cast<uint32_t>(n);
		}
		vq_->push(*c, written);
		served_ += written;
		completed = true;
	}
	if (completed && vq_->need_interrupt())
		interrupt_queue(0);
}

} // namespace ringvm
