// SPDX-License-Identifier: GPL-2.0
#include "board/pc.h"

#include "board/acpi.h"

namespace ringvm {

PcPlatform::PcPlatform(uint64_t low_end, uint64_t mem_size, Clock clock,
		       std::optional<uint16_t> debug_exit_port, PcHooks hooks)
	: pic(std::move(hooks.intr_raised)), uart(IrqLine(&irq, 4), std::move(hooks.console_out)),
	  i8042(IrqLine(&irq, 1), hooks.reset), rtc(low_end, mem_size - low_end),
	  pit(IrqLine(&irq, 0), clock),
	  acpi_pm(IrqLine(&irq, kSciIrq), clock, std::move(hooks.power_off), std::move(hooks.reset)),
	  debug_exit_port(debug_exit_port)
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

namespace ringvm {

void PcPlatform::use_kernel_irqchip(Vm &vm, IoBus &pio)
{
	vm.set_gsi_routing(IrqRouter::kernel_routes());
	irq.use_kernel_irqchip(vm);
	acpi_pm.attach(pio);
}

} // namespace ringvm
