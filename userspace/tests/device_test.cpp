// SPDX-License-Identifier: GPL-2.0
#include "vmm/device.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "vmm/error.h"

namespace {

std::string open_error(const std::string &path)
{
	try {
		ringvm::open_device(ringvm::kVmxDevice, path);
	} catch (const ringvm::Error &e) {
		return e.what();
	}
	return "no error";
}

TEST(Device, MissingNodeNamesTheModuleToLoad)
{
	EXPECT_EQ("cannot open /nonexistent/ringvm: module not loaded (insmod kmod/vmx/ringvm.ko)",
		  open_error("/nonexistent/ringvm"));
}

TEST(Device, PermissionDeniedSaysSo)
{
	EXPECT_EQ("permission denied (run as root, or give your user access to /dev/ringvm)",
		  ringvm::device_open_reason("/dev/ringvm", "kmod/vmx/ringvm.ko", EACCES));
}

TEST(Device, OtherErrorsUseStrerror)
{
	EXPECT_EQ("Too many open files",
		  ringvm::device_open_reason("/dev/ringvm", "kmod/vmx/ringvm.ko", EMFILE));
}

TEST(Device, ApiVersionOnANonRingvmFdFails)
{
	auto fd = ringvm::open_device(ringvm::kVmxDevice, "/dev/null");
	EXPECT_THROW(ringvm::api_version(ringvm::kVmxDevice, fd), ringvm::Error);
}

} // namespace
