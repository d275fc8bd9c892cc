// SPDX-License-Identifier: GPL-2.0
// The CLI's verb groups. Each lives in its own file and adds its subcommands
// to the app; the callback it installs runs the verb and sets the exit status.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "board/machine.h"
#include "vmm/error.h"
#include "vmm/control.h"
#include "vmm/vhost.h"

namespace ringvm::cli {

// Exit status of the verb that ran; set by the verb's callback.
extern int g_status;

// The CLI's own exit statuses (Documentation/cli.rst); a VM's are in
// board/machine.h. All even: the odd ones belong to --debug-exit.
constexpr int kStatusUsage = 2;	 // an unknown verb or option, a bad value
constexpr int kStatusFailed = 4; // could not do what was asked; the message says why

// A mistake in what the user asked for (status 2), as opposed to something
// the host could not do (status 4).
class UsageError : public Error {
public:
	using Error::Error;
};

void register_version(CLI::App &app);	  // version.cpp
void register_passthrough(CLI::App &app); // passthrough.cpp
void register_run(CLI::App &app);	  // run.cpp
void register_stat(CLI::App &app);	  // stat.cpp: ps and stat
void register_control(CLI::App &app);	  // control.cpp: list, info, pause, resume, stop

// A named VM's control socket, served while this lives (control.cpp).
class ControlService {
public:
	virtual ~ControlService() = default;
};
// Throws Error for a bad name or a name in use; @info is what "info" answers.
std::unique_ptr<ControlService> serve_control(const std::string &name, Machine &m,
					      nlohmann::json info);

// run.cpp's argument parsers, exposed for the unit tests.
uint64_t parse_size(const std::string &s); // "256M", "1.5G" -> bytes; throws UsageError
uint16_t parse_port(const std::string &s); // "0xf4" -> 0xf4; throws UsageError
// The name a VM gets without --name: the kernel's file name and the PID.
std::string default_vm_name(const std::string &kernel, int pid);

// Which kernel worker serves the virtio queues, per device type.
struct VhostChoice {
	bool blk_ringvm = false;	   // virtio-blk: ringvm_vhost, or the VMM
	VhostKind net = VhostKind::Off; // virtio-net: ringvm_vhost, vhost-net or the VMM
};
// `--vhost MODE` for a VM with disks (@has_disks) and virtio NICs
// (@has_nets). Linux has no vhost-blk: under `linux` the disks go to
// ringvm_vhost when @ringvm_unavailable() is empty (it says why
// /dev/ringvm-vhost cannot be opened), to the VMM otherwise; `auto` asks
// the same for every queue. @notice hears what was decided and why.
VhostChoice choose_vhost(const std::string &mode, bool has_disks, bool has_nets,
			 const std::function<std::string()> &ringvm_unavailable,
			 const std::function<void(const std::string &)> &notice);

} // namespace ringvm::cli
