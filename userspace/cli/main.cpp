// SPDX-License-Identifier: GPL-2.0
// ringvm: the command-line front end. Verbs live in cli/*.cpp.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "cli/commands.h"

namespace {

// CLI11 reports a mistyped verb as an unexpected argument; say what it is
// and what the verbs are instead.
bool unknown_verb(CLI::App &app, const std::string &word)
{
	std::string verbs;
	for (const CLI::App *sub : app.get_subcommands({})) {
		if (sub->check_name(word))
			return false;
		verbs += (verbs.empty() ? "" : ", ") + sub->get_name();
	}
	std::cerr << "ringvm: unknown verb '" << word << "'; the verbs are " << verbs
		  << " (ringvm VERB --help for one)\n";
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	using namespace ringvm::cli;
	CLI::App app{"ringvm: VMX/EPT virtual machines, vhost worker and passthrough broker"};
	app.require_subcommand(1);
	register_version(app);
	register_run(app);
	register_passthrough(app);
	register_stat(app);
	register_control(app);

	if (argc > 1 && argv[1][0] != '-' && unknown_verb(app, argv[1]))
		return kStatusUsage;
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		// --help and --version are "errors" with status 0.
		return app.exit(e) == 0 ? 0 : kStatusUsage;
	} catch (const UsageError &e) {
		std::cerr << "ringvm: " << e.what() << "\n";
		return kStatusUsage;
	} catch (const std::exception &e) {
		std::cerr << "ringvm: " << e.what() << "\n";
		return kStatusFailed;
	}
	return g_status;
}
