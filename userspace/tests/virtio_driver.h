// SPDX-License-Identifier: GPL-2.0
// The guest driver's side of the virtio PCI transport, for device tests:
// BAR 0 accesses and the feature handshake of virtio 1.x 3.1.1.
#pragma once

#include <map>

#include "devices/virtio_pci.h"

namespace ringvm::test {

// Records the level of each interrupt line.
struct Lines final : IrqSink {
	void set_irq(unsigned line, bool level) override { levels[line] = level; }
	std::map<unsigned, bool> levels;
};

class VirtioDriver {
public:
	explicit VirtioDriver(VirtioPci &dev) : dev_(dev) {}
	uint64_t rd(uint64_t off, size_t size)
	{
		uint8_t d[8];
		dev_.bar_read(0, off, {d, size});
		return le_value({d, size});
	}
	void wr(uint64_t off, uint64_t v, size_t size)
	{
		uint8_t d[8];
		le_store({d, size}, v);
		dev_.bar_write(0, off, {d, size});
	}
	uint8_t status() { return static_cast<uint8_t>(rd(0x14, 1)); }
	// ACKNOWLEDGE, DRIVER, the features (written in two halves), FEATURES_OK.
	void negotiate(uint64_t features)
	{
		wr(0x14, kVirtioAcknowledge | kVirtioDriver, 1);
		wr(0x08, 0, 4);
		wr(0x0c, features & 0xffffffff, 4);
		wr(0x08, 1, 4);
		wr(0x0c, features >> 32, 4);
		wr(0x14, kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk, 1);
	}
	// Queue @q at @desc, @avail, @used with @size entries, enabled.
	void setup_queue(uint16_t q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
	{
		wr(0x16, q, 2);
		wr(0x18, size, 2);
		wr(0x20, desc & 0xffffffff, 4); // two halves, as Linux writes them
		wr(0x24, desc >> 32, 4);
		wr(0x28, avail, 8);
		wr(0x30, used, 8);
		wr(0x1c, 1, 2);
	}
	void driver_ok()
	{
		wr(0x14, kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk | kVirtioDriverOk, 1);
	}

private:
	VirtioPci &dev_;
};

} // namespace ringvm::test
