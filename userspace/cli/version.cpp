// SPDX-License-Identifier: GPL-2.0
// `ringvm version`: the CLI's version and each module's API version.
#include <iostream>

#include "cli/commands.h"
#include "vmm/device.h"
#include "vmm/error.h"

namespace ringvm::cli {

namespace {

constexpr const char *kVersion = "0.1.0";

// One line per module: its API version, or why it cannot be reached.
int run_version()
{
	std::cout << "ringvm " << kVersion << "\n";
	int status = 0;
	for (const auto *node : {&kVmxDevice, &kVhostDevice, &kVfioDevice}) {
		try {
			auto fd = open_device(*node);
			std::cout << node->name << ": API version " << api_version(*node, fd) << "\n";
		} catch (const Error &e) {
			std::cout << node->name << ": " << e.what() << "\n";
			status = kStatusFailed;
		}
	}
	return status;
}

} // namespace

void register_version(CLI::App &app)
{
	app.set_version_flag("--version", kVersion);
	auto *cmd = app.add_subcommand("version", "Show the CLI version and each module's API version");
	cmd->callback([] { g_status = run_version(); });
}

} // namespace ringvm::cli
