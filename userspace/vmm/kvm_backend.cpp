// SPDX-License-Identifier: GPL-2.0
#include "vmm/kvm_backend.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>

#include "vmm/error.h"
#include "vmm/fd.h"

namespace ringvm {

namespace {

// Where KVM may put the TSS and identity page table that VMX needs for real
// mode on CPUs without unrestricted guest: just below the 4 GiB BIOS area,
// inside the PCI hole our memory map leaves unused.
// <linux/kvm.h> declares the flexible arrays of kvm_cpuid2 and kvm_msrs with
// __DECLARE_FLEX_ARRAY, which C++ pads with an empty struct: their sizeof
// (and so the ioctl numbers) and the entries' offset come out wrong. The
// kernel's layout is an 8-byte header followed by the entries.
struct ArrayHeader {
	uint32_t n;
	uint32_t padding;
};
constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, ArrayHeader);
constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, ArrayHeader);
constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, ArrayHeader);

template <typename Entry> std::vector<uint8_t> array_buffer(size_t n)
{
	std::vector<uint8_t> buf(sizeof(ArrayHeader) + n * sizeof(Entry));
	reinterpret_cast<ArrayHeader *>(buf.data())->n = static_cast<uint32_t>(n);
	return buf;
}

template <typename Entry> Entry *array_entries(std::vector<uint8_t> &buf)
{
	return reinterpret_cast<Entry *>(buf.data() + sizeof(ArrayHeader));
}

constexpr uint64_t kTssAddr = 0xfffbd000;
constexpr uint64_t kIdentityMapAddr = 0xfffbc000;

int xioctl(const Fd &fd, unsigned long req, const char *what, unsigned long arg = 0)
{
	int ret;
	do {
		ret = ::ioctl(fd.get(), req, arg);
	} while (ret < 0 && errno == EINTR && req != KVM_RUN);
	if (ret < 0)
		throw sys_error(what, errno);
	return ret;
}

template <typename T> int xioctl(const Fd &fd, unsigned long req, const char *what, T *arg)
{
	return xioctl(fd, req, what, reinterpret_cast<unsigned long>(arg));
}

Segment from_kvm(const kvm_segment &s)
{
	return Segment{s.base,	s.limit, s.selector, s.type, s.present, s.dpl,
		       s.db,	s.s,	 s.l,	     s.g,    s.avl,	s.unusable};
}

kvm_segment to_kvm(const Segment &s)
{
	kvm_segment k{};
	k.base = s.base;
	k.limit = s.limit;
	k.selector = s.selector;
	k.type = s.type;
	k.present = s.present;
	k.dpl = s.dpl;
	k.db = s.db;
	k.s = s.s;
	k.l = s.l;
	k.g = s.g;
	k.avl = s.avl;
	k.unusable = s.unusable;
	return k;
}

class KvmVcpu final : public Vcpu {
public:
	KvmVcpu(Fd fd, size_t run_size, int id) : fd_(std::move(fd)), size_(run_size), id_(id)
	{
		void *p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
		if (p == MAP_FAILED)
			throw sys_error("map the KVM run structure of vCPU " + std::to_string(id),
					errno);
		run_ = static_cast<kvm_run *>(p);
	}
	~KvmVcpu() override { ::munmap(run_, size_); }
	KvmVcpu(const KvmVcpu &) = delete;
	KvmVcpu &operator=(const KvmVcpu &) = delete;

	VcpuExit run() override
	{
		VcpuExit e;
		int ret = ::ioctl(fd_.get(), KVM_RUN, 0);
		e.if_flag = run_->if_flag;
		e.ready_for_interrupt = run_->ready_for_interrupt_injection;
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				e.kind = VcpuExit::Kind::Intr;
				return e;
			}
			throw sys_error("run vCPU " + std::to_string(id_) + " (KVM_RUN)", errno);
		}
		switch (run_->exit_reason) {
		case KVM_EXIT_IO:
			e.kind = VcpuExit::Kind::Io;
			e.io_out = run_->io.direction == KVM_EXIT_IO_OUT;
			e.port = run_->io.port;
			e.size = run_->io.size;
			e.count = run_->io.count;
			e.data = reinterpret_cast<uint8_t *>(run_) + run_->io.data_offset;
			break;
		case KVM_EXIT_MMIO:
			e.kind = VcpuExit::Kind::Mmio;
			e.phys_addr = run_->mmio.phys_addr;
			e.mmio_write = run_->mmio.is_write;
			e.len = run_->mmio.len;
			e.data = run_->mmio.data;
			break;
		case KVM_EXIT_HLT:
			e.kind = VcpuExit::Kind::Hlt;
			break;
		case KVM_EXIT_SHUTDOWN:
			e.kind = VcpuExit::Kind::Shutdown;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			e.kind = VcpuExit::Kind::FailEntry;
			e.reason = run_->fail_entry.hardware_entry_failure_reason;
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			e.kind = VcpuExit::Kind::InternalError;
			e.reason = run_->internal.suberror;
			for (uint32_t i = 0; i < run_->internal.ndata && i < 16; i++)
				e.info.push_back(run_->internal.data[i]);
			break;
		case KVM_EXIT_INTR:
			e.kind = VcpuExit::Kind::Intr;
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			e.kind = VcpuExit::Kind::IrqWindowOpen;
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			e.kind = VcpuExit::Kind::SystemEvent;
			e.reason = run_->system_event.type;
			break;
		default:
			e.kind = VcpuExit::Kind::Unknown;
			e.reason = run_->exit_reason;
			break;
		}
		return e;
	}

	Regs get_regs() override
	{
		kvm_regs k{};
		xioctl(fd_, KVM_GET_REGS, "read vCPU registers (KVM_GET_REGS)", &k);
		Regs r;
		r.rax = k.rax, r.rbx = k.rbx, r.rcx = k.rcx, r.rdx = k.rdx;
		r.rsi = k.rsi, r.rdi = k.rdi, r.rsp = k.rsp, r.rbp = k.rbp;
		r.r8 = k.r8, r.r9 = k.r9, r.r10 = k.r10, r.r11 = k.r11;
		r.r12 = k.r12, r.r13 = k.r13, r.r14 = k.r14, r.r15 = k.r15;
		r.rip = k.rip, r.rflags = k.rflags;
		return r;
	}

	void set_regs(const Regs &r) override
	{
		kvm_regs k{};
		k.rax = r.rax, k.rbx = r.rbx, k.rcx = r.rcx, k.rdx = r.rdx;
		k.rsi = r.rsi, k.rdi = r.rdi, k.rsp = r.rsp, k.rbp = r.rbp;
		k.r8 = r.r8, k.r9 = r.r9, k.r10 = r.r10, k.r11 = r.r11;
		k.r12 = r.r12, k.r13 = r.r13, k.r14 = r.r14, k.r15 = r.r15;
		k.rip = r.rip, k.rflags = r.rflags;
		xioctl(fd_, KVM_SET_REGS, "set vCPU registers (KVM_SET_REGS)", &k);
	}

	Sregs get_sregs() override
	{
		kvm_sregs k{};
		xioctl(fd_, KVM_GET_SREGS, "read vCPU system registers (KVM_GET_SREGS)", &k);
		Sregs s;
		s.cs = from_kvm(k.cs), s.ds = from_kvm(k.ds), s.es = from_kvm(k.es);
		s.fs = from_kvm(k.fs), s.gs = from_kvm(k.gs), s.ss = from_kvm(k.ss);
		s.tr = from_kvm(k.tr), s.ldt = from_kvm(k.ldt);
		s.gdt = {k.gdt.base, k.gdt.limit};
		s.idt = {k.idt.base, k.idt.limit};
		s.cr0 = k.cr0, s.cr2 = k.cr2, s.cr3 = k.cr3, s.cr4 = k.cr4, s.cr8 = k.cr8;
		s.efer = k.efer, s.apic_base = k.apic_base;
		return s;
	}

	void set_sregs(const Sregs &s) override
	{
		// Start from the current state so the pending-interrupt bitmap
		// (which the neutral type does not carry) is preserved.
		kvm_sregs k{};
		xioctl(fd_, KVM_GET_SREGS, "read vCPU system registers (KVM_GET_SREGS)", &k);
		k.cs = to_kvm(s.cs), k.ds = to_kvm(s.ds), k.es = to_kvm(s.es);
		k.fs = to_kvm(s.fs), k.gs = to_kvm(s.gs), k.ss = to_kvm(s.ss);
		k.tr = to_kvm(s.tr), k.ldt = to_kvm(s.ldt);
		k.gdt.base = s.gdt.base, k.gdt.limit = s.gdt.limit;
		k.idt.base = s.idt.base, k.idt.limit = s.idt.limit;
		k.cr0 = s.cr0, k.cr2 = s.cr2, k.cr3 = s.cr3, k.cr4 = s.cr4, k.cr8 = s.cr8;
		k.efer = s.efer, k.apic_base = s.apic_base;
		xioctl(fd_, KVM_SET_SREGS, "set vCPU system registers (KVM_SET_SREGS)", &k);
	}

	void set_cpuid(const std::vector<CpuidEntry> &entries) override
	{
		auto buf = array_buffer<kvm_cpuid_entry2>(entries.size());
		auto *ents = array_entries<kvm_cpuid_entry2>(buf);
		for (size_t i = 0; i < entries.size(); i++) {
			auto &k = ents[i];
			k.function = entries[i].function;
			k.index = entries[i].index;
			k.flags = (entries[i].flags & kCpuidSignificantIndex)
					  ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX
					  : 0;
			k.eax = entries[i].eax, k.ebx = entries[i].ebx;
			k.ecx = entries[i].ecx, k.edx = entries[i].edx;
		}
		xioctl(fd_, kSetCpuid2, "set the guest CPUID table (KVM_SET_CPUID2)", buf.data());
	}

	void set_msrs(const std::vector<MsrEntry> &msrs) override
	{
		auto buf = array_buffer<kvm_msr_entry>(msrs.size());
		auto *ents = array_entries<kvm_msr_entry>(buf);
		for (size_t i = 0; i < msrs.size(); i++) {
			ents[i].index = msrs[i].index;
			ents[i].data = msrs[i].data;
		}
		int n = xioctl(fd_, kSetMsrs, "set guest MSRs (KVM_SET_MSRS)", buf.data());
		if (n != static_cast<int>(msrs.size()))
			throw Error("cannot set guest MSR " + std::to_string(msrs[n].index) +
				    ": KVM refused it");
	}

	void reset_fpu() override
	{
		kvm_fpu f{};
		f.fcw = 0x37f;
		f.mxcsr = 0x1f80;
		xioctl(fd_, KVM_SET_FPU, "set the x87/SSE state (KVM_SET_FPU)", &f);
	}

	void inject_interrupt(uint8_t vector) override
	{
		kvm_interrupt irq{};
		irq.irq = vector;
		xioctl(fd_, KVM_INTERRUPT, "inject an interrupt (KVM_INTERRUPT)", &irq);
	}

	void request_interrupt_window(bool on) override { run_->request_interrupt_window = on; }
	volatile uint8_t *immediate_exit() override { return &run_->immediate_exit; }
	int id() const override { return id_; }

private:
	Fd fd_;
	size_t size_;
	int id_;
	kvm_run *run_ = nullptr;
};

class KvmVm final : public Vm {
public:
	KvmVm(const Fd &sys, Fd vm) : sys_(sys), vm_(std::move(vm))
	{
		xioctl(vm_, KVM_SET_TSS_ADDR, "place the real-mode TSS (KVM_SET_TSS_ADDR)",
		       static_cast<unsigned long>(kTssAddr));
		uint64_t ident = kIdentityMapAddr;
		xioctl(vm_, KVM_SET_IDENTITY_MAP_ADDR,
		       "place the identity map (KVM_SET_IDENTITY_MAP_ADDR)", &ident);
		run_size_ = static_cast<size_t>(
			xioctl(sys_, KVM_GET_VCPU_MMAP_SIZE, "size the run structure"));
	}

	void map_memory(uint32_t slot, uint64_t gpa, uint64_t size, void *hva) override
	{
		kvm_userspace_memory_region r{};
		r.slot = slot;
		r.guest_phys_addr = gpa;
		r.memory_size = size;
		r.userspace_addr = reinterpret_cast<uint64_t>(hva);
		xioctl(vm_, KVM_SET_USER_MEMORY_REGION,
		       "map guest memory (KVM_SET_USER_MEMORY_REGION)", &r);
	}

	bool maps_device_memory() const override { return true; }

	bool set_ioeventfd(uint64_t gpa, uint32_t len, int fd, bool assign) override
	{
		kvm_ioeventfd a{};
		a.addr = gpa;
		a.len = len;
		a.fd = fd;
		a.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN;
		return ::ioctl(vm_.get(), KVM_IOEVENTFD, &a) == 0;
	}

	std::unique_ptr<Vcpu> create_vcpu(int id) override
	{
		int fd = xioctl(vm_, KVM_CREATE_VCPU, "create a vCPU (KVM_CREATE_VCPU)",
				static_cast<unsigned long>(id));
		return std::make_unique<KvmVcpu>(Fd(fd), run_size_, id);
	}

	std::vector<CpuidEntry> supported_cpuid() override
	{
		// KVM clamps nent to its own maximum (256 today) and says E2BIG if
		// that is still too few.
		for (uint32_t n = 256; n <= 4096; n *= 2) {
			auto buf = array_buffer<kvm_cpuid_entry2>(n);
			if (::ioctl(sys_.get(), kGetSupportedCpuid, buf.data()) < 0) {
				if (errno == E2BIG)
					continue;
				throw sys_error("read KVM's CPUID (KVM_GET_SUPPORTED_CPUID, " +
							std::to_string(n) + " entries)",
						errno);
			}
			std::vector<CpuidEntry> out;
			uint32_t got = reinterpret_cast<ArrayHeader *>(buf.data())->n;
			auto *ents = array_entries<kvm_cpuid_entry2>(buf);
			for (uint32_t i = 0; i < got && i < n; i++) {
				const auto &k = ents[i];
				out.push_back({k.function, k.index,
					       (k.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)
						       ? kCpuidSignificantIndex
						       : 0,
					       k.eax, k.ebx, k.ecx, k.edx});
			}
			return out;
		}
		throw Error("cannot read KVM's CPUID: more than 4096 entries");
	}

private:
	const Fd &sys_;
	Fd vm_;
	size_t run_size_ = 0;
};

class KvmBackend final : public Backend {
public:
	explicit KvmBackend(const std::string &path)
	{
		int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;
			std::string why;
			if (err == ENOENT || err == ENODEV || err == ENXIO)
				why = "KVM is not available (load kvm-intel or kvm-amd, or use "
				      "--accel ringvm)";
			else
				why = device_open_reason(path, "kvm-intel", err);
			throw Error("cannot open " + path + ": " + why);
		}
		sys_ = Fd(fd);
		int v = xioctl(sys_, KVM_GET_API_VERSION, "ask KVM its API version");
		if (v != KVM_API_VERSION)
			throw Error("cannot use " + path + ": KVM API version " +
				    std::to_string(v) + ", expected " +
				    std::to_string(KVM_API_VERSION));
		if (::ioctl(sys_.get(), KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
			throw Error("cannot use " + path +
				    ": KVM lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+)");
	}

	std::string name() const override { return "kvm"; }

	std::unique_ptr<Vm> create_vm() override
	{
		int fd = xioctl(sys_, KVM_CREATE_VM, "create a VM (KVM_CREATE_VM)");
		return std::make_unique<KvmVm>(sys_, Fd(fd));
	}

private:
	Fd sys_;
};

} // namespace

std::unique_ptr<Backend> open_kvm_backend(const std::string &path)
{
	return std::make_unique<KvmBackend>(path);
}

} // namespace ringvm
