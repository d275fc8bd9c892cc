// SPDX-License-Identifier: GPL-2.0
#include "vmm/backend.h"

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

std::unique_ptr<Backend> open_backend(Accel accel)
{
	if (accel == Accel::Kvm)
		return open_kvm_backend();
	return open_ringvm_backend();
}

} // namespace ringvm
