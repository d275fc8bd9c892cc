// SPDX-License-Identifier: GPL-2.0
// ringvm: the command-line front end.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "vmm/device.h"
#include "vmm/error.h"

namespace {

constexpr const char *kVersion = "0.1.0";

// One line per module: its API version, or why it cannot be reached.
int cmd_version()
{
	std::cout << "ringvm " << kVersion << "\n";
	int status = 0;
	for (const auto *node : {&ringvm::kVmxDevice, &ringvm::kVhostDevice, &ringvm::kVfioDevice}) {
		try {
			auto fd = ringvm::open_device(*node);
			std::cout << node->name << ": API version " << ringvm::api_version(*node, fd)
				  << "\n";
		} catch (const ringvm::Error &e) {
			std::cout << node->name << ": " << e.what() << "\n";
			status = 1;
		}
	}
	return status;
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"ringvm: VMX/EPT virtual machines, vhost worker and passthrough broker"};
	app.require_subcommand(1);
	app.set_version_flag("--version", kVersion);

	auto *version = app.add_subcommand("version", "Show the CLI version and each module's API version");

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	}

	try {
		if (*version)
			return cmd_version();
	} catch (const std::exception &e) {
		std::cerr << "ringvm: " << e.what() << "\n";
		return 1;
	}
	return 0;
}
