// SPDX-License-Identifier: GPL-2.0
#include "board/machine.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "board/acpi.h"
#include "vmm/cpuid.h"
#include "vmm/error.h"

namespace ringvm {

namespace {

constexpr int kKickSignal = SIGUSR1;

// The run structure's immediate_exit byte of the vCPU this thread runs. A
// kick sets it, so a kick that lands between the loop's checks and the entry
// still makes the entry return at once.
thread_local volatile uint8_t *tl_immediate_exit = nullptr;

// The event thread's epoll keys below kWatchKey; a watched fd's is
// kWatchKey + its index in watches_.
enum : uint64_t { kStopKey, kSignalKey, kTimerKey, kWatchKey };

void on_kick(int)
{
	if (tl_immediate_exit)
		*tl_immediate_exit = 1;
}

void install_kick_handler()
{
	struct sigaction sa{};
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; // no SA_RESTART: the entry must return EINTR
	sigaction(kKickSignal, &sa, nullptr);
}

// A register in a diagnostic: all 16 digits, so columns line up.
std::string reg(uint64_t v)
{
	return hex(v, 16);
}

Fd checked(int fd, const char *what)
{
	if (fd < 0)
		throw sys_error(what, errno);
	return Fd(fd);
}

} // namespace

Machine::Machine(MachineConfig cfg)
	: cfg_(std::move(cfg)), mem_(cfg_.mem_size), console_(cfg_.console_fd),
	  pc_(mem_.low_end(), mem_.size(), cfg_.clock, cfg_.debug_exit_port,
	      PcHooks{[this] { interrupt_raised(); }, [this](uint8_t b) { console_.put(b); },
		      [this] { request_stop(0, "the guest reset the machine"); },
		      [this](int status) {
			      request_stop(status, "the guest wrote to the debug-exit port");
		      },
		      [this] { request_stop(0, "the guest powered off (ACPI S5)"); }}),
	  running_(std::max(cfg_.cpus, 1))
{
	if (cfg_.cpus < 1 || cfg_.cpus > 64)
		throw Error("cannot create " + std::to_string(cfg_.cpus) +
			    " vCPUs: give --cpus between 1 and 64");
	pc_.attach(pio_, mmio_);
	pc_.uart.on_rx_room([this] { feed_console(); });
	for (TimedDevice *t : pc_.timed())
		add_timed(*t);
	epoll_ = checked(::epoll_create1(EPOLL_CLOEXEC), "create the VM's epoll set");
	timer_fd_ = checked(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
			    "create the device timer (timerfd)");
	watch(stop_fd_.get(), kStopKey);
	watch(timer_fd_.get(), kTimerKey);
}

Machine::~Machine() = default;

void Machine::watch(int fd, uint64_t key)
{
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.u64 = key;
	if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
		throw sys_error("watch file descriptor " + std::to_string(fd) + " (epoll)", errno);
}

void Machine::add_timed(TimedDevice &dev)
{
	timed_.push_back(&dev);
	dev.on_rearm([this] { arm_timer(); });
}

void Machine::interrupt_raised()
{
	// Called under lock_ by the PIC when INTR rises.
	wake_.notify_all();
	kick(0);
}

void Machine::kick(size_t idx)
{
	if (idx < threads_.size() && running_[idx] && !pthread_equal(threads_[idx], pthread_self()))
		pthread_kill(threads_[idx], kKickSignal);
}

void Machine::pause()
{
	paused_ = true;
	for (size_t i = 0; i < threads_.size(); i++)
		kick(i);
}

void Machine::resume()
{
	{
		std::lock_guard lk(lock_);
		paused_ = false;
	}
	wake_.notify_all();
}

void Machine::request_stop(int status, std::string reason)
{
	if (stopping_.exchange(true))
		return;
	status_ = status;
	stop_reason_ = std::move(reason);
	wake_.notify_all();
	stop_fd_.signal();
	for (size_t i = 0; i < threads_.size(); i++)
		kick(i);
}

std::string Machine::diagnostic(Vcpu &v, const std::string &what)
{
	std::ostringstream m;
	m << what << " on vCPU " << v.id() << "\n";
	try {
		Regs r = v.get_regs();
		Sregs s = v.get_sregs();
		m << "  rip " << reg(r.rip) << "  rsp " << reg(r.rsp) << "  rflags " << reg(r.rflags)
		  << "\n"
		  << "  rax " << reg(r.rax) << "  rbx " << reg(r.rbx) << "  rcx " << reg(r.rcx) << "\n"
		  << "  rdx " << reg(r.rdx) << "  rsi " << reg(r.rsi) << "  rdi " << reg(r.rdi) << "\n"
		  << "  rbp " << reg(r.rbp) << "  r8  " << reg(r.r8) << "  r9  " << reg(r.r9) << "\n"
		  << "  cr0 " << reg(s.cr0) << "  cr3 " << reg(s.cr3) << "  cr4 " << reg(s.cr4) << "\n"
		  << "  cr2 " << reg(s.cr2) << "  efer " << reg(s.efer) << "  cs " << std::hex
		  << s.cs.selector << " (l=" << int(s.cs.l) << " db=" << int(s.cs.db) << ")\n";
	} catch (const Error &e) {
		m << "  (registers unavailable: " << e.what() << ")\n";
	}
	auto tail = console_.tail();
	m << "last console lines:";
	if (tail.empty())
		m << " (none)";
	for (const auto &l : tail)
		m << "\n  | " << l;
	return m.str();
}

void Machine::handle_io(const VcpuExit &e)
{
	std::lock_guard lk(lock_);
	for (uint32_t i = 0; i < e.count; i++) {
		std::span<uint8_t> d(e.data + static_cast<size_t>(i) * e.size, e.size);
		if (e.io_out)
			pio_.write(e.port, d);
		else
			pio_.read(e.port, d);
	}
}

void Machine::handle_mmio(const VcpuExit &e)
{
	std::lock_guard lk(lock_);
	std::span<uint8_t> d(e.data, std::min<uint32_t>(e.len, 8));
	if (e.mmio_write)
		mmio_.write(e.phys_addr, d);
	else
		mmio_.read(e.phys_addr, d);
}

bool Machine::wait_after_hlt(size_t idx, bool if_flag)
{
	std::unique_lock lk(lock_);
	if (idx == 0 && !if_flag) {
		// Nothing can wake a CPU halted with interrupts off on this platform
		// (no NMI, no INIT): it is how Linux halts or powers off without
		// ACPI, so the VM ends cleanly.
		lk.unlock();
		request_stop(0, "the guest halted with interrupts disabled (power off)");
		return false;
	}
	// Only the boot vCPU receives interrupts (the PICs' INTR pin is wired to
	// it); application processors sleep until the VM ends.
	wake_.wait(lk, [&] { return stopping_.load() || (idx == 0 && pc_.pic.intr()); });
	return !stopping_;
}

void Machine::vcpu_thread(size_t idx)
{
	Vcpu &v = *vcpus_[idx];
	{
		// run() publishes every thread handle under lock_ first.
		std::lock_guard lk(lock_);
	}
	tl_immediate_exit = v.immediate_exit();
	running_[idx] = true;
	bool ready = false;
	try {
		while (!stopping_) {
			if (paused_) {
				std::unique_lock lk(lock_);
				wake_.wait(lk, [&] { return stopping_.load() || !paused_; });
				continue;
			}
			if (tl_immediate_exit)
				*tl_immediate_exit = 0;
			if (idx == 0 && !kernel_irqchip_) {
				std::lock_guard lk(lock_);
				bool pending = pc_.pic.intr();
				if (pending && ready) {
					// Below 32 is an exception vector: only a PIC the guest
					// has not programmed yet would produce one; drop it.
					uint8_t vector = pc_.pic.ack();
					if (vector >= 32)
						v.inject_interrupt(vector);
					pending = pc_.pic.intr();
				}
				// Exit as soon as the guest can take what is still pending.
				v.request_interrupt_window(pending);
			}
			if (stopping_)
				break;
			// pause() kicks after setting the flag: a kick landing after this
			// test makes run() return at once.
			if (paused_)
				continue;
			VcpuExit e = v.run();
			ready = e.ready_for_interrupt;
			switch (e.kind) {
			case VcpuExit::Kind::Io:
				handle_io(e);
				break;
			case VcpuExit::Kind::Mmio:
				handle_mmio(e);
				break;
			case VcpuExit::Kind::Hlt:
				// The in-kernel irqchip halts in the hypervisor; an
				// exit anyway just enters again.
				if (!kernel_irqchip_)
					wait_after_hlt(idx, e.if_flag);
				break;
			case VcpuExit::Kind::Intr:
			case VcpuExit::Kind::IrqWindowOpen:
				break;
			case VcpuExit::Kind::Shutdown:
				request_stop(kStatusGuestFailed,
					     diagnostic(v, "guest triple fault (shutdown)"));
				break;
			case VcpuExit::Kind::FailEntry: {
				std::ostringstream m;
				m << "VM entry failed (hardware reason 0x" << std::hex << e.reason << ")";
				request_stop(kStatusGuestFailed, diagnostic(v, m.str()));
				break;
			}
			case VcpuExit::Kind::InternalError: {
				std::ostringstream m;
				m << "internal error (suberror " << e.reason << ", data";
				for (uint64_t d : e.info)
					m << " 0x" << std::hex << d;
				m << ")";
				request_stop(kStatusGuestFailed, diagnostic(v, m.str()));
				break;
			}
			case VcpuExit::Kind::SystemEvent:
				// 1: shutdown, 2: reset (both KVM and ringvm numbering).
				if (e.reason == 1 || e.reason == 2)
					request_stop(0, "the guest requested a system event");
				else
					request_stop(kStatusGuestFailed,
						     diagnostic(v, "system event " + std::to_string(e.reason)));
				break;
			case VcpuExit::Kind::Unknown:
				request_stop(kStatusGuestFailed,
					     diagnostic(v, "unexpected exit reason " + std::to_string(e.reason)));
				break;
			}
		}
	} catch (const std::exception &ex) {
		request_stop(kStatusGuestFailed, diagnostic(v, ex.what()));
	}
	if (idx == 0 && terminated_)
		stop_reason_ = diagnostic(v, stop_reason_);
	running_[idx] = false;
}

// Under lock_: the timerfd goes off at the earliest deadline of any device.
void Machine::arm_timer()
{
	std::optional<uint64_t> first;
	for (TimedDevice *t : timed_)
		if (auto d = t->next_deadline(); d && (!first || *d < *first))
			first = d;
	itimerspec its{};
	if (first) {
		uint64_t now = cfg_.clock();
		// Relative, on the devices' own clock; a deadline already passed
		// fires at once (a zero value would disarm).
		uint64_t ns = *first > now ? *first - now : 1;
		its.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
		its.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
	}
	if (::timerfd_settime(timer_fd_.get(), 0, &its, nullptr) < 0)
		throw sys_error("arm the device timer (timerfd)", errno);
}

void Machine::expire_timers()
{
	std::lock_guard lk(lock_);
	uint64_t now = cfg_.clock();
	for (TimedDevice *t : timed_)
		if (auto d = t->next_deadline(); d && *d <= now)
			t->expire(now);
	arm_timer();
}

// Console input: false once the console has no more (EOF or an error).
bool Machine::read_console()
{
	if (console_held_)
		return true; // an event from before the watch went off
	uint8_t buf[16];
	ssize_t n = ::read(cfg_.console_input_fd, buf, sizeof(buf));
	if (n <= 0)
		return false;
	std::vector<uint8_t> in;
	for (ssize_t i = 0; i < n; i++) {
		switch (escape_.feed(buf[i], in)) {
		case ConsoleEscape::Action::Quit:
			request_stop(kStatusStopped, "the console escape Ctrl-A x ended the VM");
			return false;
		case ConsoleEscape::Action::Help:
			// To the terminal, not the guest's log: stderr.
			if (::write(STDERR_FILENO, ConsoleEscape::kHelp,
				    std::strlen(ConsoleEscape::kHelp)) < 0) {
			}
			break;
		case ConsoleEscape::Action::None:
			break;
		}
	}
	console_backlog_.insert(console_backlog_.end(), in.begin(), in.end());
	feed_console();
	if (!console_backlog_.empty()) {
		console_held_ = true;
		::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, cfg_.console_input_fd, nullptr);
	}
	return true;
}

// Under lock_, also from the UART when the guest takes a byte: moves held
// bytes into the FIFO and reads the console again once all are in.
void Machine::feed_console()
{
	while (!console_backlog_.empty() && pc_.uart.push_input(console_backlog_.front()))
		console_backlog_.pop_front();
	if (!console_held_ || !console_backlog_.empty())
		return;
	console_held_ = false;
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.u64 = console_key_;
	if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, cfg_.console_input_fd, &ev) < 0)
		request_stop(kStatusGuestFailed, "cannot watch the console input again (epoll): " +
							 std::string(std::strerror(errno)));
}

unsigned Machine::add_pci(std::unique_ptr<PciFunction> fn)
{
	unsigned slot = next_pci_slot_;
	pc_.pci.add(slot, std::move(fn), &pc_.irq);
	next_pci_slot_++;
	return slot;
}

size_t Machine::watch_fd(int fd, std::function<void()> cb, bool eventfd)
{
	watches_.push_back({fd, [cb = std::move(cb)] { cb(); return true; }, eventfd});
	return watches_.size() - 1;
}

void Machine::set_watching(size_t id, bool on)
{
	Watch &w = watches_.at(id);
	if (w.on == on)
		return;
	w.on = on;
	if (!watches_registered_)
		return; // run() registers only the watches that are on
	if (on)
		watch(w.fd, kWatchKey + id);
	else if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, w.fd, nullptr) < 0)
		throw sys_error("stop watching file descriptor " + std::to_string(w.fd) + " (epoll)",
				errno);
}

void Machine::KernelMsi::signal_msi(uint64_t address, uint32_t data)
{
	vm->signal_msi(address, data);
}

void Machine::KernelMsi::set_msi_route(uint32_t gsi, uint64_t address, uint32_t data)
{
	// ringvm.ko would take the route and never deliver it: refused here,
	// so the device keeps the vector with the VMM (virtio) or unbound
	// (passthrough), and the user is told once.
	if (gsi >= kMaxGsi) {
		if (!refusal_logged) {
			refusal_logged = true;
			std::fprintf(stderr,
				     "ringvm: no GSI left for an MSI route (the hypervisor routes GSIs "
				     "below %u): vectors beyond it do not reach the guest through the "
				     "in-kernel irqchip\n",
				     kMaxGsi);
		}
		throw Error("no GSI left for an MSI route (GSI " + std::to_string(gsi) + ", the limit " +
			    std::to_string(kMaxGsi) + ")");
	}
	// The table changes only once the hypervisor took it: a message it
	// refuses (ringvm.ko checks MSI routes) must not stay in, or every
	// later change would be refused too.
	std::vector<GsiRoute> next = routes;
	auto it = std::find_if(next.begin(), next.end(),
			       [gsi](const GsiRoute &r) { return r.msi && r.gsi == gsi; });
	if (it == next.end())
		it = next.insert(next.end(), GsiRoute{gsi, 0, 0, true, 0, 0});
	it->address = address;
	it->data = data;
	vm->set_gsi_routing(next);
	routes = std::move(next);
}

void Machine::KernelMsi::bind_irqfd(uint32_t gsi, int fd, bool bind)
{
	if (bind)
		vm->assign_irqfd(gsi, fd);
	else
		vm->deassign_irqfd(gsi, fd);
}

void Machine::on_vm_created(std::function<void(Vm &)> cb)
{
	vm_created_.push_back(std::move(cb));
}

void Machine::event_thread()
{
	epoll_event evs[16];
	for (;;) {
		int n = ::epoll_wait(epoll_.get(), evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			request_stop(kStatusGuestFailed,
				     "epoll on the devices' event file descriptors failed: " +
					     std::string(std::strerror(errno)));
			return;
		}
		for (int i = 0; i < n; i++) {
			uint64_t key = evs[i].data.u64, count;
			if (key == kStopKey)
				return;
			if (key == kSignalKey) {
				signalfd_siginfo si;
				if (::read(signal_fd_.get(), &si, sizeof(si)) != sizeof(si))
					continue;
				terminated_ = true;
				request_stop(kStatusStopped,
					     std::string("ringvm was told to stop (SIG") +
						     sigabbrev_np(static_cast<int>(si.ssi_signo)) + ")");
				continue;
			}
			if (key == kTimerKey) {
				// The expiry count: how many does not matter, the
				// devices look at the clock.
				if (::read(timer_fd_.get(), &count, sizeof(count)) > 0 &&
				    !event_ok([this] { expire_timers(); }))
					return;
				continue;
			}
			Watch &w = watches_[key - kWatchKey];
			// An eventfd: one read takes every signal since the last.
			if (w.eventfd && ::read(w.fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
				request_stop(kStatusGuestFailed,
					     "cannot read a device event file descriptor: " +
						     std::string(std::strerror(errno)));
				return;
			}
			if (!event_ok([this, &w] {
				    std::lock_guard lk(lock_);
				    if (!w.cb())
					    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, w.fd, nullptr);
			    }))
				return;
		}
	}
}

// Runs a device's event work; an error there (an ioctl the hypervisor
// refused, a device that cannot go on) ends the VM as a vCPU's would,
// instead of escaping the event thread and aborting the process.
bool Machine::event_ok(const std::function<void()> &work)
{
	try {
		work();
		return true;
	} catch (const std::exception &e) {
		request_stop(kStatusGuestFailed, std::string("a device event failed: ") + e.what());
		return false;
	}
}

void Machine::load()
{
	boot_ = load_kernel(mem_, cfg_.kernel, cfg_.boot);
	format_ = boot_.format;
	loaded_ = true;
}

void Machine::choose_irqchip(const Backend &backend)
{
	std::string missing = vm_->irqchip_missing();
	switch (cfg_.irqchip) {
	case IrqchipMode::Kernel:
		if (!missing.empty())
			throw Error("cannot use --irqchip kernel: " + backend.name() + " lacks " +
				    missing);
		kernel_irqchip_ = true;
		break;
	case IrqchipMode::User:
		kernel_irqchip_ = false;
		break;
	case IrqchipMode::Auto:
		kernel_irqchip_ = missing.empty();
		if (!kernel_irqchip_ && cfg_.notice)
			cfg_.notice("no in-kernel irqchip (" + backend.name() + " lacks " + missing +
				    "): using the userspace PICs, without APIC or ACPI");
		break;
	}
	if (!kernel_irqchip_ && cfg_.cpus > 1)
		throw Error("cannot run " + std::to_string(cfg_.cpus) +
			    " vCPUs with the userspace irqchip: without local APICs the guest "
			    "cannot start application processors (use --irqchip kernel" +
			    (missing.empty() ? std::string(")")
					     : ", which needs " + missing + ", missing in " +
						       backend.name() + ")"));
	if (cfg_.cpus > vm_->max_vcpus())
		throw Error("cannot run " + std::to_string(cfg_.cpus) + " vCPUs: " + backend.name() +
			    " allows " + std::to_string(vm_->max_vcpus()) + " per VM");
	if (!kernel_irqchip_)
		return;
	// Before any vCPU: each gets its local APIC when it is created.
	vm_->create_irqchip();
	kernel_msi_.vm = vm_.get();
	kernel_msi_.routes = IrqRouter::kernel_routes();
	pc_.use_kernel_irqchip(*vm_, pio_);
	write_acpi_tables(mem_, cfg_.cpus);
	acpi_live_ = true;
}

bool Machine::press_power_button()
{
	if (!acpi_live_)
		return false;
	std::lock_guard lk(lock_);
	return pc_.acpi_pm.press_power_button();
}

int Machine::run(Backend &backend)
{
	if (!loaded_)
		load();
	vm_ = backend.create_vm();
	choose_irqchip(backend);
	mem_.map_into(*vm_);
	for (auto &cb : vm_created_)
		cb(*vm_);
	auto supported = vm_->supported_cpuid();
	for (int i = 0; i < cfg_.cpus; i++) {
		auto v = vm_->create_vcpu(i);
		v->set_cpuid(guest_cpuid(supported, i, kernel_irqchip_));
		if (i == 0)
			enter(*v, boot_);
		else
			// The guest starts it with INIT and SIPI through its APIC
			// (choose_irqchip() refused APs without the in-kernel one).
			v->set_mp_state_uninitialized();
		vcpus_.push_back(std::move(v));
	}

	// The stop signals reach only the signalfd: blocked here, so in every
	// thread started below, until the VM has ended.
	sigset_t stop_set;
	sigemptyset(&stop_set);
	for (int sig : cfg_.stop_signals)
		sigaddset(&stop_set, sig);
	struct MaskGuard {
		sigset_t old;
		explicit MaskGuard(const sigset_t &set) { pthread_sigmask(SIG_BLOCK, &set, &old); }
		~MaskGuard() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
	} mask(stop_set);
	signal_fd_ = checked(::signalfd(-1, &stop_set, SFD_CLOEXEC | SFD_NONBLOCK),
			     "create the VM's signalfd");
	watch(signal_fd_.get(), kSignalKey);
	if (cfg_.console_input_fd >= 0) {
		console_key_ = kWatchKey + watches_.size();
		watches_.push_back({cfg_.console_input_fd, [this] { return read_console(); }, false});
	}
	for (size_t i = 0; i < watches_.size(); i++)
		if (watches_[i].on)
			watch(watches_[i].fd, kWatchKey + i);
	watches_registered_ = true;

	install_kick_handler();
	if (cfg_.started)
		cfg_.started();
	std::vector<std::thread> threads;
	threads_.resize(vcpus_.size());
	{
		// Thread handles are published before any thread can kick another.
		std::lock_guard lk(lock_);
		arm_timer();
		for (size_t i = 0; i < vcpus_.size(); i++) {
			threads.emplace_back([this, i] { vcpu_thread(i); });
			threads_[i] = threads.back().native_handle();
		}
	}
	std::thread events([this] { event_thread(); });
	for (auto &t : threads)
		t.join();
	stopping_ = true;
	stop_fd_.signal();
	events.join();
	return status_;
}

} // namespace ringvm
