// SPDX-License-Identifier: GPL-2.0
// Port access to a device under test, as the guest would do it.
#pragma once

#include <cstdint>

#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm::test {

inline uint32_t in(IoDevice &d, uint64_t port, size_t size = 1)
{
	uint8_t b[4] = {};
	d.io_read(port, {b, size});
	return static_cast<uint32_t>(le_value({b, size}));
}

inline void out(IoDevice &d, uint64_t port, uint32_t v, size_t size = 1)
{
	uint8_t b[4] = {};
	le_store({b, size}, v);
	d.io_write(port, {b, size});
}

// Records line levels and edges a device drives.
class IrqRecorder : public IrqSink {
public:
	void set_irq(unsigned line, bool level) override
	{
		levels[line] = level;
		if (level)
			rises[line]++;
	}
	bool levels[16] = {};
	int rises[16] = {};
};

} // namespace ringvm::test
