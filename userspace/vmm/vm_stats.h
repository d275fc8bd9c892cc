// SPDX-License-Identifier: GPL-2.0
// VMs and their exit counters, read from ringvm.ko's generic netlink family.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ringvm {

struct VmStats {
	uint32_t id = 0;
	uint32_t pid = 0;
	uint32_t vcpus = 0;
	uint64_t mem_bytes = 0;
	uint64_t pinned_bytes = 0;
	uint64_t device_bytes = 0; // device memory (a BAR's mmap) mapped into the guest
	uint64_t userspace_exits = 0;
	std::map<uint32_t, uint64_t> exits; // raw VMX basic exit reason -> count

	uint64_t total_exits() const;
};

// Every VM on the host; throws Error (module not loaded, no netlink).
std::vector<VmStats> read_vm_stats();

// The name VMX gives a basic exit reason ("CPUID", "EPT_VIOLATION"), or "REASON_<n>".
std::string exit_reason_name(uint32_t reason);

// Renderings used by `ringvm ps` and `ringvm stat`.
std::string render_ps(const std::vector<VmStats> &vms);
// @prev: the same VM one interval earlier for rates (--watch), or nullptr.
std::string render_stat(const VmStats &vm, const VmStats *prev, double interval_s);
std::string render_json(const std::vector<VmStats> &vms);

} // namespace ringvm
