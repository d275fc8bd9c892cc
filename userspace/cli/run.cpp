// SPDX-License-Identifier: GPL-2.0
// `ringvm run`: boot a kernel and exit with the guest's status.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iostream>
#include <optional>

#include "board/attach.h"
#include "board/machine.h"
#include "cli/commands.h"
#include "cli/run_options.h"
#include "cli/terminal.h"
#include "net/tap.h"
#include "vmm/error.h"
#include "vmm/fd.h"
#include "vmm/passthrough.h"
#include "vmm/vhost.h"

namespace ringvm::cli {

namespace {

// Option text that is wrong in itself is the user's mistake (status 2), not
// the host's.
template <typename F> auto usage(F &&f)
{
	try {
		return f();
	} catch (const UsageError &) {
		throw;
	} catch (const Error &e) {
		throw UsageError(e.what());
	}
}

// --detach: the VM goes on in a child of its own session. The parent waits
// until the guest starts and exits 0, saying how to reach the VM, or with the
// child's status when setup fails first (the child's message is on the same
// terminal by then).
class Detach {
public:
	// Returns in the child; in the parent, returns the status to exit with.
	std::optional<int> fork_or_wait()
	{
		int fds[2];
		if (::pipe2(fds, O_CLOEXEC) < 0)
			throw sys_error("create the pipe for --detach", errno);
		Fd rd(fds[0]), wr(fds[1]);
		pid_t pid = ::fork();
		if (pid < 0)
			throw sys_error("fork for --detach", errno);
		if (pid == 0) {
			::setsid();
			ready_ = std::move(wr);
			return std::nullopt;
		}
		wr = Fd();
		std::string msg;
		char buf[256];
		ssize_t n;
		while ((n = ::read(rd.get(), buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				msg.append(buf, static_cast<size_t>(n));
		if (!msg.empty()) {
			std::cout << msg;
			return 0;
		}
		int st = 0;
		while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		}
		return WIFEXITED(st) ? WEXITSTATUS(st) : kStatusFailed;
	}
	// In the child, once the guest runs: tell the parent, leave the terminal.
	void ready(const std::string &msg, int log_fd)
	{
		if (!ready_)
			return;
		Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
		::dup2(null.get(), STDIN_FILENO);
		::dup2(null.get(), STDOUT_FILENO);
		// The VM's last words go after its console output.
		::dup2(log_fd, STDERR_FILENO);
		if (::write(ready_.get(), msg.data(), msg.size()) < 0) {
		}
		ready_ = Fd();
	}

private:
	Fd ready_;
};

// What `info` lists as the VM's devices.
nlohmann::json device_list(const RunOptions &o, const std::vector<NetConfig> &nets,
			   const VhostChoice &vhost)
{
	auto list = nlohmann::json::array();
	for (const auto &d : o.disks)
		list.push_back({{"type", "virtio-blk"}, {"disk", d}, {"vhost", vhost.blk_ringvm}});
	for (size_t i = 0; i < nets.size(); i++) {
		bool e1000 = nets[i].model == NicModel::E1000;
		VhostKind k = e1000 ? VhostKind::Off : vhost.net;
		list.push_back({{"type", e1000 ? "e1000" : "virtio-net"},
				{"net", o.nets[i]},
				{"vhost", k != VhostKind::Off},
				{"vhost_worker", k == VhostKind::Linux	  ? "vhost-net"
						 : k == VhostKind::Ringvm ? "ringvm_vhost"
									  : "none"}});
	}
	for (const auto &p : o.passthrough)
		list.push_back({{"type", "passthrough"}, {"address", p}});
	if (o.rng)
		list.push_back({{"type", "virtio-rng"}});
	return list;
}

int run_vm(const RunOptions &o)
{
	auto notice = [](const std::string &m) { std::cerr << "ringvm: " << m << "\n"; };
	// 1. Every option, before any file is read.
	if (o.kernel.empty())
		throw UsageError("no kernel: give --kernel FILE (or \"kernel\" in --config)");
	MachineConfig cfg;
	const uint64_t mem_bytes = parse_size(o.mem);
	cfg.mem_size = mem_bytes;
	cfg.cpus = o.cpus;
	cfg.irqchip = o.irqchip == "kernel" ? IrqchipMode::Kernel
		      : o.irqchip == "user" ? IrqchipMode::User
					    : IrqchipMode::Auto;
	cfg.notice = notice;
	if (!o.debug_exit.empty())
		cfg.debug_exit_port = parse_port(o.debug_exit);
	std::vector<NetConfig> nets;
	std::vector<DiskOptions> disk_opts;
	usage([&] {
		if (o.cpus < 1 || o.cpus > 64)
			throw Error("invalid --cpus " + std::to_string(o.cpus) + ": give 1 to 64");
		for (const auto &spec : o.nets)
			nets.push_back(parse_net_option(spec));
		for (const auto &spec : o.disks)
			disk_opts.push_back(parse_disk_option(spec));
		if (!o.name.empty())
			control::check_name(o.name);
		if (o.detach && o.console == "stdio")
			throw Error("--detach needs --console FILE: a detached VM has no terminal");
		return 0;
	});

	// 2. Every image (kernel, initrd, modules, disks), before any device,
	// the hypervisor or the host's network is touched. Nothing larger than
	// the guest's memory is read.
	cfg.kernel = read_file(o.kernel, "kernel", cfg.mem_size);
	cfg.boot.cmdline = o.cmdline;
	if (!o.initrd.empty()) {
		cfg.boot.initrd = read_file(o.initrd, "initrd", cfg.mem_size);
		cfg.boot.has_initrd = true;
	}
	for (const auto &m : o.modules)
		cfg.boot.modules.push_back({m, read_file(m, "module", cfg.mem_size)});
	std::vector<DiskImage> disks;
	for (const auto &d : disk_opts)
		disks.push_back(open_disk_image(d));

	// 3. Before any thread exists (the machine's, the control socket's).
	Detach detach;
	if (o.detach)
		if (auto status = detach.fork_or_wait())
			return *status;

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
	const std::string name =
		o.name.empty() ? default_vm_name(o.kernel, static_cast<int>(::getpid())) : o.name;
	cfg.started = [&detach, &o, &name, &console_file] {
		detach.ready("ringvm: VM " + name + " running as pid " +
				     std::to_string(::getpid()) + ", console in " + o.console +
				     " (ringvm stop " + name + ")\n",
			     console_file.get());
	};

	// Declared first so it outlives the machine's VM.
	std::unique_ptr<Backend> backend;
	// Declared before the machine, so the taps outlive the devices using them.
	std::vector<std::unique_ptr<Tap>> taps;
	Machine m(std::move(cfg));
	m.load();
	bool has_virtio_nets = false;
	for (const auto &n : nets)
		has_virtio_nets |= n.model == NicModel::Virtio;
	VhostChoice vhost =
		choose_vhost(o.vhost, !disks.empty(), has_virtio_nets, vhost_unavailable_reason, notice);
	for (const auto &bdf : o.passthrough)
		add_passthrough(m, bdf);
	for (auto &d : disks)
		add_disk(m, std::move(d), vhost.blk_ringvm);
	for (size_t i = 0; i < nets.size(); i++) {
		// QEMU's locally administered prefix, one address per NIC.
		uint64_t mac = nets[i].mac.value_or(0x525400123456ull + i);
		nets[i].vhost = vhost.net;
		// vhost-net moves whole frames with their virtio-net header.
		bool vnet_hdr = nets[i].model == NicModel::Virtio && vhost.net == VhostKind::Linux;
		taps.push_back(std::make_unique<Tap>(nets[i].tap, vnet_hdr));
		add_net(m, *taps.back(), nets[i], mac);
	}
	if (o.rng)
		add_rng(m);
	// Before the backend: a name in use fails the run before a VM exists.
	std::unique_ptr<ControlService> control;
	nlohmann::json info = {{"kernel", o.kernel},	   {"cmdline", o.cmdline},
			       {"mem_bytes", mem_bytes}, {"cpus", o.cpus},
			       {"accel", o.accel},		   {"devices", device_list(o, nets, vhost)}};
	try {
		control = serve_control(name, m, std::move(info));
	} catch (const Error &e) {
		// A name the user chose must work; a made-up one is a convenience.
		if (!o.name.empty())
			throw;
		notice("no control socket (" + std::string(e.what()) + ")");
	}
	backend = open_backend(o.accel == "kvm" ? Accel::Kvm : Accel::Ringvm);
	// SIGTERM / SIGINT / SIGHUP end the VM with a diagnostic instead of
	// killing it silently: a hung guest then still says where it was. The
	// machine reads them from a signalfd; blocked here too, so one arriving
	// after the VM has ended does not cut the last message off.
	sigset_t stop_set;
	sigemptyset(&stop_set);
	for (int sig : MachineConfig{}.stop_signals)
		sigaddset(&stop_set, sig);
	pthread_sigmask(SIG_BLOCK, &stop_set, nullptr);
	int status;
	{
		// Raw only while the guest owns the terminal: every key is the
		// guest's, and Ctrl-A x (the machine's escape) ends the VM.
		RawTerminal raw(m.console_input_fd());
		status = m.run(*backend);
	}
	std::cerr << "ringvm: " << m.stop_reason() << " (exit status " << status << ")\n";
	return status;
}

} // namespace

VhostChoice choose_vhost(const std::string &mode, bool has_disks, bool has_nets,
			 const std::function<std::string()> &ringvm_unavailable,
			 const std::function<void(const std::string &)> &notice)
{
	if (mode == "on" || mode == "ringvm")
		return {true, VhostKind::Ringvm};
	if (mode == "off" || (!has_disks && !has_nets))
		return {};
	if (mode == "linux") {
		VhostChoice c{false, VhostKind::Linux};
		if (!has_disks)
			return c;
		std::string why = ringvm_unavailable();
		c.blk_ringvm = why.empty();
		notice(why.empty() ? "virtio-blk queues served by ringvm_vhost (--vhost linux: Linux "
				     "has no vhost-blk)"
				   : "virtio-blk queues served by the VMM (--vhost linux: Linux has "
				     "no vhost-blk, and " + why + ")");
		return c;
	}
	std::string why = ringvm_unavailable();
	notice(why.empty() ? "virtio queues served in the kernel by ringvm_vhost (--vhost auto)"
			   : "virtio queues served by the VMM (--vhost auto): " + why);
	if (!why.empty())
		return {};
	return {true, VhostKind::Ringvm};
}

std::string default_vm_name(const std::string &kernel, int pid)
{
	auto slash = kernel.find_last_of('/');
	std::string base = slash == std::string::npos ? kernel : kernel.substr(slash + 1);
	for (char &c : base)
		if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
			c = '_';
	std::string suffix = "-" + std::to_string(pid);
	base.resize(std::min(base.size(), 64 - suffix.size()));
	while (!base.empty() && base[0] == '.')
		base.erase(0, 1);
	return (base.empty() ? "vm" : base) + suffix;
}

uint64_t parse_size(const std::string &s)
{
	// One rule for every size: N or N.F with an optional K, M, G or T
	// (KiB units; plain N is MiB), between 16 MiB and 64 TiB.
	const std::string rule = "give a size from 16M to 64T, such as 256M or 1.5G";
	size_t pos = 0;
	while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.'))
		pos++;
	std::string num = s.substr(0, pos), unit = s.substr(pos);
	if (num.empty() || num.front() == '.' || num.back() == '.' ||
	    std::count(num.begin(), num.end(), '.') > 1 || num.size() > 20)
		throw UsageError("invalid --mem '" + s + "': " + rule);
	unsigned shift;
	if (unit.empty() || unit == "M" || unit == "m" || unit == "MiB")
		shift = 20;
	else if (unit == "G" || unit == "g" || unit == "GiB")
		shift = 30;
	else if (unit == "K" || unit == "k" || unit == "KiB")
		shift = 10;
	else if (unit == "T" || unit == "t" || unit == "TiB")
		shift = 40;
	else
		throw UsageError("invalid --mem '" + s + "': unknown unit '" + unit +
				 "' (K, M, G or T)");
	long double v = std::stold(num) * static_cast<long double>(1ull << shift);
	if (v < static_cast<long double>(16ull << 20) || v > static_cast<long double>(1ull << 46))
		throw UsageError("invalid --mem '" + s + "': " + rule);
	// Whole pages: the guest's memory is mapped in 4 KiB pages.
	return static_cast<uint64_t>(v) & ~0xfffull;
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
		throw UsageError("invalid --debug-exit '" + s + "': give an I/O port such as 0xf4");
	return static_cast<uint16_t>(v);
}

void register_run(CLI::App &app)
{
	auto o = std::make_shared<RunOptions>();
	auto config = std::make_shared<std::string>();
	auto *cmd = app.add_subcommand("run", "Boot a kernel in a new VM; exit with the guest's status");
	cmd->add_option("--config", *config,
			"JSON file of settings (keys: the long options' names); flags override it")
		->check(CLI::ExistingFile);
	cmd->add_option("--kernel", o->kernel, "bzImage, multiboot or ELF64 kernel")
		->check(CLI::ExistingFile);
	cmd->add_option("--initrd", o->initrd, "initial ramdisk (bzImage only)")
		->check(CLI::ExistingFile);
	cmd->add_option("--cmdline", o->cmdline, "kernel command line")->capture_default_str();
	cmd->add_option("--mem", o->mem, "guest memory: N[.F][K|M|G|T], plain N is MiB; 16M to 64T")
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
			"the VM's name for ringvm list, info, pause, resume and stop "
			"(default: the kernel's file name and ringvm's PID)");
	cmd->add_option("--debug-exit", o->debug_exit,
			"I/O port: writing V there ends the VM with status (V << 1) | 1");
	cmd->add_option("--module", o->modules, "multiboot module (repeatable)")
		->check(CLI::ExistingFile);
	cmd->add_option("--disk", o->disks,
			"virtio-blk disk: PATH[,ro][,serial=S], an image or block device (repeatable)");
	cmd->add_option("--net", o->nets,
			"a NIC on a tap: tap=NAME[,bridge=BR][,host_ip=A.B.C.D/N][,mac=M]"
			"[,model=virtio|e1000] (repeatable)");
	cmd->add_option("--vhost", o->vhost,
			"serve virtio queues in ringvm_vhost (ringvm, or on), in the VMM (off), "
			"in ringvm_vhost when it can be opened (auto), or virtio-net's in "
			"Linux's /dev/vhost-net (linux; Linux has no vhost-blk: disks then go "
			"to ringvm_vhost when it can be opened, to the VMM otherwise)")
		->capture_default_str()
		->check(CLI::IsMember({"auto", "on", "off", "ringvm", "linux"}));
	cmd->add_flag("--rng", o->rng, "a virtio-rng device fed from the host's getrandom()");
	cmd->add_flag("--detach", o->detach,
		      "run in the background once the guest starts (needs --console FILE)");
	cmd->add_option("--passthrough", o->passthrough,
			"host PCI device bound to ringvm-vfio, e.g. 0000:03:00.0 (repeatable)")
		->check(passthrough::address_error);
	cmd->callback([o, config, cmd] {
		if (!config->empty())
			usage([&] {
				apply_config(*config, *o, [cmd](const std::string &opt) {
					return cmd->count("--" + opt) > 0;
				});
				return 0;
			});
		// What the file set gets the checks the flags get.
		usage([&] {
			auto member = [](const char *what, const std::string &v,
					 std::initializer_list<const char *> allowed) {
				for (const char *a : allowed)
					if (v == a)
						return;
				throw Error(std::string("invalid ") + what + " '" + v + "'");
			};
			member("irqchip", o->irqchip, {"kernel", "user", "auto"});
			member("accel", o->accel, {"ringvm", "kvm"});
			member("vhost", o->vhost, {"auto", "on", "off", "ringvm", "linux"});
			for (const auto &p : o->passthrough)
				if (auto why = passthrough::address_error(p); !why.empty())
					throw Error(why);
			return 0;
		});
		g_status = run_vm(*o);
	});
}

} // namespace ringvm::cli
