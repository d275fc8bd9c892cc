// SPDX-License-Identifier: GPL-2.0
// Errors that say what failed and why, in words a user can act on.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ringvm {

// "cannot <what>: <why>", where why comes from errno and, when known, a hint.
class Error : public std::runtime_error {
public:
	explicit Error(const std::string &msg) : std::runtime_error(msg) {}
};

// Builds an Error from a failed system call: what = "open /dev/ringvm".
Error sys_error(const std::string &what, int err);

// The reason a ringvm device node could not be opened, with the fix.
// device = "/dev/ringvm", module_path = "kmod/vmx/ringvm.ko".
std::string device_open_reason(const std::string &device, const std::string &module_path,
			       int err);

// "0x1f" for messages; @width pads with zeros to that many hex digits.
std::string hex(uint64_t v, int width = 0);

} // namespace ringvm
