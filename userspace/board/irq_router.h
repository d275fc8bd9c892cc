// SPDX-License-Identifier: GPL-2.0
// Where a legacy device's interrupt goes. A device asks for "ISA IRQ or GSI
// n" through an IrqLine on this router and never learns the irqchip mode:
// with the userspace irqchip the line drives the 8259 pair; with the
// in-kernel irqchip it becomes the hypervisor's IRQ_LINE, routed (see
// kernel_routes()) to the kernel's PICs and I/O APIC.
#pragma once

#include <array>
#include <vector>

#include "vmm/backend.h"
#include "vmm/irq.h"

namespace ringvm {

class IrqRouter final : public IrqSink {
public:
	explicit IrqRouter(IrqSink &pic) : pic_(pic) {}
	// From now on every line goes to @vm's in-kernel irqchip.
	void use_kernel_irqchip(Vm &vm) { vm_ = &vm; }
	bool kernel() const { return vm_ != nullptr; }
	// Lines are wired-OR, as PCI INTx and the SCI share them on a PC (the
	// SCI is IRQ 9, which PciBus::intx_line also gives every fourth slot):
	// the controller sees a line high while any device holds it high, so
	// one device going low cannot swallow another's level interrupt.
	void set_irq(unsigned line, bool level) override
	{
		if (line < held_.size()) {
			unsigned &n = held_[line];
			if (level ? n++ : (!n || --n))
				return;
		}
		if (vm_)
			vm_->irq_line(line, level);
		else
			pic_.set_irq(line, level);
	}

	// The routing table the in-kernel irqchip gets, the one the MADT
	// describes: ISA IRQs 0-15 reach the PIC pin of the same number (2 is
	// the cascade) and I/O APIC pin n, except IRQ 0 (the PIT), which the
	// MADT overrides to pin 2 as every PC chipset wires it; GSIs 16-23 are
	// I/O APIC pins only.
	static std::vector<GsiRoute> kernel_routes()
	{
		std::vector<GsiRoute> r;
		for (uint32_t gsi = 0; gsi < 24; gsi++) {
			if (gsi < 16 && gsi != 2)
				r.push_back({gsi, gsi < 8 ? kChipPicMaster : kChipPicSlave, gsi % 8});
			if (gsi != 2)
				r.push_back({gsi, kChipIoapic, gsi == 0 ? 2u : gsi});
		}
		return r;
	}

private:
	IrqSink &pic_;
	Vm *vm_ = nullptr;
	// Per line: how many devices hold it high (IrqLine reports changes only).
	std::array<unsigned, 24> held_{};
};

} // namespace ringvm
