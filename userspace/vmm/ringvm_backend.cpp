// SPDX-License-Identifier: GPL-2.0
#include "vmm/ringvm_backend.h"

#include <linux/ringvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>

#include "vmm/device.h"
#include "vmm/error.h"
#include "vmm/fd.h"

namespace ringvm {

namespace {

int xioctl(const Fd &fd, unsigned long req, const char *what, unsigned long arg = 0)
{
	int ret;
	do {
		ret = ::ioctl(fd.get(), req, arg);
	} while (ret < 0 && errno == EINTR && req != RINGVM_RUN);
	if (ret < 0)
		throw sys_error(what, errno);
	return ret;
}

template <typename T> int xioctl(const Fd &fd, unsigned long req, const char *what, T *arg)
{
	return xioctl(fd, req, what, reinterpret_cast<unsigned long>(arg));
}

Segment from_abi(const ringvm_segment &s)
{
	return Segment{s.base,	s.limit, s.selector, s.type, s.present, s.dpl,
		       s.db,	s.s,	 s.l,	     s.g,    s.avl,	s.unusable};
}

ringvm_segment to_abi(const Segment &s)
{
	ringvm_segment k{};
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

class RingvmVcpu final : public Vcpu {
public:
	RingvmVcpu(Fd fd, size_t run_size, int id) : fd_(std::move(fd)), size_(run_size), id_(id)
	{
		void *p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
		if (p == MAP_FAILED)
			throw sys_error("map the ringvm run structure of vCPU " + std::to_string(id),
					errno);
		run_ = static_cast<ringvm_run *>(p);
	}
	~RingvmVcpu() override { ::munmap(run_, size_); }
	RingvmVcpu(const RingvmVcpu &) = delete;
	RingvmVcpu &operator=(const RingvmVcpu &) = delete;

	VcpuExit run() override
	{
		VcpuExit e;
		int ret = ::ioctl(fd_.get(), RINGVM_RUN, 0);
		e.if_flag = run_->if_flag;
		e.ready_for_interrupt = run_->ready_for_interrupt_injection;
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				e.kind = VcpuExit::Kind::Intr;
				return e;
			}
			throw sys_error("run vCPU " + std::to_string(id_) + " (RINGVM_RUN)", errno);
		}
		switch (run_->exit_reason) {
		case RINGVM_EXIT_IO:
			e.kind = VcpuExit::Kind::Io;
			e.io_out = run_->io.direction == RINGVM_EXIT_IO_OUT;
			e.port = run_->io.port;
			e.size = run_->io.size;
			e.count = run_->io.count;
			e.data = reinterpret_cast<uint8_t *>(run_) + run_->io.data_offset;
			break;
		case RINGVM_EXIT_MMIO:
			e.kind = VcpuExit::Kind::Mmio;
			e.phys_addr = run_->mmio.phys_addr;
			e.mmio_write = run_->mmio.is_write;
			e.len = run_->mmio.len;
			e.data = run_->mmio.data;
			break;
		case RINGVM_EXIT_HLT:
			e.kind = VcpuExit::Kind::Hlt;
			break;
		case RINGVM_EXIT_SHUTDOWN:
			e.kind = VcpuExit::Kind::Shutdown;
			break;
		case RINGVM_EXIT_FAIL_ENTRY:
			e.kind = VcpuExit::Kind::FailEntry;
			e.reason = run_->fail_entry.hardware_entry_failure_reason;
			break;
		case RINGVM_EXIT_INTERNAL_ERROR:
			e.kind = VcpuExit::Kind::InternalError;
			e.reason = run_->internal.suberror;
			for (uint32_t i = 0; i < run_->internal.ndata && i < 16; i++)
				e.info.push_back(run_->internal.data[i]);
			break;
		case RINGVM_EXIT_INTR:
			e.kind = VcpuExit::Kind::Intr;
			break;
		case RINGVM_EXIT_IRQ_WINDOW_OPEN:
			e.kind = VcpuExit::Kind::IrqWindowOpen;
			break;
		case RINGVM_EXIT_SYSTEM_EVENT:
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
		ringvm_regs k{};
		xioctl(fd_, RINGVM_GET_REGS, "read vCPU registers (RINGVM_GET_REGS)", &k);
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
		ringvm_regs k{};
		k.rax = r.rax, k.rbx = r.rbx, k.rcx = r.rcx, k.rdx = r.rdx;
		k.rsi = r.rsi, k.rdi = r.rdi, k.rsp = r.rsp, k.rbp = r.rbp;
		k.r8 = r.r8, k.r9 = r.r9, k.r10 = r.r10, k.r11 = r.r11;
		k.r12 = r.r12, k.r13 = r.r13, k.r14 = r.r14, k.r15 = r.r15;
		k.rip = r.rip, k.rflags = r.rflags;
		xioctl(fd_, RINGVM_SET_REGS, "set vCPU registers (RINGVM_SET_REGS)", &k);
	}

	Sregs get_sregs() override
	{
		ringvm_sregs k{};
		xioctl(fd_, RINGVM_GET_SREGS, "read vCPU system registers (RINGVM_GET_SREGS)", &k);
		Sregs s;
		s.cs = from_abi(k.cs), s.ds = from_abi(k.ds), s.es = from_abi(k.es);
		s.fs = from_abi(k.fs), s.gs = from_abi(k.gs), s.ss = from_abi(k.ss);
		s.tr = from_abi(k.tr), s.ldt = from_abi(k.ldt);
		s.gdt = {k.gdt.base, k.gdt.limit};
		s.idt = {k.idt.base, k.idt.limit};
		s.cr0 = k.cr0, s.cr2 = k.cr2, s.cr3 = k.cr3, s.cr4 = k.cr4, s.cr8 = k.cr8;
		s.efer = k.efer, s.apic_base = k.apic_base;
		return s;
	}

	void set_sregs(const Sregs &s) override
	{
		ringvm_sregs k{};
		k.cs = to_abi(s.cs), k.ds = to_abi(s.ds), k.es = to_abi(s.es);
		k.fs = to_abi(s.fs), k.gs = to_abi(s.gs), k.ss = to_abi(s.ss);
		k.tr = to_abi(s.tr), k.ldt = to_abi(s.ldt);
		k.gdt.base = s.gdt.base, k.gdt.limit = s.gdt.limit;
		k.idt.base = s.idt.base, k.idt.limit = s.idt.limit;
		k.cr0 = s.cr0, k.cr2 = s.cr2, k.cr3 = s.cr3, k.cr4 = s.cr4, k.cr8 = s.cr8;
		k.efer = s.efer, k.apic_base = s.apic_base;
		xioctl(fd_, RINGVM_SET_SREGS, "set vCPU system registers (RINGVM_SET_SREGS)", &k);
	}

	void set_cpuid(const std::vector<CpuidEntry> &entries) override
	{
		std::vector<uint8_t> buf(sizeof(ringvm_cpuid) +
					 entries.size() * sizeof(ringvm_cpuid_entry));
		auto *c = reinterpret_cast<ringvm_cpuid *>(buf.data());
		c->nent = static_cast<uint32_t>(entries.size());
		for (size_t i = 0; i < entries.size(); i++) {
			auto &k = c->entries[i];
			k.function = entries[i].function;
			k.index = entries[i].index;
			k.flags = (entries[i].flags & kCpuidSignificantIndex)
					  ? RINGVM_CPUID_FLAG_SIGNIFICANT_INDEX
					  : 0;
			k.eax = entries[i].eax, k.ebx = entries[i].ebx;
			k.ecx = entries[i].ecx, k.edx = entries[i].edx;
		}
		xioctl(fd_, RINGVM_SET_CPUID, "set the guest CPUID table (RINGVM_SET_CPUID)", c);
	}

	void set_msrs(const std::vector<MsrEntry> &msrs) override
	{
		std::vector<uint8_t> buf(sizeof(ringvm_msrs) + msrs.size() * sizeof(ringvm_msr_entry));
		auto *m = reinterpret_cast<ringvm_msrs *>(buf.data());
		m->nmsrs = static_cast<uint32_t>(msrs.size());
		for (size_t i = 0; i < msrs.size(); i++) {
			m->entries[i].index = msrs[i].index;
			m->entries[i].data = msrs[i].data;
		}
		int n = xioctl(fd_, RINGVM_SET_MSRS, "set guest MSRs (RINGVM_SET_MSRS)", m);
		if (n != static_cast<int>(msrs.size()))
			throw Error("cannot set guest MSR " + std::to_string(msrs[n].index) +
				    ": ringvm.ko refused it");
	}

	void reset_fpu() override
	{
		ringvm_fpu f{};
		f.fcw = 0x37f;
		f.mxcsr = 0x1f80;
		xioctl(fd_, RINGVM_SET_FPU, "set the x87/SSE state (RINGVM_SET_FPU)", &f);
	}

	void inject_interrupt(uint8_t vector) override
	{
		ringvm_interrupt irq{};
		irq.irq = vector;
		xioctl(fd_, RINGVM_INTERRUPT, "inject an interrupt (RINGVM_INTERRUPT)", &irq);
	}

	void request_interrupt_window(bool on) override { run_->request_interrupt_window = on; }
	volatile uint8_t *immediate_exit() override { return &run_->immediate_exit; }
	int id() const override { return id_; }

private:
	Fd fd_;
	size_t size_;
	int id_;
	ringvm_run *run_ = nullptr;
};

class RingvmVm final : public Vm {
public:
	RingvmVm(const Fd &sys, Fd vm) : sys_(sys), vm_(std::move(vm))
	{
		run_size_ = static_cast<size_t>(
			xioctl(sys_, RINGVM_GET_VCPU_MMAP_SIZE, "size the run structure"));
		device_memory_ =
			::ioctl(sys_.get(), RINGVM_CHECK_EXTENSION, RINGVM_CAP_DEVICE_MEMORY) > 0;
	}

	bool maps_device_memory() const override { return device_memory_; }

	void map_memory(uint32_t slot, uint64_t gpa, uint64_t size, void *hva) override
	{
		ringvm_userspace_memory_region r{};
		r.slot = slot;
		r.guest_phys_addr = gpa;
		r.memory_size = size;
		r.userspace_addr = reinterpret_cast<uint64_t>(hva);
		xioctl(vm_, RINGVM_SET_USER_MEMORY_REGION,
		       "map guest memory (RINGVM_SET_USER_MEMORY_REGION)", &r);
	}

	bool set_ioeventfd(uint64_t gpa, uint32_t len, int fd, bool assign) override
	{
		ringvm_ioeventfd a{};
		a.addr = gpa;
		a.len = len;
		a.fd = fd;
		a.flags = assign ? 0 : RINGVM_IOEVENTFD_FLAG_DEASSIGN;
		return ::ioctl(vm_.get(), RINGVM_IOEVENTFD, &a) == 0;
	}

	std::unique_ptr<Vcpu> create_vcpu(int id) override
	{
		int fd = xioctl(vm_, RINGVM_CREATE_VCPU, "create a vCPU (RINGVM_CREATE_VCPU)",
				static_cast<unsigned long>(id));
		return std::make_unique<RingvmVcpu>(Fd(fd), run_size_, id);
	}

	std::vector<CpuidEntry> supported_cpuid() override
	{
		for (uint32_t n = 256; n <= 4096; n *= 2) {
			std::vector<uint8_t> buf(sizeof(ringvm_cpuid) + n * sizeof(ringvm_cpuid_entry));
			auto *c = reinterpret_cast<ringvm_cpuid *>(buf.data());
			c->nent = n;
			if (::ioctl(sys_.get(), RINGVM_GET_SUPPORTED_CPUID, c) < 0) {
				if (errno == E2BIG)
					continue;
				throw sys_error("read ringvm's CPUID (RINGVM_GET_SUPPORTED_CPUID, " +
							std::to_string(n) + " entries)",
						errno);
			}
			std::vector<CpuidEntry> out;
			for (uint32_t i = 0; i < c->nent; i++) {
				const auto &k = c->entries[i];
				out.push_back({k.function, k.index,
					       (k.flags & RINGVM_CPUID_FLAG_SIGNIFICANT_INDEX)
						       ? kCpuidSignificantIndex
						       : 0,
					       k.eax, k.ebx, k.ecx, k.edx});
			}
			return out;
		}
		throw Error("cannot read ringvm's CPUID: more than 4096 entries");
	}

private:
	const Fd &sys_;
	Fd vm_;
	size_t run_size_ = 0;
	bool device_memory_ = false;
};

class RingvmBackend final : public Backend {
public:
	explicit RingvmBackend(const std::string &path)
	{
		sys_ = open_device(kVmxDevice, path);
		int v = xioctl(sys_, RINGVM_GET_API_VERSION, "ask ringvm.ko its API version");
		if (v != RINGVM_API_VERSION)
			throw Error("cannot use " + path + ": ringvm.ko speaks API version " +
				    std::to_string(v) + ", this ringvm speaks " +
				    std::to_string(RINGVM_API_VERSION) + " (rebuild one of them)");
		if (::ioctl(sys_.get(), RINGVM_CHECK_EXTENSION, RINGVM_CAP_IMMEDIATE_EXIT) <= 0)
			throw Error("cannot use " + path + ": ringvm.ko lacks RINGVM_CAP_IMMEDIATE_EXIT");
	}

	std::string name() const override { return "ringvm"; }

	std::unique_ptr<Vm> create_vm() override
	{
		int fd = xioctl(sys_, RINGVM_CREATE_VM, "create a VM (RINGVM_CREATE_VM)");
		return std::make_unique<RingvmVm>(sys_, Fd(fd));
	}

private:
	Fd sys_;
};

} // namespace

std::unique_ptr<Backend> open_ringvm_backend(const std::string &path)
{
	return std::make_unique<RingvmBackend>(path);
}

} // namespace ringvm
