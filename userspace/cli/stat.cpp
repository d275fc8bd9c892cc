// SPDX-License-Identifier: GPL-2.0
// `ringvm ps` and `ringvm stat`: VMs and their exits by reason, live, from
// ringvm.ko's generic netlink family (no tracing needed, unlike perf kvm stat).
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "vmm/error.h"
#include "vmm/vm_stats.h"

namespace ringvm::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_interrupt(int)
{
	g_stop = 1;
}

std::vector<VmStats> select(std::vector<VmStats> vms, std::optional<uint32_t> pid)
{
	if (!pid)
		return vms;
	std::vector<VmStats> out;
	for (auto &vm : vms)
		if (vm.pid == *pid)
			out.push_back(std::move(vm));
	if (out.empty())
		throw Error("no ringvm VM belongs to pid " + std::to_string(*pid));
	return out;
}

int run_stat(std::optional<uint32_t> pid, bool watch, bool json, double interval)
{
	auto vms = select(read_vm_stats(), pid);
	if (!watch) {
		if (json) {
			std::cout << render_json(vms);
		} else {
			for (const auto &vm : vms)
				std::cout << render_stat(vm, nullptr, 0) << "\n";
			if (vms.empty())
				std::cout << "no VMs\n";
		}
		return 0;
	}
	std::signal(SIGINT, on_interrupt);
	std::signal(SIGTERM, on_interrupt);
	while (!g_stop) {
		std::this_thread::sleep_for(std::chrono::duration<double>(interval));
		auto now = select(read_vm_stats(), pid);
		if (!json && isatty(STDOUT_FILENO))
			std::cout << "\033[H\033[2J";
		if (json) {
			std::cout << render_json(now);
		} else {
			for (const auto &vm : now) {
				const VmStats *prev = nullptr;
				for (const auto &p : vms)
					if (p.id == vm.id)
						prev = &p;
				std::cout << render_stat(vm, prev, interval) << "\n";
			}
		}
		std::cout.flush();
		vms = std::move(now);
	}
	return 0;
}

} // namespace

void register_stat(CLI::App &app)
{
	auto *ps = app.add_subcommand("ps", "List the VMs running on ringvm.ko");
	ps->callback([] { g_status = (std::cout << render_ps(read_vm_stats()), 0); });

	auto *stat = app.add_subcommand("stat", "Show VM exits by reason (like perf kvm stat, live)");
	auto pid = std::make_shared<uint32_t>(0);
	auto watch = std::make_shared<bool>(false);
	auto json = std::make_shared<bool>(false);
	auto interval = std::make_shared<double>(1.0);
	auto *pid_opt = stat->add_option("pid", *pid, "Only the VM of this VMM process");
	stat->add_flag("--watch,-w", *watch, "Refresh until interrupted, with rates");
	stat->add_flag("--json", *json, "Machine-readable output");
	stat->add_option("--interval", *interval,
			 "Seconds between refreshes with --watch, from 0.1 to 3600")
		->check(CLI::Validator(
			[](std::string &v) -> std::string {
				double d = 0;
				try {
					d = std::stod(v);
				} catch (const std::exception &) {
					d = -1;
				}
				return d >= 0.1 && d <= 3600
					       ? ""
					       : "give seconds from 0.1 to 3600, such as 0.5 or 2 (not " +
							 v + ")";
			},
			"SECONDS"));
	stat->callback([=] {
		std::optional<uint32_t> p;
		if (pid_opt->count())
			p = *pid;
		g_status = run_stat(p, *watch, *json, *interval);
	});
}

} // namespace ringvm::cli
