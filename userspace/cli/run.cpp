// SPDX-License-Identifier: GPL-2.0
// `ringvm run`: boot a kernel and exit with the guest's status.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "board/attach.h"
#include "board/machine.h"
#include "cli/commands.h"
#include "net/tap.h"
#include "vmm/error.h"
#include "vmm/fd.h"
#include "vmm/passthrough.h"

namespace ringvm::cli {

namespace {

struct RunOptions {
	std::string kernel, initrd, cmdline = "console=ttyS0", mem = "256M", accel = "ringvm";
	std::string console = "stdio", debug_exit, name;
	std::vector<std::string> modules;
	std::vector<std::string> passthrough; // PCI addresses bound to ringvm-vfio
	std::vector<std::string> disks;
	std::vector<std::string> nets;
	std::string vhost = "on";
	// user until a guest has been seen to boot on the kernel path in make
	// check (Documentation/acpi.rst); auto: kernel where the accelerator has it.
	std::string irqchip = "user";
	int cpus = 1;
};

int run_vm(const RunOptions &o)
{
	MachineConfig cfg;
	cfg.mem_size = parse_size(o.mem);
	cfg.cpus = o.cpus;
	cfg.irqchip = o.irqchip == "kernel" ? IrqchipMode::Kernel
		      : o.irqchip == "user" ? IrqchipMode::User
					    : IrqchipMode::Auto;
	cfg.notice = [](const std::string &m) { std::cerr << "ringvm: " << m << "\n"; };
	// Nothing larger than the guest's memory can be loaded into it.
	cfg.kernel = read_file(o.kernel, "kernel", cfg.mem_size);
	cfg.boot.cmdline = o.cmdline;
	if (!o.initrd.empty()) {
		cfg.boot.initrd = read_file(o.initrd, "initrd", cfg.mem_size);
		cfg.boot.has_initrd = true;
	}
	for (const auto &m : o.modules)
		cfg.boot.modules.push_back({m, read_file(m, "module", cfg.mem_size)});
	if (!o.debug_exit.empty())
		cfg.debug_exit_port = parse_port(o.debug_exit);

	Fd console_file;
	if (o.console == "stdio") {
		cfg.console_fd = STDOUT_FILENO;
		cfg.console_input_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
	} else {
		int fd = ::open(o.console.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			throw sys_error("open the console file " + o.console, errno);
		console_file = Fd(fd);
		cfg.console_fd = fd;
	}

	// Declared first so it outlives the machine's VM.
	std::unique_ptr<Backend> backend;
	// Declared before the machine, so the taps outlive the devices using them.
	std::vector<std::unique_ptr<Tap>> taps;
	std::vector<NetConfig> nets;
	for (const auto &spec : o.nets) {
		nets.push_back(parse_net_option(spec));
		nets.back().vhost = o.vhost == "on";
	}
	Machine m(std::move(cfg));
	for (const auto &bdf : o.passthrough)
		add_passthrough(m, bdf);
	for (const auto &d : o.disks)
		add_disk(m, d, o.vhost == "on");
	for (size_t i = 0; i < nets.size(); i++) {
		// QEMU's locally administered prefix, one address per NIC.
		uint64_t mac = nets[i].mac.value_or(0x525400123456ull + i);
		taps.push_back(std::make_unique<Tap>(nets[i].tap));
		add_net(m, *taps.back(), nets[i], mac);
	}
	m.load();
	// Before the backend: a name in use fails the run before a VM exists.
	std::unique_ptr<ControlService> control;
	if (!o.name.empty())
		control = serve_control(o.name, m,
					{{"kernel", o.kernel},
					 {"cmdline", o.cmdline},
					 {"mem_bytes", parse_size(o.mem)},
					 {"cpus", o.cpus},
					 {"accel", o.accel}});
	backend = open_backend(o.accel == "kvm" ? Accel::Kvm : Accel::Ringvm);
	// SIGTERM / SIGINT end the VM with a diagnostic instead of killing it
	// silently: a hung guest then still says where it was. The machine
	// reads them from a signalfd; blocked here too, so one arriving after
	// the VM has ended does not cut the last message off.
	sigset_t stop_set;
	sigemptyset(&stop_set);
	for (int sig : MachineConfig{}.stop_signals)
		sigaddset(&stop_set, sig);
	pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
	int status = m.run(*backend);
	std::cerr << "ringvm: " << m.stop_reason() << " (exit status " << status << ")\n";
	return status;
}

} // namespace

uint64_t parse_size(const std::string &s)
{
	size_t pos = 0;
	unsigned long long v = 0;
	try {
		v = std::stoull(s, &pos, 10);
	} catch (const std::exception &) {
		throw Error("invalid --mem '" + s + "': give a size such as 256M or 1G");
	}
	std::string unit = s.substr(pos);
	unsigned shift;
	if (unit.empty() || unit == "M" || unit == "m" || unit == "MiB")
		shift = 20;
	else if (unit == "G" || unit == "g" || unit == "GiB")
		shift = 30;
	else if (unit == "K" || unit == "k" || unit == "KiB")
		shift = 10;
	else
		throw Error("invalid --mem '" + s + "': unknown unit '" + unit + "' (use K, M or G)");
	if (v == 0 || v > (1ull << (46 - shift)))
		throw Error("invalid --mem '" + s + "': must be between 1 MiB and 64 TiB");
	uint64_t bytes = static_cast<uint64_t>(v) << shift;
	if (bytes < (16ull << 20))
		throw Error("--mem " + s + " is too small: the guest needs at least 16 MiB");
	return bytes & ~0xfffull;
}

uint16_t parse_port(const std::string &s)
{
	size_t pos = 0;
	unsigned long v = 0;
	try {
		v = std::stoul(s, &pos, 0);
	} catch (const std::exception &) {
		pos = 0;
	}
	if (pos != s.size() || s.empty() || v > 0xffff)
		throw Error("invalid --debug-exit '" + s + "': give an I/O port such as 0xf4");
	return static_cast<uint16_t>(v);
}

void register_run(CLI::App &app)
{
	auto o = std::make_shared<RunOptions>();
	auto *cmd = app.add_subcommand("run", "Boot a kernel in a new VM; exit with the guest's status");
	cmd->add_option("--kernel", o->kernel, "bzImage, multiboot or ELF64 kernel")
		->required()
		->check(CLI::ExistingFile);
	cmd->add_option("--initrd", o->initrd, "initial ramdisk (bzImage only)")
		->check(CLI::ExistingFile);
	cmd->add_option("--cmdline", o->cmdline, "kernel command line")->capture_default_str();
	cmd->add_option("--mem", o->mem, "guest memory: N[K|M|G], plain N is MiB")
		->capture_default_str();
	cmd->add_option("--cpus", o->cpus,
			"number of vCPUs, one thread each (more than 1 needs --irqchip kernel)")
		->capture_default_str()
		->check(CLI::Range(1, 64));
	cmd->add_option("--irqchip", o->irqchip,
			"interrupt controller: kernel (in-kernel PICs, I/O APIC, local APICs, "
			"ACPI), user (userspace PICs) or auto (kernel where the accelerator has it)")
		->capture_default_str()
		->check(CLI::IsMember({"kernel", "user", "auto"}));
	cmd->add_option("--accel", o->accel, "hypervisor: ringvm (/dev/ringvm) or kvm (/dev/kvm)")
		->capture_default_str()
		->check(CLI::IsMember({"ringvm", "kvm"}));
	cmd->add_option("--console", o->console, "where the serial console goes: stdio or a file")
		->capture_default_str();
	cmd->add_option("--name", o->name,
			"serve a control socket under this name (ringvm list, pause, stop)")
		->check([](const std::string &n) {
			try {
				control::check_name(n);
			} catch (const Error &e) {
				return std::string(e.what());
			}
			return std::string();
		});
	cmd->add_option("--debug-exit", o->debug_exit,
			"I/O port: writing V there ends the VM with status (V << 1) | 1");
	cmd->add_option("--module", o->modules, "multiboot module (repeatable)")
		->check(CLI::ExistingFile);
	cmd->add_option("--disk", o->disks, "disk image or block device as virtio-blk (repeatable)")
		->check(CLI::ExistingFile);
	cmd->add_option("--net", o->nets,
			"a NIC on a tap: tap=NAME[,bridge=BR][,host_ip=A.B.C.D/N][,mac=M]"
			"[,model=virtio|e1000] (repeatable)");
	cmd->add_option("--vhost", o->vhost,
			"serve virtio queues (disks, NICs) in ringvm_vhost (on) or in the VMM (off)")
		->capture_default_str()
		->check(CLI::IsMember({"on", "off"}));
	cmd->add_option("--passthrough", o->passthrough,
			"host PCI device bound to ringvm-vfio, e.g. 0000:03:00.0 (repeatable)")
		->check(passthrough::address_error);
	cmd->callback([o] { g_status = run_vm(*o); });
}

} // namespace ringvm::cli
