// SPDX-License-Identifier: GPL-2.0
// ringvm: the command-line front end. Verbs live in cli/*.cpp.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char **argv)
{
	CLI::App app{"ringvm: VMX/EPT virtual machines, vhost worker and passthrough broker"};
	app.require_subcommand(1);
	ringvm::cli::register_version(app);
	ringvm::cli::register_run(app);
	ringvm::cli::register_passthrough(app);
	ringvm::cli::register_stat(app);
	ringvm::cli::register_control(app);

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	} catch (const std::exception &e) {
		std::cerr << "ringvm: " << e.what() << "\n";
		return 1;
	}
	return ringvm::cli::g_status;
}
