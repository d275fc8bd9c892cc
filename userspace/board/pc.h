// SPDX-License-Identifier: GPL-2.0
// The legacy PC platform: which chips sit at which ports and IRQ lines. The
// interrupt controller is either two userspace 8259 PICs (no local APIC) or
// the hypervisor's in-kernel PICs, I/O APIC and local APICs; the devices
// reach either through the IrqRouter. The 8254 PIT is the
// timer, a 16550 UART on COM1 the console, the i8042 the reset line, the
// MC146818 the clock and memory-size CMOS, and a PCI host bridge with its
// configuration mechanism #1 and ECAM window. The Machine runs it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "board/irq_router.h"
#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/pci_bus.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart8250.h"
#include "vmm/clock.h"
#include "vmm/io_bus.h"

namespace ringvm {

// What the platform tells the machine; each runs under the device lock.
struct PcHooks {
	std::function<void()> intr_raised;	  // the PICs raised INTR
	std::function<void(uint8_t)> console_out; // a byte the UART sent
	std::function<void()> reset;		  // the i8042's reset line
	std::function<void(int)> debug_exit;	  // the status the guest asked for
	std::function<void()> power_off;	  // ACPI SLP_EN with S5
};

struct PcPlatform {
	// RAM is @mem_size bytes, @low_end of them below the PCI hole.
	PcPlatform(uint64_t low_end, uint64_t mem_size, Clock clock,
		   std::optional<uint16_t> debug_exit_port, PcHooks hooks);
	// Claims every chip's ports and windows.
	void attach(IoBus &pio, IoBus &mmio);
	// Switches to the in-kernel irqchip of @vm, created already: the
	// devices' lines become IRQ_LINE and the ACPI PM block appears (the
	// FADT points at it).
	void use_kernel_irqchip(Vm &vm, IoBus &pio);
	// The devices that want a callback at a deadline.
	std::vector<TimedDevice *> timed() { return {&pit}; }

	Pic8259 pic;
	IrqRouter irq{pic};
	Uart8250 uart;
	I8042 i8042;
	CmosRtc rtc;
	Pit8254 pit;
	PciBus pci;
	AcpiPm acpi_pm;
	std::unique_ptr<DebugExit> debug_exit;
	std::optional<uint16_t> debug_exit_port;
};

} // namespace ringvm
