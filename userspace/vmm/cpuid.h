// SPDX-License-Identifier: GPL-2.0
// The CPUID table a guest sees, derived from what the backend supports.
#pragma once

#include <vector>

#include "vmm/backend.h"

namespace ringvm {

// No hypervisor-specific leaves, so the guest sees the same machine on
// ringvm.ko and on KVM. The APIC bit stays only with @lapic (the in-kernel
// irqchip); x2APIC and TSC-deadline are always cleared, the 0x4000_00xx
// leaves dropped, the APIC IDs set to the vCPU index, and the linear-address
// width made one KVM accepts (48 bits unless the CPU says 57).
std::vector<CpuidEntry> guest_cpuid(const std::vector<CpuidEntry> &supported, int vcpu_id,
				    bool lapic = false);

} // namespace ringvm
