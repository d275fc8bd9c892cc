// SPDX-License-Identifier: GPL-2.0
#include "vmm/machine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "vmm/cpuid.h"
#include "vmm/error.h"

namespace ringvm {

namespace {

constexpr int kKickSignal = SIGUSR1;

// The run structure's immediate_exit byte of the vCPU this thread runs. A
// kick sets it, so a kick that lands between the loop's checks and the entry
// still makes the entry return at once.
thread_local volatile uint8_t *tl_immediate_exit = nullptr;

// Set by terminate_from_signal(); the timer thread turns it into a stop.
volatile sig_atomic_t g_terminate = 0;
// How long the timer thread sleeps at most, so it notices g_terminate.
constexpr auto kTimerPoll = std::chrono::milliseconds(100);

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

std::string hex(uint64_t v)
{
	std::ostringstream s;
	s << "0x" << std::hex << std::setw(16) << std::setfill('0') << v;
	return s.str();
}

} // namespace

Machine::Machine(MachineConfig cfg)
	: cfg_(std::move(cfg)), mem_(cfg_.mem_size),
	  console_(cfg_.console_fd), pic_([this] { interrupt_raised(); }),
	  uart_(IrqLine(&pic_, 4), [this](uint8_t b) { console_.put(b); }),
	  i8042_(IrqLine(&pic_, 1), [this] { request_stop(0, "the guest reset the machine"); }),
	  rtc_(mem_.low_end(), mem_.size() - mem_.low_end()), pit_(IrqLine(&pic_, 0), cfg_.clock),
	  running_(std::max(cfg_.cpus, 1))
{
	if (cfg_.cpus < 1 || cfg_.cpus > 64)
		throw Error("cannot create " + std::to_string(cfg_.cpus) +
			    " vCPUs: give --cpus between 1 and 64");
	pic_.attach(pio_);
	uart_.attach(pio_);
	i8042_.attach(pio_);
	rtc_.attach(pio_);
	pit_.attach(pio_);
	pci_.attach(pio_);
	pci_.attach_mmio(mmio_);
	if (cfg_.debug_exit_port) {
		debug_exit_ = std::make_unique<DebugExit>([this](int status) {
			request_stop(status, "the guest wrote to the debug-exit port");
		});
		debug_exit_->attach(pio_, *cfg_.debug_exit_port);
	}
	if (::pipe2(stop_pipe_, O_CLOEXEC) < 0)
		throw sys_error("create the VM's stop pipe", errno);
}

Machine::~Machine()
{
	for (int fd : stop_pipe_)
		if (fd >= 0)
			::close(fd);
}

void Machine::terminate_from_signal()
{
	g_terminate = 1;
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

void Machine::request_stop(int status, std::string reason)
{
	if (stopping_.exchange(true))
		return;
	status_ = status;
	stop_reason_ = std::move(reason);
	wake_.notify_all();
	timer_.notify_all();
	char b = 0;
	[[maybe_unused]] ssize_t n = ::write(stop_pipe_[1], &b, 1);
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
		m << "  rip " << hex(r.rip) << "  rsp " << hex(r.rsp) << "  rflags " << hex(r.rflags)
		  << "\n"
		  << "  rax " << hex(r.rax) << "  rbx " << hex(r.rbx) << "  rcx " << hex(r.rcx) << "\n"
		  << "  rdx " << hex(r.rdx) << "  rsi " << hex(r.rsi) << "  rdi " << hex(r.rdi) << "\n"
		  << "  rbp " << hex(r.rbp) << "  r8  " << hex(r.r8) << "  r9  " << hex(r.r9) << "\n"
		  << "  cr0 " << hex(s.cr0) << "  cr3 " << hex(s.cr3) << "  cr4 " << hex(s.cr4) << "\n"
		  << "  cr2 " << hex(s.cr2) << "  efer " << hex(s.efer) << "  cs " << std::hex
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
	// The PIT may have been reprogrammed: let the timer thread look again.
	if (e.io_out && ((e.port >= 0x40 && e.port <= 0x43) || e.port == 0x61))
		timer_.notify_one();
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
	wake_.wait(lk, [&] { return stopping_.load() || (idx == 0 && pic_.intr()); });
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
			if (tl_immediate_exit)
				*tl_immediate_exit = 0;
			if (idx == 0) {
				std::lock_guard lk(lock_);
				bool pending = pic_.intr();
				if (pending && ready) {
					// Below 32 is an exception vector: only a PIC the guest
					// has not programmed yet would produce one; drop it.
					uint8_t vector = pic_.ack();
					if (vector >= 32)
						v.inject_interrupt(vector);
					pending = pic_.intr();
				}
				// Exit as soon as the guest can take what is still pending.
				v.request_interrupt_window(pending);
			}
			if (stopping_)
				break;
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

void Machine::timer_thread()
{
	std::unique_lock lk(lock_);
	while (!stopping_) {
		if (g_terminate) {
			terminated_ = true;
			lk.unlock();
			request_stop(kStatusGuestFailed, "ringvm was told to stop (signal)");
			return;
		}
		auto d = pit_.next_deadline();
		uint64_t now = cfg_.clock();
		if (d && *d <= now) {
			pit_.expire(now);
			continue;
		}
		auto wait = d ? std::chrono::nanoseconds(*d - now) : std::chrono::nanoseconds(kTimerPoll);
		timer_.wait_for(lk, std::min<std::chrono::nanoseconds>(wait, kTimerPoll));
	}
}

// Console input: false once the console has no more (EOF or an error).
bool Machine::read_console()
{
	uint8_t buf[16];
	ssize_t n = ::read(cfg_.console_input_fd, buf, sizeof(buf));
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		uart_.push_input(buf[i]); // a full FIFO drops, as a real UART overruns
	return true;
}

unsigned Machine::add_pci(std::unique_ptr<PciFunction> fn)
{
	unsigned slot = next_pci_slot_;
	pci_.add(slot, std::move(fn), &pic_);
	next_pci_slot_++;
	return slot;
}

void Machine::watch_fd(int fd, std::function<void()> cb, bool eventfd)
{
	watches_.push_back({fd, [cb = std::move(cb)] { cb(); return true; }, eventfd});
}

void Machine::on_vm_created(std::function<void(Vm &)> cb)
{
	vm_created_.push_back(std::move(cb));
}

void Machine::event_thread()
{
	std::vector<pollfd> fds;
	for (const auto &w : watches_)
		fds.push_back({w.fd, POLLIN, 0});
	fds.push_back({stop_pipe_[0], POLLIN, 0});
	while (!stopping_) {
		if (::poll(fds.data(), fds.size(), -1) < 0) {
			if (errno == EINTR)
				continue;
			request_stop(kStatusGuestFailed,
				     "poll on the devices' event file descriptors failed: " +
					     std::string(std::strerror(errno)));
			return;
		}
		if (fds.back().revents)
			return;
		for (size_t i = 0; i < watches_.size(); i++) {
			if (!fds[i].revents)
				continue;
			uint64_t count;
			// An eventfd: one read takes every signal since the last.
			if (watches_[i].eventfd &&
			    ::read(fds[i].fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
				request_stop(kStatusGuestFailed,
					     "cannot read a device event file descriptor: " +
						     std::string(std::strerror(errno)));
				return;
			}
			std::lock_guard lk(lock_);
			if (!watches_[i].cb())
				fds[i].fd = -1; // poll skips it from now on
		}
	}
}

void Machine::load()
{
	boot_ = load_kernel(mem_, cfg_.kernel, cfg_.boot);
	format_ = boot_.format;
	loaded_ = true;
}

int Machine::run(Backend &backend)
{
	if (!loaded_)
		load();
	g_terminate = 0;
	vm_ = backend.create_vm();
	mem_.map_into(*vm_);
	for (auto &cb : vm_created_)
		cb(*vm_);
	auto supported = vm_->supported_cpuid();
	for (int i = 0; i < cfg_.cpus; i++) {
		auto v = vm_->create_vcpu(i);
		v->set_cpuid(guest_cpuid(supported, i));
		if (i == 0)
			enter(*v, boot_);
		else
			park_ap(*v, mem_);
		vcpus_.push_back(std::move(v));
	}

	install_kick_handler();
	std::vector<std::thread> threads;
	threads_.resize(vcpus_.size());
	{
		// Thread handles are published before any thread can kick another.
		std::lock_guard lk(lock_);
		for (size_t i = 0; i < vcpus_.size(); i++) {
			threads.emplace_back([this, i] { vcpu_thread(i); });
			threads_[i] = threads.back().native_handle();
		}
	}
	std::thread timer([this] { timer_thread(); });
	// One thread waits on every fd the devices watch, the console's input among them.
	std::thread events;
	if (cfg_.console_input_fd >= 0)
		watches_.push_back({cfg_.console_input_fd, [this] { return read_console(); }, false});
	if (!watches_.empty())
		events = std::thread([this] { event_thread(); });
	for (auto &t : threads)
		t.join();
	{
		std::lock_guard lk(lock_);
		stopping_ = true;
		timer_.notify_all();
	}
	char b = 0;
	[[maybe_unused]] ssize_t n = ::write(stop_pipe_[1], &b, 1);
	timer.join();
	if (events.joinable())
		events.join();
	return status_;
}

} // namespace ringvm
