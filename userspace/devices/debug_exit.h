// SPDX-License-Identifier: GPL-2.0
// isa-debug-exit, as in QEMU: a value V written to the port ends the VM with
// exit status (V << 1) | 1, so a test kernel can report pass or fail.
#pragma once

#include <cstdint>
#include <functional>

#include "vmm/io_bus.h"

namespace ringvm {

class DebugExit final : public IoDevice {
public:
	explicit DebugExit(std::function<void(int)> on_exit) : on_exit_(std::move(on_exit)) {}
	void attach(IoBus &pio, uint16_t port);

	void io_read(uint64_t, std::span<uint8_t> data) override { le_store(data, 0); }
	void io_write(uint64_t, std::span<const uint8_t> data) override;

private:
	std::function<void(int)> on_exit_;
};

} // namespace ringvm
