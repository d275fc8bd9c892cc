// SPDX-License-Identifier: GPL-2.0
#include "vmm/backend.h"

#include "vmm/error.h"

namespace ringvm {

const char *exit_kind_name(VcpuExit::Kind kind)
{
	switch (kind) {
	case VcpuExit::Kind::Io:
		return "io";
	case VcpuExit::Kind::Mmio:
		return "mmio";
	case VcpuExit::Kind::Hlt:
		return "hlt";
	case VcpuExit::Kind::Shutdown:
		return "shutdown";
	case VcpuExit::Kind::FailEntry:
		return "fail_entry";
	case VcpuExit::Kind::InternalError:
		return "internal_error";
	case VcpuExit::Kind::Intr:
		return "intr";
	case VcpuExit::Kind::IrqWindowOpen:
		return "irq_window_open";
	case VcpuExit::Kind::SystemEvent:
		return "system_event";
	case VcpuExit::Kind::Unknown:
		break;
	}
	return "unknown";
}

// Backends without an in-kernel irqchip (and the unit tests' fake): the
// machine asks irqchip_missing() first, so reaching these is a bug.
void Vcpu::set_mp_state_uninitialized()
{
	throw Error("cannot set a vCPU's MP state: the hypervisor has no in-kernel irqchip");
}

void Vm::create_irqchip()
{
	throw Error("cannot create an in-kernel irqchip: the hypervisor has none");
}

void Vm::set_gsi_routing(std::span<const GsiRoute>)
{
	throw Error("cannot route GSIs: the hypervisor has no in-kernel irqchip");
}

void Vm::irq_line(uint32_t gsi, bool)
{
	throw Error("cannot raise GSI " + std::to_string(gsi) +
		    ": the hypervisor has no in-kernel irqchip");
}

void Vm::assign_irqfd(uint32_t gsi, int, int)
{
	throw Error("cannot bind an eventfd to GSI " + std::to_string(gsi) +
		    ": the hypervisor has no in-kernel irqchip");
}

void Vm::deassign_irqfd(uint32_t gsi, int)
{
	throw Error("cannot unbind an eventfd from GSI " + std::to_string(gsi) +
		    ": the hypervisor has no in-kernel irqchip");
}

void Vm::signal_msi(uint64_t, uint32_t)
{
	throw Error("cannot send an MSI: the hypervisor has no in-kernel irqchip");
}

std::unique_ptr<Backend> open_backend(Accel accel)
{
	if (accel == Accel::Kvm)
		return open_kvm_backend();
	return open_ringvm_backend();
}

} // namespace ringvm
