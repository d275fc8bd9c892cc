// SPDX-License-Identifier: GPL-2.0
// The one interface between the VMM and a hypervisor (ringvm.ko or /dev/kvm).
// Both kernels speak the same KVM-shaped ABI; these neutral types let the
// devices, loaders and run loop stay identical on either, and let the unit
// tests drive the run loop with a scripted fake.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ringvm {

struct Regs {
	uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0;
	uint64_t rsi = 0, rdi = 0, rsp = 0, rbp = 0;
	uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0;
	uint64_t r12 = 0, r13 = 0, r14 = 0, r15 = 0;
	uint64_t rip = 0, rflags = 2;
};

struct Segment {
	uint64_t base = 0;
	uint32_t limit = 0;
	uint16_t selector = 0;
	uint8_t type = 0;
	uint8_t present = 0, dpl = 0, db = 0, s = 0, l = 0, g = 0, avl = 0;
	uint8_t unusable = 0;
};

struct DescriptorTable {
	uint64_t base = 0;
	uint16_t limit = 0;
};

struct Sregs {
	Segment cs, ds, es, fs, gs, ss, tr, ldt;
	DescriptorTable gdt, idt;
	uint64_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0, efer = 0, apic_base = 0;
};

struct CpuidEntry {
	uint32_t function = 0, index = 0, flags = 0;
	uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};
// CpuidEntry::flags: the leaf has sub-leaves selected by ECX.
constexpr uint32_t kCpuidSignificantIndex = 1;

struct MsrEntry {
	uint32_t index = 0;
	uint64_t data = 0;
};

// Why Vcpu::run() returned. Pointers into the run structure stay valid until
// the next run(), which completes an IN or an MMIO read with what was stored.
struct VcpuExit {
	enum class Kind {
		Io,
		Mmio,
		Hlt,
		Shutdown,
		FailEntry,
		InternalError,
		Intr,
		IrqWindowOpen,
		SystemEvent,
		Unknown,
	};
	Kind kind = Kind::Unknown;
	// Io: `count` items of `size` bytes back to back in `data`.
	bool io_out = false;
	uint16_t port = 0;
	uint8_t size = 0;
	uint32_t count = 0;
	// Mmio
	uint64_t phys_addr = 0;
	bool mmio_write = false;
	uint32_t len = 0;
	uint8_t *data = nullptr;
	// FailEntry: hardware reason; InternalError: suberror; SystemEvent: type;
	// Unknown: the backend's raw exit reason.
	uint64_t reason = 0;
	std::vector<uint64_t> info; // internal error / system event data words
	// State the run structure reports on every exit.
	bool if_flag = false;
	bool ready_for_interrupt = false;
};

const char *exit_kind_name(VcpuExit::Kind kind);

class Vcpu {
public:
	virtual ~Vcpu() = default;
	virtual VcpuExit run() = 0;
	virtual Regs get_regs() = 0;
	virtual void set_regs(const Regs &regs) = 0;
	virtual Sregs get_sregs() = 0;
	virtual void set_sregs(const Sregs &sregs) = 0;
	virtual void set_cpuid(const std::vector<CpuidEntry> &entries) = 0;
	virtual void set_msrs(const std::vector<MsrEntry> &msrs) = 0;
	// x87 control word 0x37f and MXCSR 0x1f80: the state firmware leaves.
	virtual void reset_fpu() = 0;
	// Queues an external interrupt for the next entry (KVM_INTERRUPT).
	virtual void inject_interrupt(uint8_t vector) = 0;
	virtual void request_interrupt_window(bool on) = 0;
	// The run structure's immediate_exit byte: a signal handler sets it so a
	// kick that lands just before entry is not lost. Null if there is none.
	virtual volatile uint8_t *immediate_exit() = 0;
	virtual int id() const = 0;
	// With an in-kernel irqchip only: an application processor starts in
	// UNINITIALIZED and waits for the guest's INIT/SIPI (KVM_SET_MP_STATE).
	virtual void set_mp_state_uninitialized();
};

// One line of the hypervisor's GSI routing table: GSI @gsi drives input @pin
// of @chip (KVM's numbering: 0 master PIC, 1 slave PIC, 2 I/O APIC), or,
// with @msi, sends the message @address/@data.
struct GsiRoute {
	uint32_t gsi = 0, chip = 0, pin = 0;
	bool msi = false;
	uint64_t address = 0;
	uint32_t data = 0;
};
constexpr uint32_t kChipPicMaster = 0, kChipPicSlave = 1, kChipIoapic = 2;

class Vm {
public:
	virtual ~Vm() = default;
	// Maps [gpa, gpa + size) of the guest to host memory at hva.
	virtual void map_memory(uint32_t slot, uint64_t gpa, uint64_t size, void *hva) = 0;
	// Whether @hva may also be device memory (a BAR's mmap, VM_PFNMAP): KVM,
	// and ringvm.ko with RINGVM_CAP_DEVICE_MEMORY. Otherwise such BARs trap.
	virtual bool maps_device_memory() const = 0;
	virtual std::unique_ptr<Vcpu> create_vcpu(int id) = 0;
	// A guest write of @len bytes at MMIO address @gpa signals eventfd @fd in
	// the hypervisor, with no exit to the VMM (KVM_IOEVENTFD); !@assign
	// removes it. False when the hypervisor refused: the write then still
	// reaches the VMM as an MMIO exit, so callers may ignore it.
	virtual bool set_ioeventfd(uint64_t gpa, uint32_t len, int fd, bool assign) = 0;
	// What the hypervisor can show the guest; the VMM filters it.
	virtual std::vector<CpuidEntry> supported_cpuid() = 0;

	// The in-kernel irqchip (PICs, I/O APIC, a local APIC per vCPU): empty
	// when the hypervisor has all of it, else the capability that is
	// missing, for the message.
	virtual std::string irqchip_missing() const { return "an in-kernel irqchip"; }
	// Before any vCPU exists (KVM_CREATE_IRQCHIP).
	virtual void create_irqchip();
	// Replaces the whole GSI routing table (KVM_SET_GSI_ROUTING).
	virtual void set_gsi_routing(std::span<const GsiRoute> routes);
	// Drives GSI @gsi to @level (KVM_IRQ_LINE); an edge is a 1 then a 0.
	virtual void irq_line(uint32_t gsi, bool level);
	// Each signal of eventfd @fd asserts GSI @gsi in the kernel (KVM_IRQFD).
	// With @resample_fd, a level-triggered source: the line stays up until
	// the guest EOIs it, then is lowered and @resample_fd signalled, so the
	// source can look again and signal @fd if it still wants service.
	virtual void assign_irqfd(uint32_t gsi, int fd, int resample_fd = -1);
	virtual void deassign_irqfd(uint32_t gsi, int fd);
	// Sends one MSI to the in-kernel local APICs (KVM_SIGNAL_MSI).
	virtual void signal_msi(uint64_t address, uint32_t data);
	// How many vCPUs the hypervisor allows in one VM.
	virtual int max_vcpus() const { return 64; }
};

class Backend {
public:
	virtual ~Backend() = default;
	virtual std::string name() const = 0;
	virtual std::unique_ptr<Vm> create_vm() = 0;
};

enum class Accel { Ringvm, Kvm };

// Opens /dev/ringvm or /dev/kvm; throws Error saying what to load or fix.
std::unique_ptr<Backend> open_backend(Accel accel);
// The two behind it (vmm/ringvm_backend.cpp, vmm/kvm_backend.cpp).
std::unique_ptr<Backend> open_ringvm_backend(const std::string &path = "/dev/ringvm");
std::unique_ptr<Backend> open_kvm_backend(const std::string &path = "/dev/kvm");

} // namespace ringvm
