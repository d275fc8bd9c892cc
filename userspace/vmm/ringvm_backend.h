// SPDX-License-Identifier: GPL-2.0
// The ringvm.ko backend (/dev/ringvm): the same KVM-shaped object model with
// ringvm's own ioctl numbers and structures (kmod/include/uapi/linux/ringvm.h).
#pragma once

#include "vmm/backend.h"

namespace ringvm {

std::unique_ptr<Backend> open_ringvm_backend(const std::string &path = "/dev/ringvm");

} // namespace ringvm
