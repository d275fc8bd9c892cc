// SPDX-License-Identifier: GPL-2.0
#include "vmm/error.h"

#include <cerrno>
#include <cstring>
#include <iomanip>
#include <sstream>

namespace ringvm {

std::string hex(uint64_t v, int width)
{
	std::ostringstream s;
	s << "0x" << std::hex << std::setw(width) << std::setfill('0') << v;
	return s.str();
}

Error sys_error(const std::string &what, int err)
{
	return Error("cannot " + what + ": " + std::strerror(err));
}

std::string device_open_reason(const std::string &device, const std::string &module_path,
			       int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return "module not loaded (insmod " + module_path + ")";
	case EACCES:
	case EPERM:
		return "permission denied (run as root, or give your user access to " + device +
		       ")";
	default:
		return std::strerror(err);
	}
}

} // namespace ringvm
