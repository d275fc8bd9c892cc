// SPDX-License-Identifier: GPL-2.0
// One virtual machine: guest memory, the PC platform (board/pc.h) on the
// buses, a thread per vCPU running the exit loop, and one event thread
// waiting in a single epoll set on the devices' file descriptors, a timerfd
// armed at the earliest device deadline, a signalfd for SIGTERM and SIGINT,
// and the stop eventfd. run() returns the guest's exit status (see
// Documentation/cli.rst).
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "board/pc.h"
#include "loaders/boot.h"
#include "vmm/backend.h"
#include "vmm/clock.h"
#include "vmm/console.h"
#include "vmm/fd.h"
#include "vmm/guest_memory.h"
#include "vmm/io_bus.h"
#include "vmm/vhost.h" // EventFd

namespace ringvm {

// Which interrupt controller the guest gets (Documentation/cli.rst).
enum class IrqchipMode {
	Auto,	// kernel when the accelerator has one, else user
	Kernel, // the hypervisor's PICs, I/O APIC and local APICs, with ACPI
	User,	// the userspace 8259 pair, no APIC, no ACPI
};

struct MachineConfig {
	uint64_t mem_size = 256ull << 20;
	int cpus = 1;
	IrqchipMode irqchip = IrqchipMode::Auto;
	// One-line remarks for the user (the irqchip fallback); may be empty.
	std::function<void(const std::string &)> notice;
	// Called once the VM and its vCPUs exist, just before the guest starts:
	// nothing after it can fail the run's setup. May be empty.
	std::function<void()> started;
	std::vector<uint8_t> kernel;
	BootConfig boot;
	std::optional<uint16_t> debug_exit_port;
	int console_fd = 1;	    // where the UART's output goes; -1 discards
	int console_input_fd = -1; // read into the UART's receiver when >= 0
	Clock clock = monotonic_ns;
	// Signals that end the VM with a diagnostic (kStatusStopped) instead
	// of killing the process: run() blocks them in its threads and reads
	// them from a signalfd.
	std::vector<int> stop_signals = {SIGTERM, SIGINT, SIGHUP};
};

// Exit statuses that are not the guest's own choice (Documentation/cli.rst).
// All even, so none collides with a --debug-exit status, (V << 1) | 1; 2 and
// 4 are the CLI's usage and setup errors (cli/commands.h).
constexpr int kStatusGuestFailed = 6;	  // triple fault, failed entry, internal error
constexpr int kStatusDeviceReclaimed = 8; // the host took a passed-through device back
constexpr int kStatusStopped = 10;	  // a signal, Ctrl-A x, or a stop without ACPI

class Machine {
public:
	explicit Machine(MachineConfig cfg);
	~Machine();
	Machine(const Machine &) = delete;
	Machine &operator=(const Machine &) = delete;

	// Loads the kernel (and initrd, modules) into guest memory; throws Error
	// for an image that is not bootable or does not fit. Needs no backend,
	// so image errors come before any device is opened.
	void load();
	// Boots and runs until the guest powers off, resets, exits through the
	// debug port or fails. Throws Error only for failures before the guest
	// ran. The backend must outlive the Machine.
	int run(Backend &backend);
	// Why the VM stopped: one line for a clean end, a diagnostic otherwise.
	const std::string &stop_reason() const { return stop_reason_; }
	const std::string &format() const { return format_; }
	// After run() has started: whether the in-kernel irqchip is in use.
	bool kernel_irqchip() const { return kernel_irqchip_; }
	// Where devices send MSIs: the in-kernel irqchip; null without it.
	MsiSink *msi_sink() { return kernel_irqchip_ ? &kernel_msi_ : nullptr; }

	// Extension points for devices built outside the Machine (virtio,
	// passthrough). All before run(); callbacks run under the device lock.
	//
	// Puts @fn at the next free PCI slot, with its BARs placed and its INTx
	// routed to the PICs; returns the slot.
	unsigned add_pci(std::unique_ptr<PciFunction> fn);
	// Calls @cb whenever @fd becomes readable; an eventfd is drained first,
	// any other fd (@eventfd false) is left for @cb to read. Returns the
	// watch's id for set_watching().
	size_t watch_fd(int fd, std::function<void()> cb, bool eventfd = true);
	// Stops or restarts watch @id (under the device lock, from a device
	// whose fd the hypervisor takes over for a while: an irqfd). A
	// restarted eventfd that was signalled meanwhile is reported at once.
	void set_watching(size_t id, bool on);
	// Calls @cb once the hypervisor's VM exists and RAM is mapped into it;
	// an exception thrown there fails run() before the guest starts.
	void on_vm_created(std::function<void(Vm &)> cb);
	// Keeps @dev's deadline: expire() runs from the event thread when it
	// passes, and the device re-arms itself through TimedDevice::rearm().
	void add_timed(TimedDevice &dev);
	// Ends the VM with @status, saying @reason: for devices whose host side
	// goes away (a passed-through function being unbound).
	void stop(int status, std::string reason) { request_stop(status, std::move(reason)); }
	// Presses the ACPI power button, so the guest shuts down as it would on
	// a real PC; false when the guest has no ACPI (user irqchip) or has not
	// started yet.
	bool press_power_button();
	// Holds every vCPU out of the guest until resume(); devices and timers
	// keep running. Callable from any thread, before or during run().
	void pause();
	void resume();
	bool paused() const { return paused_; }
	// Where the console's keys come from, or -1 (the CLI makes it raw).
	int console_input_fd() const { return cfg_.console_input_fd; }
	// A memory slot number no one else uses (RAM takes the first ones).
	uint32_t alloc_mem_slot() { return next_mem_slot_++; }
	// The clock devices keep their deadlines on.
	const Clock &clock() const { return cfg_.clock; }

	// Test visibility.
	IoBus &pio() { return pio_; }
	IoBus &mmio() { return mmio_; }
	PciBus &pci() { return pc_.pci; }
	Pic8259 &pic() { return pc_.pic; }
	GuestMemory &memory() { return mem_; }

private:
	void vcpu_thread(size_t idx);
	bool read_console();
	void feed_console();
	void event_thread();
	void arm_timer();
	void expire_timers();
	void watch(int fd, uint64_t key);
	void handle_io(const VcpuExit &e);
	void handle_mmio(const VcpuExit &e);
	// True while the vCPU should keep running after a HLT.
	bool wait_after_hlt(size_t idx, bool if_flag);
	void request_stop(int status, std::string reason);
	std::string diagnostic(Vcpu &v, const std::string &what);
	void kick(size_t idx);
	void interrupt_raised();
	void choose_irqchip(const Backend &backend);

	MachineConfig cfg_;
	GuestMemory mem_;
	std::unique_ptr<Vm> vm_;
	std::vector<std::unique_ptr<Vcpu>> vcpus_;
	Console console_;

	// Every device access happens under lock_: devices are plain state
	// machines and never lock themselves.
	std::mutex lock_;
	std::condition_variable wake_; // vCPUs halted, waiting for INTR or stop
	IoBus pio_{"port I/O"};
	IoBus mmio_{"MMIO"};
	// The in-kernel irqchip's routing table: its pins, then the MSI routes
	// devices add (GSIs from 24 up), pushed whole on each change. Before the
	// devices (pc_), which unbind their irqfds from it when they go.
	struct KernelMsi final : MsiSink {
		Vm *vm = nullptr;
		std::vector<GsiRoute> routes;
		uint32_t next_gsi = 24;
		// ringvm.ko's RINGVM_MAX_IRQ_ROUTES: GSIs 0..1023 (KVM's 4096 is more).
		static constexpr uint32_t kMaxGsi = 1024;
		bool refusal_logged = false;
		void signal_msi(uint64_t address, uint32_t data) override;
		uint32_t add_msi_route() override { return next_gsi++; }
		void set_msi_route(uint32_t gsi, uint64_t address, uint32_t data) override;
		void bind_irqfd(uint32_t gsi, int fd, bool bind) override;
	} kernel_msi_;
	PcPlatform pc_;
	std::vector<TimedDevice *> timed_;

	std::atomic<bool> stopping_{false};
	std::atomic<bool> paused_{false};
	ConsoleEscape escape_;
	std::atomic<bool> terminated_{false};
	int status_ = 0;
	std::string stop_reason_;
	std::string format_;
	BootState boot_;
	bool loaded_ = false;
	bool kernel_irqchip_ = false;
	std::atomic<bool> acpi_live_{false}; // the guest has ACPI tables and PM
	std::vector<pthread_t> threads_;
	std::vector<std::atomic<bool>> running_;
	EventFd stop_fd_; // the event thread ends when it is signalled
	Fd epoll_, timer_fd_, signal_fd_;
	struct Watch {
		int fd;
		std::function<bool()> cb; // false: stop watching fd
		bool eventfd;
		bool on = true; // set_watching()
	};
	bool watches_registered_ = false;
	bool event_ok(const std::function<void()> &work);
	std::vector<Watch> watches_;
	// Typed bytes the UART's FIFO had no room for yet. The console is not
	// read again (its watch is off) until they are in: a paste reaches the
	// guest whole instead of overrunning the FIFO.
	std::deque<uint8_t> console_backlog_;
	bool console_held_ = false;
	uint64_t console_key_ = 0;
	std::vector<std::function<void(Vm &)>> vm_created_;
	unsigned next_pci_slot_ = 1;
	uint32_t next_mem_slot_ = 8;
};

} // namespace ringvm
