// SPDX-License-Identifier: GPL-2.0
// /dev/ringvm: what ringvm.ko's ABI names and requires differently from KVM's.
#include "vmm/backend.h"

#include <linux/kvm.h>
#include <linux/ringvm.h>

#include "vmm/device.h"
#include "vmm/kvm_shaped.h"

namespace ringvm {

namespace {

using kvm_shaped::ArrayHeader;
using kvm_shaped::xioctl;

// ringvm.ko's structs are KVM's, without what it does not implement (the
// run structure's later exit kinds).
static_assert(sizeof(ringvm_regs) == sizeof(kvm_regs));
static_assert(sizeof(ringvm_sregs) == sizeof(kvm_sregs) &&
	      offsetof(ringvm_sregs, interrupt_bitmap) == offsetof(kvm_sregs, interrupt_bitmap));
static_assert(sizeof(ringvm_segment) == sizeof(kvm_segment));
static_assert(sizeof(ringvm_fpu) == sizeof(kvm_fpu));
static_assert(sizeof(ringvm_cpuid_entry) == sizeof(kvm_cpuid_entry2));
static_assert(sizeof(ringvm_msr_entry) == sizeof(kvm_msr_entry));
static_assert(sizeof(ringvm_ioeventfd) == sizeof(kvm_ioeventfd));
static_assert(sizeof(ringvm_userspace_memory_region) == sizeof(kvm_userspace_memory_region));
// The array ioctls carry the 8-byte header the shared code builds.
static_assert(sizeof(ringvm_cpuid) == sizeof(ArrayHeader) &&
	      offsetof(ringvm_cpuid, entries) == sizeof(ArrayHeader));
static_assert(sizeof(ringvm_irq_routing) == sizeof(ArrayHeader) &&
	      offsetof(ringvm_irq_routing, entries) == sizeof(ArrayHeader));
static_assert(sizeof(ringvm_irq_routing_entry) == sizeof(kvm_irq_routing_entry));
static_assert(sizeof(ringvm_irq_level) == sizeof(kvm_irq_level));
static_assert(sizeof(ringvm_irqfd) == sizeof(kvm_irqfd));
static_assert(sizeof(ringvm_msi) == sizeof(kvm_msi));
static_assert(sizeof(ringvm_msrs) == sizeof(ArrayHeader) &&
	      offsetof(ringvm_msrs, entries) == sizeof(ArrayHeader));

struct RingvmAbi {
	using Run = ringvm_run; using Regs = ringvm_regs; using Sregs = ringvm_sregs;
	using Segment = ringvm_segment; using Fpu = ringvm_fpu; using Interrupt = ringvm_interrupt;
	using CpuidEntry = ringvm_cpuid_entry; using MsrEntry = ringvm_msr_entry;
	using MemoryRegion = ringvm_userspace_memory_region; using Ioeventfd = ringvm_ioeventfd;
	using IrqLevel = ringvm_irq_level; using MpState = ringvm_mp_state;
	using RoutingEntry = ringvm_irq_routing_entry; using Irqfd = ringvm_irqfd;
	using Msi = ringvm_msi;

	static constexpr const char *kName = "ringvm", *kIoctlPrefix = "RINGVM",
				    *kModule = "ringvm.ko";
	static constexpr const char *kSetCpuidName = "SET_CPUID";
	// struct ringvm_sregs before interrupt_bitmap, which ringvm.ko still serves.
	static constexpr unsigned long kSregsOldSize = offsetof(ringvm_sregs, interrupt_bitmap);
	static_assert(kSregsOldSize == 280);

	static constexpr unsigned long kCreateVm = RINGVM_CREATE_VM,
		kCreateVcpu = RINGVM_CREATE_VCPU, kGetVcpuMmapSize = RINGVM_GET_VCPU_MMAP_SIZE,
		kGetSupportedCpuid = RINGVM_GET_SUPPORTED_CPUID, kIoeventfd = RINGVM_IOEVENTFD,
		kSetUserMemoryRegion = RINGVM_SET_USER_MEMORY_REGION, kRun = RINGVM_RUN,
		kGetRegs = RINGVM_GET_REGS, kSetRegs = RINGVM_SET_REGS, kGetSregs = RINGVM_GET_SREGS,
		kSetSregs = RINGVM_SET_SREGS, kInterrupt = RINGVM_INTERRUPT,
		kSetMsrs = RINGVM_SET_MSRS, kSetFpu = RINGVM_SET_FPU, kSetCpuid = RINGVM_SET_CPUID,
		kCheckExtension = RINGVM_CHECK_EXTENSION, kCreateIrqchip = RINGVM_CREATE_IRQCHIP,
		kIrqLine = RINGVM_IRQ_LINE, kSetMpState = RINGVM_SET_MP_STATE,
		kSetGsiRouting = RINGVM_SET_GSI_ROUTING, kIrqfd = RINGVM_IRQFD,
		kSignalMsi = RINGVM_SIGNAL_MSI;
	static constexpr uint32_t kIrqfdResample = RINGVM_IRQFD_FLAG_RESAMPLE,
		kIrqfdDeassign = RINGVM_IRQFD_FLAG_DEASSIGN;
	static constexpr unsigned long kCapIrqchip = RINGVM_CAP_IRQCHIP,
		kCapMpState = RINGVM_CAP_MP_STATE, kCapNrVcpus = RINGVM_CAP_NR_VCPUS;
	static constexpr uint32_t kMpStateUninitialized = RINGVM_MP_STATE_UNINITIALIZED,
		kRoutingIrqchip = RINGVM_IRQ_ROUTING_IRQCHIP, kRoutingMsi = RINGVM_IRQ_ROUTING_MSI;
	static constexpr uint32_t kExitIo = RINGVM_EXIT_IO, kExitIoOut = RINGVM_EXIT_IO_OUT,
		kExitMmio = RINGVM_EXIT_MMIO, kExitHlt = RINGVM_EXIT_HLT,
		kExitShutdown = RINGVM_EXIT_SHUTDOWN, kExitFailEntry = RINGVM_EXIT_FAIL_ENTRY,
		kExitInternalError = RINGVM_EXIT_INTERNAL_ERROR, kExitIntr = RINGVM_EXIT_INTR,
		kExitIrqWindowOpen = RINGVM_EXIT_IRQ_WINDOW_OPEN,
		kExitSystemEvent = RINGVM_EXIT_SYSTEM_EVENT;
	static constexpr uint32_t kCpuidSignificantIndex = RINGVM_CPUID_FLAG_SIGNIFICANT_INDEX;
	static constexpr uint32_t kIoeventfdDeassign = RINGVM_IOEVENTFD_FLAG_DEASSIGN;

	static Fd open(const std::string &path)
	{
		Fd sys = open_device(kVmxDevice, path);
		int v = xioctl<RingvmAbi>(sys, RINGVM_GET_API_VERSION,
					  "ask ringvm.ko its API version", "GET_API_VERSION");
		if (v != RINGVM_API_VERSION)
			throw Error("cannot use " + path + ": ringvm.ko speaks API version " +
				    std::to_string(v) + ", this ringvm speaks " +
				    std::to_string(RINGVM_API_VERSION) + " (rebuild one of them)");
		if (::ioctl(sys.get(), RINGVM_CHECK_EXTENSION, RINGVM_CAP_IMMEDIATE_EXIT) <= 0)
			throw Error("cannot use " + path + ": ringvm.ko lacks RINGVM_CAP_IMMEDIATE_EXIT");
		return sys;
	}

	static void init_vm(const Fd &) {}

	static bool device_memory(const Fd &sys)
	{
		return ::ioctl(sys.get(), RINGVM_CHECK_EXTENSION, RINGVM_CAP_DEVICE_MEMORY) > 0;
	}
};

} // namespace

std::unique_ptr<Backend> open_ringvm_backend(const std::string &path)
{
	return std::make_unique<kvm_shaped::AbiBackend<RingvmAbi>>(path);
}

} // namespace ringvm
