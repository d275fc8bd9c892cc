// SPDX-License-Identifier: GPL-2.0
// The control socket's two ends in the CLI: what `ringvm run --name` serves
// over its machine, and the verbs that talk to it (list, info, pause,
// resume, stop).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
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
		j["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() -
							     started_)
					.count();
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
	// As a host's power button: an ACPI guest shuts down cleanly and powers
	// off (status 0). One that cannot hear it (no ACPI tables with the
	// userspace irqchip, or a guest that never enabled the power-button
	// event) cannot be asked, and ends at once, as libvirt's shutdown
	// escalates to destroy, but without the wait.
	void stop() override
	{
		if (!m_.press_power_button())
			m_.stop(kStatusStopped,
				"stopped through the control socket (ringvm stop; the guest "
				"does not listen to an ACPI power button)");
	}

private:
	Machine &m_;
	json info_;
	std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// Sends @cmd to VM @name; prints the error and returns kStatusFailed when it
// fails.
int send(const std::string &name, const std::string &cmd, json *reply_out = nullptr)
{
	control::Client c(control::socket_path(name));
	json reply = c.call({{"cmd", cmd}});
	if (!reply.value("ok", false)) {
		std::cerr << "ringvm: " << name << ": " << reply.value("error", "request failed")
			  << "\n";
		return kStatusFailed;
	}
	if (reply_out)
		*reply_out = reply;
	return 0;
}

int list_vms(bool as_json)
{
	json all = json::array();
	for (const auto &name : control::list_names()) {
		json r = {{"name", name}, {"state", "stale"}};
		try {
			control::Client c(control::socket_path(name));
			r = c.call({{"cmd", "info"}});
			r.erase("ok");
		} catch (const Error &) {
			// Left by a VMM that died: shown, and replaced by the next run.
		}
		all.push_back(r);
	}
	if (as_json) {
		std::cout << all.dump(2) << "\n";
		return 0;
	}
	std::cout << std::left << std::setw(20) << "NAME" << std::setw(9) << "PID"
		  << std::setw(10) << "STATE" << std::setw(6) << "CPUS" << std::setw(8) << "MEM"
		  << std::setw(8) << "ACCEL" << "KERNEL\n";
	for (const auto &r : all) {
		auto pid = r.contains("pid") ? std::to_string(r.value("pid", 0)) : "-";
		auto cpus = r.contains("cpus") ? std::to_string(r.value("cpus", 0)) : "-";
		auto mem = r.contains("mem_bytes")
				   ? std::to_string(r.value("mem_bytes", uint64_t{0}) >> 20) + "M"
				   : "-";
		std::cout << std::setw(20) << r.value("name", "?") << std::setw(9) << pid
			  << std::setw(10) << r.value("state", "?") << std::setw(6) << cpus
			  << std::setw(8) << mem << std::setw(8) << r.value("accel", "-")
			  << r.value("kernel", "") << "\n";
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
	info["protocol"] = 1;
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
	auto *list = app.add_subcommand("list", "List this user's VMs (both accelerators), with "
						 "their state");
	list->alias("ls");
	auto as_json = std::make_shared<bool>(false);
	list->add_flag("--json", *as_json, "Each VM's info as a JSON array");
	list->callback([as_json] { g_status = list_vms(*as_json); });

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
	auto *stop = app.add_subcommand(
		"stop", "Press a VM's ACPI power button (it ends at once without ACPI)");
	stop->add_option("name", *name, "the VM's --name")->required();
	stop->add_flag("--force", *force, "SIGKILL the VMM instead of asking it");
	stop->callback([name, force] { g_status = stop_vm(*name, *force); });
}

} // namespace ringvm::cli
