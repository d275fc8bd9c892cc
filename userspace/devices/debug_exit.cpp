// SPDX-License-Identifier: GPL-2.0
#include "devices/debug_exit.h"

namespace ringvm {

void DebugExit::attach(IoBus &pio, uint16_t port)
{
	pio.add(port, 1, *this, "debug-exit port");
}

void DebugExit::io_write(uint64_t, std::span<const uint8_t> data)
{
	// Only the low byte reaches the status a process can return.
	auto v = static_cast<int>(le_value(data) & 0x7f);
	on_exit_((v << 1) | 1);
}

} // namespace ringvm
