// SPDX-License-Identifier: GPL-2.0
// virtio-rng (entropy source, virtio 1.x 5.4) for `--rng`: one request queue
// whose device-writable buffers are filled from the host's getrandom().
// Guests without a hardware RNG (no RDRAND, no TPM) otherwise stall at boot
// waiting for the entropy pool, most visibly in sshd and systemd.
#pragma once

#include <memory>
#include <optional>

#include "devices/virtio_pci.h"
#include "vmm/guest_memory.h"
#include "vmm/virtqueue.h"

namespace ringvm {

class VirtioRng final : public VirtioPci {
public:
	// At most this much entropy per request: a driver asking for more gets
	// a partial answer, as the spec allows, and the VMM stays responsive.
	static constexpr uint32_t kMaxPerRequest = 64 * 1024;

	explicit VirtioRng(GuestMemory &mem);

	// Bytes handed to the guest since it started.
	uint64_t bytes_served() const { return served_; }

protected:
	void device_config_read(uint64_t off, std::span<uint8_t> data) override;
	void queue_notify(unsigned q) override;
	void driver_ok() override;
	void device_reset() override;

private:
	void serve();

	GuestMemory &mem_;
	std::optional<SplitQueue> vq_;
	uint64_t served_ = 0;
};

} // namespace ringvm
