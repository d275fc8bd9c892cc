// SPDX-License-Identifier: GPL-2.0
#include "cli/commands.h"

namespace ringvm::cli {

int g_status = 0;

} // namespace ringvm::cli
