// SPDX-License-Identifier: GPL-2.0
// Reading a kernel, initrd or module: bounded by the guest's memory, so a
// file that cannot fit is an error naming it and both sizes, and a device
// that never ends stops at the bound.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "loaders/boot.h"
#include "vmm/error.h"

using namespace ringvm;

namespace {

std::string message(const std::string &path, uint64_t max)
{
	try {
		read_file(path, "kernel", max);
	} catch (const Error &e) {
		return e.what();
	}
	return "";
}

} // namespace

TEST(ReadFile, ReadsAWholeFileWithinTheBound)
{
	char path[] = "/tmp/ringvm-read-XXXXXX";
	int fd = ::mkstemp(path);
	ASSERT_GE(fd, 0);
	std::string data(3 << 20, 'k'); // three chunks
	data[12345] = 'x';
	ASSERT_EQ(static_cast<ssize_t>(data.size()), ::write(fd, data.data(), data.size()));
	::close(fd);
	auto v = read_file(path, "kernel", data.size());
	EXPECT_EQ(std::string(v.begin(), v.end()), data);
	// One byte less of room: named, with both sizes.
	auto m = message(path, data.size() - 1);
	::unlink(path);
	EXPECT_NE(std::string::npos, m.find(std::string("kernel ") + path)) << m;
	EXPECT_NE(std::string::npos, m.find(std::to_string(data.size()) + " bytes")) << m;
	EXPECT_NE(std::string::npos, m.find(std::to_string(data.size() - 1) + " bytes")) << m;
}

TEST(ReadFile, EndlessDeviceStopsAtTheBound)
{
	auto m = message("/dev/zero", 4 << 20);
	EXPECT_NE(std::string::npos, m.find("kernel /dev/zero")) << m;
	EXPECT_NE(std::string::npos, m.find("more than 4194304 bytes")) << m;
	EXPECT_NE(std::string::npos, m.find("memory of 4194304 bytes")) << m;
}

TEST(ReadFile, MissingFileSaysWhy)
{
	auto m = message("/nonexistent/vmlinuz", 1 << 20);
	EXPECT_NE(std::string::npos, m.find("read the kernel /nonexistent/vmlinuz")) << m;
	EXPECT_NE(std::string::npos, m.find("No such file")) << m;
}
