// SPDX-License-Identifier: GPL-2.0
#include "board/pc.h"

namespace ringvm {

PcPlatform::PcPlatform(uint64_t low_end, uint64_t mem_size, Clock clock,
		       std::optional<uint16_t> debug_exit_port, PcHooks hooks)
	: pic(std::move(hooks.intr_raised)), uart(IrqLine(&pic, 4), std::move(hooks.console_out)),
	  i8042(IrqLine(&pic, 1), std::move(hooks.reset)), rtc(low_end, mem_size - low_end),
	  pit(IrqLine(&pic, 0), std::move(clock)), debug_exit_port(debug_exit_port)
{
	if (debug_exit_port)
		debug_exit = std::make_unique<DebugExit>(std::move(hooks.debug_exit));
}

void PcPlatform::attach(IoBus &pio, IoBus &mmio)
{
	pic.attach(pio);
	uart.attach(pio);
	i8042.attach(pio);
	rtc.attach(pio);
	pit.attach(pio);
	pci.attach(pio);
	pci.attach_mmio(mmio);
	if (debug_exit)
		debug_exit->attach(pio, *debug_exit_port);
}

} // namespace ringvm
