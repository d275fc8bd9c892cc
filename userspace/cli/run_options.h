// SPDX-License-Identifier: GPL-2.0
// What `ringvm run` is asked to do, from its flags and from `--config FILE`
// (cli/run_config.cpp), before any of it is checked against the host.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ringvm::cli {

struct RunOptions {
	std::string kernel, initrd, cmdline = "console=ttyS0", mem = "256M", accel = "ringvm";
	std::string console = "stdio", debug_exit, name;
	std::vector<std::string> modules;
	std::vector<std::string> passthrough; // PCI addresses bound to ringvm-vfio
	std::vector<std::string> disks;	      // PATH[,ro][,serial=S]
	std::vector<std::string> nets;	      // tap=NAME[,...]
	// auto: ringvm_vhost when it can be opened, the VMM otherwise; linux:
	// virtio-net in /dev/vhost-net (cli/commands.h choose_vhost).
	std::string vhost = "auto";
	// user until a guest has been seen to boot on the kernel path in make
	// check (Documentation/acpi.rst); auto: kernel where the accelerator has it.
	std::string irqchip = "auto";
	int cpus = 1;
	bool rng = false;
	bool detach = false;
};

// Fills the settings of @o that @given(option) says the command line did not
// set from the JSON object in @path. Keys are the long options' names;
// repeatable options take a list. Throws Error naming the file and the key
// for an unknown key, a value of the wrong type, or a file that is not JSON.
void apply_config(const std::string &path, RunOptions &o,
		  const std::function<bool(const std::string &option)> &given);

} // namespace ringvm::cli
