// SPDX-License-Identifier: GPL-2.0
// `ringvm passthrough bind|unbind|list`: hand PCI devices to ringvm_vfio.
#include "cli/commands.h"

namespace ringvm::cli {

// The verbs arrive with the passthrough broker (issue 5); nothing to add yet.
void register_passthrough(CLI::App &) {}

} // namespace ringvm::cli
