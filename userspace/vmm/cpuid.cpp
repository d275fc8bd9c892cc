// SPDX-License-Identifier: GPL-2.0
#include "vmm/cpuid.h"

namespace ringvm {

namespace {

constexpr uint32_t kEdxApic = 1u << 9;
constexpr uint32_t kEcxX2apic = 1u << 21, kEcxTscDeadline = 1u << 24;

} // namespace

std::vector<CpuidEntry> guest_cpuid(const std::vector<CpuidEntry> &supported, int vcpu_id,
				    bool lapic)
{
	std::vector<CpuidEntry> out;
	for (CpuidEntry e : supported) {
		if (e.function >= 0x40000000 && e.function < 0x50000000)
			continue;
		switch (e.function) {
		case 1:
			if (!lapic)
				e.edx &= ~kEdxApic;
			e.ecx &= ~(kEcxX2apic | kEcxTscDeadline);
			e.ebx = (e.ebx & 0x00ffffff) | (static_cast<uint32_t>(vcpu_id) << 24);
			break;
		case 0x80000008:
			// KVM refuses linear-address widths other than 48 and 57 (some
			// emulated CPUs, Bochs among them, report others): say 48.
			if (((e.eax >> 8) & 0xff) != 48 && ((e.eax >> 8) & 0xff) != 57)
				e.eax = (e.eax & ~0xff00u) | (48u << 8);
			break;
		case 0xb:
		case 0x1f:
			e.edx = static_cast<uint32_t>(vcpu_id);
			break;
		default:
			break;
		}
		out.push_back(e);
	}
	return out;
}

} // namespace ringvm
