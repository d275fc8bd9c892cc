// SPDX-License-Identifier: GPL-2.0
#include "vmm/ringvm_backend.h"

#include "vmm/error.h"

namespace ringvm {

std::unique_ptr<Backend> open_ringvm_backend(const std::string &)
{
	throw Error("cannot use --accel ringvm yet: ringvm.ko does not run vCPUs in this "
		    "build (use --accel kvm)");
}

} // namespace ringvm
