// SPDX-License-Identifier: GPL-2.0
// The control socket's two ends in the CLI: what `ringvm run --name` serves
// over its machine, and the verbs that talk to it (list, info, pause,
// resume, stop).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "vmm/error.h"
#include "vmm/vm_stats.h"

namespace ringvm::cli {

namespace {

using nlohmann::json;

class MachineTarget : public control::Target {
public:
	MachineTarget(Machine &m, json info) : m_(m), info_(std::move(info)) {}
	json info() override
	{
		json j = info_;
		j["state"] = m_.paused() ? "paused" : "running";
		return j;
	}
	json stats() override
	{
		// The kernel keeps the counters (ringvm.ko's netlink family), per
		// process: this VMM has one VM.
		for (const auto &vm : read_vm_stats()) {
			if (vm.pid != static_cast<uint32_t>(::getpid()))
				continue;
			json exits = json::object();
			for (const auto &[reason, n] : vm.exits)
				exits[exit_reason_name(reason)] = n;
			return {{"vm_id", vm.id},
				{"vcpus", vm.vcpus},
				{"mem_bytes", vm.mem_bytes},
				{"pinned_bytes", vm.pinned_bytes},
				{"total_exits", vm.total_exits()},
				{"userspace_exits", vm.userspace_exits},
				{"exits", exits}};
		}
		throw Error("ringvm.ko reports no VM for pid " + std::to_string(::getpid()) +
			    " (stats need --accel ringvm)");
	}
	void pause() override { m_.pause(); }
	void resume() override { m_.resume(); }
	void stop() override { m_.stop(0, "stopped through the control socket (ringvm stop)"); }

private:
	Machine &m_;
	json info_;
};

// Sends @cmd to VM @name; prints the error and returns 1 when it fails.
int send(const std::string &name, const std::string &cmd, json *reply_out = nullptr)
{
	control::Client c(control::socket_path(name));
	json reply = c.call({{"cmd", cmd}});
	if (!reply.value("ok", false)) {
		std::cerr << "ringvm: " << name << ": " << reply.value("error", "request failed")
			  << "\n";
		return 1;
	}
	if (reply_out)
		*reply_out = reply;
	return 0;
}

int list_vms()
{
	std::cout << std::left << std::setw(20) << "NAME" << std::setw(9) << "PID"
		  << std::setw(10) << "STATE" << "KERNEL\n";
	for (const auto &name : control::list_names()) {
		std::string pid = "-", state = "stale", kernel;
		try {
			control::Client c(control::socket_path(name));
			json r = c.call({{"cmd", "info"}});
			pid = std::to_string(r.value("pid", 0));
			state = r.value("state", "?");
			kernel = r.value("kernel", "");
		} catch (const Error &) {
			// Left by a VMM that died: shown, and replaced by the next run.
		}
		std::cout << std::setw(20) << name << std::setw(9) << pid << std::setw(10) << state
			  << kernel << "\n";
	}
	return 0;
}

// --force: SIGKILL the VMM, found through the socket's peer credentials, for
// one that no longer answers.
int stop_vm(const std::string &name, bool force)
{
	if (!force)
		return send(name, "stop");
	std::string path = control::socket_path(name);
	control::Client c(path);
	int pid = c.peer_pid();
	if (pid <= 0 || ::kill(pid, SIGKILL) < 0)
		throw sys_error("kill the VMM of " + name + " (pid " + std::to_string(pid) + ")",
				errno ? errno : ESRCH);
	::unlink(path.c_str());
	return 0;
}

} // namespace

std::unique_ptr<ControlService> serve_control(const std::string &name, Machine &m,
					      nlohmann::json info)
{
	std::string path = control::socket_path(name);
	info["name"] = name;
	info["pid"] = ::getpid();
	info["socket"] = path;
	// The server is declared last, so it stops before the target goes.
	struct Service : ControlService {
		MachineTarget target;
		control::Server server;
		Service(Machine &m, json i, const std::string &p)
			: target(m, std::move(i)), server(p, target)
		{
		}
	};
	return std::make_unique<Service>(m, std::move(info), path);
}

void register_control(CLI::App &app)
{
	auto *list = app.add_subcommand("list", "List the VMs started with --name, with their state");
	list->callback([] { g_status = list_vms(); });

	auto name = std::make_shared<std::string>();
	auto force = std::make_shared<bool>(false);
	auto *info = app.add_subcommand("info", "Print a named VM's description as JSON");
	info->add_option("name", *name, "the VM's --name")->required();
	info->callback([name] {
		json r;
		g_status = send(*name, "info", &r);
		if (!g_status) {
			r.erase("ok");
			std::cout << r.dump(2) << "\n";
		}
	});
	for (const char *verb : {"pause", "resume"}) {
		auto *cmd = app.add_subcommand(verb, std::string(verb) == "pause"
							     ? "Hold a named VM's vCPUs out of the guest"
							     : "Let a paused VM's vCPUs run again");
		cmd->add_option("name", *name, "the VM's --name")->required();
		cmd->callback([name, verb] { g_status = send(*name, verb); });
	}
	auto *stop = app.add_subcommand("stop", "End a named VM (exit status 0)");
	stop->add_option("name", *name, "the VM's --name")->required();
	stop->add_flag("--force", *force, "SIGKILL the VMM instead of asking it");
	stop->callback([name, force] { g_status = stop_vm(*name, *force); });
}

} // namespace ringvm::cli
