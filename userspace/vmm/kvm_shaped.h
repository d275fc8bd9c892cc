// SPDX-License-Identifier: GPL-2.0
// The backend for a KVM-shaped ioctl ABI, written once: /dev/kvm and
// /dev/ringvm share ioctls, run structure and register layouts. An ABI traits
// type (KvmAbi, RingvmAbi) gives the structs, ioctl and exit numbers, flags,
// names for messages, and open(path), init_vm(vm), device_memory(sys).
// SET_SREGS starts from the current state: both sregs carry the vCPU's
// acknowledged interrupt (interrupt_bitmap), which the neutral type does not.
#pragma once

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "vmm/backend.h"
#include "vmm/error.h"
#include "vmm/fd.h"

namespace ringvm::kvm_shaped {

// The CPUID and MSR arrays are an 8-byte header (count, padding) followed by
// the entries. <linux/kvm.h> declares them with __DECLARE_FLEX_ARRAY, which
// C++ pads with an empty struct, so the ioctl numbers are computed from this
// header instead of the kernel's struct.
struct ArrayHeader {
	uint32_t n;
	uint32_t padding;
};

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

// Retried on EINTR (the entry, where EINTR is the kick, does not come
// here); throws "cannot WHAT (PREFIX_OP): why". @arg: a value or a pointer.
template <typename Abi, typename Arg = unsigned long>
int xioctl(const Fd &fd, unsigned long req, const char *what, const char *op, Arg arg = 0)
{
	int ret;
	do {
		ret = ::ioctl(fd.get(), req, arg);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		throw sys_error(std::string(what) + " (" + Abi::kIoctlPrefix + "_" + op + ")", errno);
	return ret;
}

template <typename Abi> void check_layouts()
{
	// The shapes the field-by-field copies rely on, for each ABI.
	static_assert(sizeof(typename Abi::Regs) == 18 * sizeof(uint64_t));
	static_assert(offsetof(typename Abi::Sregs, cr0) == 8 * sizeof(typename Abi::Segment) +
								    2 * 16);
	static_assert(sizeof(typename Abi::CpuidEntry) == 40);
	static_assert(sizeof(typename Abi::MsrEntry) == 16);
	static_assert(sizeof(typename Abi::Ioeventfd) == 64);
	static_assert(std::is_standard_layout_v<typename Abi::Run>);
	static_assert(sizeof(std::declval<typename Abi::Run &>().mmio.data) == 8);
}

template <typename Abi> Segment from_abi(const typename Abi::Segment &s)
{
	return Segment{s.base, s.limit, s.selector, s.type, s.present, s.dpl,
		       s.db,   s.s,	s.l,	    s.g,    s.avl,     s.unusable};
}

template <typename Abi> typename Abi::Segment to_abi(const Segment &s)
{
	return {s.base, s.limit, s.selector, s.type, s.present, s.dpl,
		s.db,	s.s,	 s.l,	     s.g,    s.avl,	s.unusable, 0};
}

template <typename Abi> VcpuExit decode_exit(typename Abi::Run &run)
{
	VcpuExit e;
	e.if_flag = run.if_flag;
	e.ready_for_interrupt = run.ready_for_interrupt_injection;
	switch (run.exit_reason) {
	case Abi::kExitIo:
		e.kind = VcpuExit::Kind::Io;
		e.io_out = run.io.direction == Abi::kExitIoOut;
		e.port = run.io.port;
		e.size = run.io.size;
		e.count = run.io.count;
		e.data = reinterpret_cast<uint8_t *>(&run) + run.io.data_offset;
		break;
	case Abi::kExitMmio:
		e.kind = VcpuExit::Kind::Mmio;
		e.phys_addr = run.mmio.phys_addr;
		e.mmio_write = run.mmio.is_write;
		e.len = run.mmio.len;
		e.data = run.mmio.data;
		break;
	case Abi::kExitHlt:
		e.kind = VcpuExit::Kind::Hlt;
		break;
	case Abi::kExitShutdown:
		e.kind = VcpuExit::Kind::Shutdown;
		break;
	case Abi::kExitFailEntry:
		e.kind = VcpuExit::Kind::FailEntry;
		e.reason = run.fail_entry.hardware_entry_failure_reason;
		break;
	case Abi::kExitInternalError:
		e.kind = VcpuExit::Kind::InternalError;
		e.reason = run.internal.suberror;
		for (uint32_t i = 0; i < run.internal.ndata && i < 16; i++)
			e.info.push_back(run.internal.data[i]);
		break;
	case Abi::kExitIntr:
		e.kind = VcpuExit::Kind::Intr;
		break;
	case Abi::kExitIrqWindowOpen:
		e.kind = VcpuExit::Kind::IrqWindowOpen;
		break;
	case Abi::kExitSystemEvent:
		e.kind = VcpuExit::Kind::SystemEvent;
		e.reason = run.system_event.type;
		break;
	default:
		e.kind = VcpuExit::Kind::Unknown;
		e.reason = run.exit_reason;
		break;
	}
	return e;
}

template <typename Abi> class AbiVcpu final : public Vcpu {
public:
	AbiVcpu(Fd fd, size_t run_size, int id) : fd_(std::move(fd)), size_(run_size), id_(id)
	{
		check_layouts<Abi>();
		void *p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
		if (p == MAP_FAILED)
			throw sys_error(std::string("map the ") + Abi::kModule +
						" run structure of vCPU " + std::to_string(id),
					errno);
		run_ = static_cast<typename Abi::Run *>(p);
	}
	~AbiVcpu() override { ::munmap(run_, size_); }
	AbiVcpu(const AbiVcpu &) = delete;
	AbiVcpu &operator=(const AbiVcpu &) = delete;

	VcpuExit run() override
	{
		if (::ioctl(fd_.get(), Abi::kRun, 0) == 0)
			return decode_exit<Abi>(*run_);
		if (errno != EINTR && errno != EAGAIN)
			throw sys_error("run vCPU " + std::to_string(id_) + " (" + Abi::kIoctlPrefix +
						"_RUN)",
					errno);
		VcpuExit e;
		e.kind = VcpuExit::Kind::Intr;
		e.if_flag = run_->if_flag;
		e.ready_for_interrupt = run_->ready_for_interrupt_injection;
		return e;
	}

	Regs get_regs() override
	{
		typename Abi::Regs k{};
		xioctl<Abi>(fd_, Abi::kGetRegs, "read vCPU registers", "GET_REGS", &k);
		return Regs{k.rax, k.rbx, k.rcx, k.rdx, k.rsi, k.rdi, k.rsp, k.rbp, k.r8,
			    k.r9,  k.r10, k.r11, k.r12, k.r13, k.r14, k.r15, k.rip, k.rflags};
	}

	void set_regs(const Regs &r) override
	{
		typename Abi::Regs k{r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp, r.r8,
				     r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip, r.rflags};
		xioctl<Abi>(fd_, Abi::kSetRegs, "set vCPU registers", "SET_REGS", &k);
	}

	Sregs get_sregs() override
	{
		auto k = read_sregs();
		Sregs s;
		s.cs = from_abi<Abi>(k.cs), s.ds = from_abi<Abi>(k.ds), s.es = from_abi<Abi>(k.es);
		s.fs = from_abi<Abi>(k.fs), s.gs = from_abi<Abi>(k.gs), s.ss = from_abi<Abi>(k.ss);
		s.tr = from_abi<Abi>(k.tr), s.ldt = from_abi<Abi>(k.ldt);
		s.gdt = {k.gdt.base, k.gdt.limit};
		s.idt = {k.idt.base, k.idt.limit};
		s.cr0 = k.cr0, s.cr2 = k.cr2, s.cr3 = k.cr3, s.cr4 = k.cr4, s.cr8 = k.cr8;
		s.efer = k.efer, s.apic_base = k.apic_base;
		return s;
	}

	void set_sregs(const Sregs &s) override
	{
		typename Abi::Sregs k = read_sregs();
		k.cs = to_abi<Abi>(s.cs), k.ds = to_abi<Abi>(s.ds), k.es = to_abi<Abi>(s.es);
		k.fs = to_abi<Abi>(s.fs), k.gs = to_abi<Abi>(s.gs), k.ss = to_abi<Abi>(s.ss);
		k.tr = to_abi<Abi>(s.tr), k.ldt = to_abi<Abi>(s.ldt);
		k.gdt.base = s.gdt.base, k.gdt.limit = s.gdt.limit;
		k.idt.base = s.idt.base, k.idt.limit = s.idt.limit;
		k.cr0 = s.cr0, k.cr2 = s.cr2, k.cr3 = s.cr3, k.cr4 = s.cr4, k.cr8 = s.cr8;
		k.efer = s.efer, k.apic_base = s.apic_base;
		xioctl<Abi>(fd_, sregs_ioctl(Abi::kSetSregs), "set vCPU system registers", "SET_SREGS",
			    &k);
	}

	void set_cpuid(const std::vector<CpuidEntry> &entries) override
	{
		auto buf = array_buffer<typename Abi::CpuidEntry>(entries.size());
		auto *ents = array_entries<typename Abi::CpuidEntry>(buf);
		for (size_t i = 0; i < entries.size(); i++) {
			auto &k = ents[i];
			k.function = entries[i].function;
			k.index = entries[i].index;
			k.flags = (entries[i].flags & kCpuidSignificantIndex)
					  ? Abi::kCpuidSignificantIndex
					  : 0;
			k.eax = entries[i].eax, k.ebx = entries[i].ebx;
			k.ecx = entries[i].ecx, k.edx = entries[i].edx;
		}
		xioctl<Abi>(fd_, Abi::kSetCpuid, "set the guest CPUID table", Abi::kSetCpuidName,
			    buf.data());
	}

	void set_msrs(const std::vector<MsrEntry> &msrs) override
	{
		auto buf = array_buffer<typename Abi::MsrEntry>(msrs.size());
		auto *ents = array_entries<typename Abi::MsrEntry>(buf);
		for (size_t i = 0; i < msrs.size(); i++) {
			ents[i].index = msrs[i].index;
			ents[i].data = msrs[i].data;
		}
		int n = xioctl<Abi>(fd_, Abi::kSetMsrs, "set guest MSRs", "SET_MSRS", buf.data());
		if (n != static_cast<int>(msrs.size()))
			throw Error("cannot set guest MSR " + std::to_string(msrs[n].index) + ": " +
				    Abi::kModule + " refused it");
	}

	void reset_fpu() override
	{
		typename Abi::Fpu f{};
		f.fcw = 0x37f;
		f.mxcsr = 0x1f80;
		xioctl<Abi>(fd_, Abi::kSetFpu, "set the x87/SSE state", "SET_FPU", &f);
	}

	void inject_interrupt(uint8_t vector) override
	{
		typename Abi::Interrupt irq{};
		irq.irq = vector;
		xioctl<Abi>(fd_, Abi::kInterrupt, "inject an interrupt", "INTERRUPT", &irq);
	}

	void set_mp_state_uninitialized() override
	{
		typename Abi::MpState st{};
		st.mp_state = Abi::kMpStateUninitialized;
		xioctl<Abi>(fd_, Abi::kSetMpState, "park an application processor", "SET_MP_STATE",
			    &st);
	}

	void request_interrupt_window(bool on) override { run_->request_interrupt_window = on; }
	volatile uint8_t *immediate_exit() override { return &run_->immediate_exit; }
	int id() const override { return id_; }

private:
	typename Abi::Sregs read_sregs()
	{
		typename Abi::Sregs k{};
		if constexpr (requires { Abi::kSregsOldSize; }) {
			// A module from before interrupt_bitmap answers only the old
			// numbers; the bitmap then stays zero, and its SET ignores it.
			if (!old_sregs_) {
				if (::ioctl(fd_.get(), Abi::kGetSregs, &k) == 0)
					return k;
				if (int err = errno; err != ENOTTY)
					throw sys_error(std::string("read vCPU system registers (") +
								Abi::kIoctlPrefix + "_GET_SREGS)",
							err);
				old_sregs_ = true;
			}
		}
		xioctl<Abi>(fd_, sregs_ioctl(Abi::kGetSregs), "read vCPU system registers",
			    "GET_SREGS", &k);
		return k;
	}

	// GET_SREGS or SET_SREGS with the size the loaded module knows.
	unsigned long sregs_ioctl(unsigned long req) const
	{
		if constexpr (requires { Abi::kSregsOldSize; })
			if (old_sregs_)
				return _IOC(_IOC_DIR(req), _IOC_TYPE(req), _IOC_NR(req),
					    Abi::kSregsOldSize);
		return req;
	}

	Fd fd_;
	size_t size_;
	int id_;
	typename Abi::Run *run_ = nullptr;
	bool old_sregs_ = false;
};

template <typename Abi> class AbiVm final : public Vm {
public:
	AbiVm(const Fd &sys, Fd vm) : sys_(sys), vm_(std::move(vm))
	{
		Abi::init_vm(vm_);
		// Asked of the system fd: ringvm.ko answers only there.
		auto cap = [this](unsigned long c) {
			return ::ioctl(sys_.get(), Abi::kCheckExtension, c);
		};
		if (cap(Abi::kCapIrqchip) <= 0)
			irqchip_missing_ = std::string(Abi::kIoctlPrefix) + "_CAP_IRQCHIP";
		else if (cap(Abi::kCapMpState) <= 0)
			irqchip_missing_ = std::string(Abi::kIoctlPrefix) + "_CAP_MP_STATE";
		int n = cap(Abi::kCapNrVcpus);
		max_vcpus_ = n > 0 ? n : 1;
		run_size_ = static_cast<size_t>(xioctl<Abi>(sys_, Abi::kGetVcpuMmapSize,
							    "size the run structure",
							    "GET_VCPU_MMAP_SIZE"));
		device_memory_ = Abi::device_memory(sys_);
	}

	void map_memory(uint32_t slot, uint64_t gpa, uint64_t size, void *hva) override
	{
		typename Abi::MemoryRegion r{};
		r.slot = slot;
		r.guest_phys_addr = gpa;
		r.memory_size = size;
		r.userspace_addr = reinterpret_cast<uint64_t>(hva);
		xioctl<Abi>(vm_, Abi::kSetUserMemoryRegion, "map guest memory",
			    "SET_USER_MEMORY_REGION", &r);
	}

	bool maps_device_memory() const override { return device_memory_; }

	bool set_ioeventfd(uint64_t gpa, uint32_t len, int fd, bool assign) override
	{
		typename Abi::Ioeventfd a{};
		a.addr = gpa;
		a.len = len;
		a.fd = fd;
		a.flags = assign ? 0 : Abi::kIoeventfdDeassign;
		return ::ioctl(vm_.get(), Abi::kIoeventfd, &a) == 0;
	}

	std::unique_ptr<Vcpu> create_vcpu(int id) override
	{
		int fd = xioctl<Abi>(vm_, Abi::kCreateVcpu, "create a vCPU", "CREATE_VCPU",
				     static_cast<unsigned long>(id));
		return std::make_unique<AbiVcpu<Abi>>(Fd(fd), run_size_, id);
	}

	std::string irqchip_missing() const override { return irqchip_missing_; }
	int max_vcpus() const override { return max_vcpus_; }

	void create_irqchip() override
	{
		xioctl<Abi>(vm_, Abi::kCreateIrqchip, "create the in-kernel irqchip",
			    "CREATE_IRQCHIP");
	}

	void set_gsi_routing(std::span<const GsiRoute> routes) override
	{
		using Entry = typename Abi::RoutingEntry;
		auto buf = array_buffer<Entry>(routes.size());
		Entry *ents = array_entries<Entry>(buf);
		for (size_t i = 0; i < routes.size(); i++) {
			ents[i].gsi = routes[i].gsi;
			if (routes[i].msi) {
				ents[i].type = Abi::kRoutingMsi;
				ents[i].u.msi.address_lo = static_cast<uint32_t>(routes[i].address);
				ents[i].u.msi.address_hi = static_cast<uint32_t>(routes[i].address >> 32);
				ents[i].u.msi.data = routes[i].data;
				continue;
			}
			ents[i].type = Abi::kRoutingIrqchip;
			ents[i].u.irqchip.irqchip = routes[i].chip;
			ents[i].u.irqchip.pin = routes[i].pin;
		}
		xioctl<Abi>(vm_, Abi::kSetGsiRouting, "set the GSI routing table", "SET_GSI_ROUTING",
			    buf.data());
	}

	void irq_line(uint32_t gsi, bool level) override
	{
		typename Abi::IrqLevel l{};
		l.irq = gsi;
		l.level = level;
		xioctl<Abi>(vm_, Abi::kIrqLine, "drive an interrupt line", "IRQ_LINE", &l);
	}

	void signal_msi(uint64_t address, uint32_t data) override
	{
		typename Abi::Msi m{};
		m.address_lo = static_cast<uint32_t>(address);
		m.address_hi = static_cast<uint32_t>(address >> 32);
		m.data = data;
		// The message is the guest's: one that reaches no APIC (0 from
		// ringvm.ko, -1 read as EPERM from KVM), or that ringvm.ko finds
		// no MSI could be (EINVAL), is dropped, as a chipset drops a write
		// to nowhere.
		int r;
		do {
			r = ::ioctl(vm_.get(), Abi::kSignalMsi, &m);
		} while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EINVAL && errno != EPERM)
			throw sys_error(std::string("send an MSI (") + Abi::kIoctlPrefix + "_SIGNAL_MSI)",
					errno);
	}

	void assign_irqfd(uint32_t gsi, int fd, int resample_fd) override
	{
		typename Abi::Irqfd a{};
		a.fd = static_cast<uint32_t>(fd);
		a.gsi = gsi;
		if (resample_fd >= 0) {
			a.flags = Abi::kIrqfdResample;
			a.resamplefd = static_cast<uint32_t>(resample_fd);
		}
		xioctl<Abi>(vm_, Abi::kIrqfd, "bind an eventfd to an interrupt line", "IRQFD", &a);
	}

	void deassign_irqfd(uint32_t gsi, int fd) override
	{
		typename Abi::Irqfd a{};
		a.fd = static_cast<uint32_t>(fd);
		a.gsi = gsi;
		a.flags = Abi::kIrqfdDeassign;
		xioctl<Abi>(vm_, Abi::kIrqfd, "unbind an eventfd from an interrupt line", "IRQFD",
			    &a);
	}

	std::vector<CpuidEntry> supported_cpuid() override
	{
		// The hypervisor clamps nent to its own maximum (256 today) and
		// says E2BIG if that is still too few.
		using Entry = typename Abi::CpuidEntry;
		for (uint32_t n = 256; n <= 4096; n *= 2) {
			auto buf = array_buffer<Entry>(n);
			if (::ioctl(sys_.get(), Abi::kGetSupportedCpuid, buf.data()) < 0) {
				if (errno == E2BIG)
					continue;
				throw sys_error(std::string("read ") + Abi::kModule + "'s CPUID (" +
							Abi::kIoctlPrefix + "_GET_SUPPORTED_CPUID, " +
							std::to_string(n) + " entries)",
						errno);
			}
			std::vector<CpuidEntry> out;
			uint32_t got = reinterpret_cast<ArrayHeader *>(buf.data())->n;
			const Entry *ents = array_entries<Entry>(buf);
			for (uint32_t i = 0; i < got && i < n; i++) {
				const auto &k = ents[i];
				uint32_t flags = (k.flags & Abi::kCpuidSignificantIndex)
							 ? kCpuidSignificantIndex
							 : 0;
				out.push_back({k.function, k.index, flags, k.eax, k.ebx, k.ecx, k.edx});
			}
			return out;
		}
		throw Error(std::string("cannot read ") + Abi::kModule +
			    "'s CPUID: more than 4096 entries");
	}

private:
	const Fd &sys_;
	Fd vm_;
	size_t run_size_ = 0;
	bool device_memory_ = false;
	std::string irqchip_missing_;
	int max_vcpus_ = 1;
};

template <typename Abi> class AbiBackend final : public Backend {
public:
	explicit AbiBackend(const std::string &path) : sys_(Abi::open(path)) {}
	std::string name() const override { return Abi::kName; }
	std::unique_ptr<Vm> create_vm() override
	{
		int fd = xioctl<Abi>(sys_, Abi::kCreateVm, "create a VM", "CREATE_VM");
		return std::make_unique<AbiVm<Abi>>(sys_, Fd(fd));
	}

private:
	Fd sys_;
};

} // namespace ringvm::kvm_shaped
