// SPDX-License-Identifier: GPL-2.0
// /dev/kvm: what KVM's ABI names and requires differently from ringvm.ko's.
#include "vmm/backend.h"

#include <fcntl.h>
#include <linux/kvm.h>

#include "vmm/kvm_shaped.h"

namespace ringvm {

namespace {

using kvm_shaped::ArrayHeader;
using kvm_shaped::xioctl;

// Where KVM may put the TSS and identity page table that VMX needs for real
// mode on CPUs without unrestricted guest: just below the 4 GiB BIOS area,
// inside the PCI hole our memory map leaves unused.
constexpr uint64_t kTssAddr = 0xfffbd000;
constexpr uint64_t kIdentityMapAddr = 0xfffbc000;

struct KvmAbi {
	using Run = kvm_run; using Regs = kvm_regs; using Sregs = kvm_sregs;
	using Segment = kvm_segment; using Fpu = kvm_fpu; using Interrupt = kvm_interrupt;
	using CpuidEntry = kvm_cpuid_entry2; using MsrEntry = kvm_msr_entry;
	using MemoryRegion = kvm_userspace_memory_region; using Ioeventfd = kvm_ioeventfd;
	using IrqLevel = kvm_irq_level; using MpState = kvm_mp_state;
	using RoutingEntry = kvm_irq_routing_entry; using Irqfd = kvm_irqfd;
	using Msi = kvm_msi;

	static constexpr const char *kName = "kvm", *kIoctlPrefix = "KVM", *kModule = "KVM";
	static constexpr const char *kSetCpuidName = "SET_CPUID2";

	static constexpr unsigned long kCreateVm = KVM_CREATE_VM, kCreateVcpu = KVM_CREATE_VCPU,
		kGetVcpuMmapSize = KVM_GET_VCPU_MMAP_SIZE, kIoeventfd = KVM_IOEVENTFD,
		kGetSupportedCpuid = _IOWR(KVMIO, 0x05, ArrayHeader),
		kSetUserMemoryRegion = KVM_SET_USER_MEMORY_REGION, kRun = KVM_RUN,
		kGetRegs = KVM_GET_REGS, kSetRegs = KVM_SET_REGS, kGetSregs = KVM_GET_SREGS,
		kSetSregs = KVM_SET_SREGS, kInterrupt = KVM_INTERRUPT, kSetFpu = KVM_SET_FPU,
		kSetMsrs = _IOW(KVMIO, 0x89, ArrayHeader), kSetCpuid = _IOW(KVMIO, 0x90, ArrayHeader),
		kCheckExtension = KVM_CHECK_EXTENSION, kCreateIrqchip = KVM_CREATE_IRQCHIP,
		kIrqLine = KVM_IRQ_LINE, kSetMpState = KVM_SET_MP_STATE,
		kSetGsiRouting = _IOW(KVMIO, 0x6a, ArrayHeader), kIrqfd = KVM_IRQFD,
		kSignalMsi = KVM_SIGNAL_MSI;
	static constexpr uint32_t kIrqfdResample = KVM_IRQFD_FLAG_RESAMPLE,
		kIrqfdDeassign = KVM_IRQFD_FLAG_DEASSIGN;
	static constexpr unsigned long kCapIrqchip = KVM_CAP_IRQCHIP, kCapMpState = KVM_CAP_MP_STATE,
		kCapNrVcpus = KVM_CAP_MAX_VCPUS; // NR_VCPUS is only the recommended count
	static constexpr uint32_t kMpStateUninitialized = KVM_MP_STATE_UNINITIALIZED,
		kRoutingIrqchip = KVM_IRQ_ROUTING_IRQCHIP, kRoutingMsi = KVM_IRQ_ROUTING_MSI;
	static constexpr uint32_t kExitIo = KVM_EXIT_IO, kExitIoOut = KVM_EXIT_IO_OUT,
		kExitMmio = KVM_EXIT_MMIO, kExitHlt = KVM_EXIT_HLT, kExitShutdown = KVM_EXIT_SHUTDOWN,
		kExitFailEntry = KVM_EXIT_FAIL_ENTRY, kExitInternalError = KVM_EXIT_INTERNAL_ERROR,
		kExitIntr = KVM_EXIT_INTR, kExitIrqWindowOpen = KVM_EXIT_IRQ_WINDOW_OPEN,
		kExitSystemEvent = KVM_EXIT_SYSTEM_EVENT;
	static constexpr uint32_t kCpuidSignificantIndex = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	static constexpr uint32_t kIoeventfdDeassign = KVM_IOEVENTFD_FLAG_DEASSIGN;

	static Fd open(const std::string &path)
	{
		int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;
			throw Error("cannot open " + path + ": " +
				    (err == ENOENT || err == ENODEV || err == ENXIO
					     ? "KVM is not available (load kvm-intel or kvm-amd, "
					       "or use --accel ringvm)"
					     : device_open_reason(path, "kvm-intel", err)));
		}
		Fd sys(fd);
		int v = xioctl<KvmAbi>(sys, KVM_GET_API_VERSION, "ask KVM its API version",
				       "GET_API_VERSION");
		if (v != KVM_API_VERSION)
			throw Error("cannot use " + path + ": KVM API version " +
				    std::to_string(v) + ", expected " +
				    std::to_string(KVM_API_VERSION));
		if (::ioctl(sys.get(), KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
			throw Error("cannot use " + path +
				    ": KVM lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+)");
		return sys;
	}

	static void init_vm(const Fd &vm)
	{
		xioctl<KvmAbi>(vm, KVM_SET_TSS_ADDR, "place the real-mode TSS", "SET_TSS_ADDR",
			       static_cast<unsigned long>(kTssAddr));
		uint64_t ident = kIdentityMapAddr;
		xioctl<KvmAbi>(vm, KVM_SET_IDENTITY_MAP_ADDR, "place the identity map",
			       "SET_IDENTITY_MAP_ADDR", &ident);
	}

	static bool device_memory(const Fd &) { return true; }
};

} // namespace

std::unique_ptr<Backend> open_kvm_backend(const std::string &path)
{
	return std::make_unique<kvm_shaped::AbiBackend<KvmAbi>>(path);
}

} // namespace ringvm
