// SPDX-License-Identifier: GPL-2.0
#include "vmm/vm_stats.h"

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <asm/vmx.h>
#include <linux/ringvm.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "vmm/error.h"
#include "vmm/netlink.h"

namespace ringvm {

namespace {

// Names of the VMX basic exit reasons, as the kernel's <asm/vmx.h> has them.
struct ReasonName {
	uint32_t reason;
	const char *name;
};
constexpr ReasonName kReasonNames[] = {VMX_EXIT_REASONS};

void parse_exits(nlattr *nest, VmStats &vm)
{
	nlattr *e;
	int rem;

	nla_for_each_nested(e, nest, rem) {
		nlattr *f[RINGVM_ATTR_MAX + 1] = {};

		if (nla_parse_nested(f, RINGVM_ATTR_MAX, e, nullptr) < 0)
			continue;
		if (f[RINGVM_ATTR_EXIT_REASON] && f[RINGVM_ATTR_EXIT_COUNT])
			vm.exits[nla_get_u32(f[RINGVM_ATTR_EXIT_REASON])] =
				nla_get_u64(f[RINGVM_ATTR_EXIT_COUNT]);
	}
}

int on_vm(nl_msg *msg, void *arg)
{
	auto *out = static_cast<std::vector<VmStats> *>(arg);
	nlattr *a[RINGVM_ATTR_MAX + 1] = {};
	VmStats vm;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, RINGVM_ATTR_MAX, nullptr) < 0)
		return NL_SKIP;
	if (a[RINGVM_ATTR_VM_ID])
		vm.id = nla_get_u32(a[RINGVM_ATTR_VM_ID]);
	if (a[RINGVM_ATTR_PID])
		vm.pid = nla_get_u32(a[RINGVM_ATTR_PID]);
	if (a[RINGVM_ATTR_NR_VCPUS])
		vm.vcpus = nla_get_u32(a[RINGVM_ATTR_NR_VCPUS]);
	if (a[RINGVM_ATTR_MEM_BYTES])
		vm.mem_bytes = nla_get_u64(a[RINGVM_ATTR_MEM_BYTES]);
	if (a[RINGVM_ATTR_PINNED_BYTES])
		vm.pinned_bytes = nla_get_u64(a[RINGVM_ATTR_PINNED_BYTES]);
	if (a[RINGVM_ATTR_DEVICE_BYTES])
		vm.device_bytes = nla_get_u64(a[RINGVM_ATTR_DEVICE_BYTES]);
	if (a[RINGVM_ATTR_USERSPACE_EXITS])
		vm.userspace_exits = nla_get_u64(a[RINGVM_ATTR_USERSPACE_EXITS]);
	if (a[RINGVM_ATTR_EXITS])
		parse_exits(a[RINGVM_ATTR_EXITS], vm);
	out->push_back(std::move(vm));
	return NL_OK;
}

std::string mib(uint64_t bytes)
{
	return std::to_string(bytes >> 20) + " MiB";
}

} // namespace

uint64_t VmStats::total_exits() const
{
	uint64_t t = 0;
	for (const auto &[reason, count] : exits)
		t += count;
	return t;
}

std::string exit_reason_name(uint32_t reason)
{
	for (const auto &r : kReasonNames)
		if (r.reason == reason)
			return r.name;
	return "REASON_" + std::to_string(reason);
}

std::vector<VmStats> read_vm_stats()
{
	NlPtr<nl_sock> sock(nl_socket_alloc());
	if (!sock)
		throw Error("cannot read VM statistics: out of memory");
	if (int r = genl_connect(sock.get()); r < 0)
		throw Error(std::string("cannot open a generic netlink socket: ") + nl_geterror(r));
	int family = genl_ctrl_resolve(sock.get(), RINGVM_GENL_NAME);
	if (family < 0)
		throw Error("cannot read VM statistics: module not loaded (insmod kmod/vmx/ringvm.ko)");

	NlPtr<nl_msg> msg(nlmsg_alloc());
	if (!msg || !genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
				 RINGVM_CMD_GET_VM, RINGVM_GENL_VERSION))
		throw Error("cannot build the netlink request");

	std::vector<VmStats> vms;
	nl_socket_modify_cb(sock.get(), NL_CB_VALID, NL_CB_CUSTOM, on_vm, &vms);
	if (int r = nl_send_auto(sock.get(), msg.get()); r < 0)
		throw Error(std::string("cannot send the netlink request: ") + nl_geterror(r));
	if (int r = nl_recvmsgs_default(sock.get()); r < 0)
		throw Error(std::string("cannot read the VM list: ") + nl_geterror(r));
	return vms;
}

std::string render_ps(const std::vector<VmStats> &vms)
{
	std::ostringstream o;
	char line[160];

	std::snprintf(line, sizeof(line), "%6s %8s %6s %10s %12s %12s\n", "VM", "PID", "VCPUS",
		      "MEMORY", "EXITS", "TO-USER");
	o << line;
	for (const auto &vm : vms) {
		std::snprintf(line, sizeof(line), "%6u %8u %6u %10s %12llu %12llu\n", vm.id, vm.pid,
			      vm.vcpus, mib(vm.mem_bytes).c_str(),
			      static_cast<unsigned long long>(vm.total_exits()),
			      static_cast<unsigned long long>(vm.userspace_exits));
		o << line;
	}
	return o.str();
}

std::string render_stat(const VmStats &vm, const VmStats *prev, double interval_s)
{
	std::ostringstream o;
	char line[160];
	const uint64_t total = vm.total_exits();

	o << "VM " << vm.id << " (pid " << vm.pid << ", " << vm.vcpus << " vCPUs, "
	  << mib(vm.mem_bytes) << ", " << mib(vm.pinned_bytes) << " pinned";
	if (vm.device_bytes)
		o << ", " << (vm.device_bytes >> 10) << " KiB device memory";
	o << ")\n";
	std::snprintf(line, sizeof(line), "%-22s %12s %7s%s\n", "exit reason", "count", "%",
		      prev ? "      per second" : "");
	o << line;
	for (const auto &[reason, count] : vm.exits) {
		double pct = total ? 100.0 * count / total : 0;
		std::string rate;
		if (prev) {
			auto it = prev->exits.find(reason);
			uint64_t before = it == prev->exits.end() ? 0 : it->second;
			char r[32];
			std::snprintf(r, sizeof(r), " %15.0f", (count - before) / interval_s);
			rate = r;
		}
		std::snprintf(line, sizeof(line), "%-22s %12llu %6.2f%%%s\n",
			      exit_reason_name(reason).c_str(),
			      static_cast<unsigned long long>(count), pct, rate.c_str());
		o << line;
	}
	std::snprintf(line, sizeof(line), "%-22s %12llu\n%-22s %12llu\n", "total",
		      static_cast<unsigned long long>(total), "to userspace",
		      static_cast<unsigned long long>(vm.userspace_exits));
	o << line;
	return o.str();
}

std::string render_json(const std::vector<VmStats> &vms)
{
	std::ostringstream o;
	o << "[";
	for (size_t i = 0; i < vms.size(); i++) {
		const auto &vm = vms[i];
		o << (i ? "," : "") << "{\"id\":" << vm.id << ",\"pid\":" << vm.pid
		  << ",\"vcpus\":" << vm.vcpus << ",\"mem_bytes\":" << vm.mem_bytes
		  << ",\"pinned_bytes\":" << vm.pinned_bytes << ",\"device_bytes\":" << vm.device_bytes
		  << ",\"userspace_exits\":" << vm.userspace_exits << ",\"exits\":{";
		bool first = true;
		for (const auto &[reason, count] : vm.exits) {
			o << (first ? "" : ",") << "\"" << exit_reason_name(reason) << "\":" << count;
			first = false;
		}
		o << "}}";
	}
	o << "]\n";
	return o.str();
}

} // namespace ringvm
