// SPDX-License-Identifier: GPL-2.0
// The /dev/kvm backend: Linux's KVM with a userspace irqchip (no
// KVM_CREATE_IRQCHIP), so interrupts go through KVM_INTERRUPT exactly as on
// ringvm.ko and the two backends run the same devices.
#pragma once

#include "vmm/backend.h"

namespace ringvm {

std::unique_ptr<Backend> open_kvm_backend(const std::string &path = "/dev/kvm");

} // namespace ringvm
