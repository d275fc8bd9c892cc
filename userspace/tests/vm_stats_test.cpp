// SPDX-License-Identifier: GPL-2.0
#include "vmm/vm_stats.h"

#include <gtest/gtest.h>

namespace {

ringvm::VmStats sample()
{
	ringvm::VmStats vm;
	vm.id = 3;
	vm.pid = 1234;
	vm.vcpus = 2;
	vm.mem_bytes = 256ull << 20;
	vm.userspace_exits = 40;
	vm.exits = {{10, 75}, {30, 20}, {48, 5}};
	return vm;
}

TEST(VmStats, ReasonNames)
{
	EXPECT_EQ("CPUID", ringvm::exit_reason_name(10));
	EXPECT_EQ("EPT_VIOLATION", ringvm::exit_reason_name(48));
	EXPECT_EQ("REASON_99", ringvm::exit_reason_name(99));
}

TEST(VmStats, StatShowsCountsAndShares)
{
	std::string s = ringvm::render_stat(sample(), nullptr, 0);
	EXPECT_NE(std::string::npos, s.find("VM 3 (pid 1234, 2 vCPUs, 256 MiB"));
	EXPECT_NE(std::string::npos, s.find("CPUID"));
	EXPECT_NE(std::string::npos, s.find("75.00%"));
	EXPECT_NE(std::string::npos, s.find("IO_INSTRUCTION"));
	EXPECT_NE(std::string::npos, s.find("total                           100"));
}

TEST(VmStats, StatShowsDeviceMemoryOnlyWhenMapped)
{
	auto vm = sample();
	EXPECT_EQ(std::string::npos, ringvm::render_stat(vm, nullptr, 0).find("device memory"));
	vm.device_bytes = 2 << 12;
	EXPECT_NE(std::string::npos,
		  ringvm::render_stat(vm, nullptr, 0).find("0 MiB pinned, 8 KiB device memory)"));
}

TEST(VmStats, WatchShowsRates)
{
	auto before = sample();
	auto after = sample();
	after.exits[10] = 175;
	std::string s = ringvm::render_stat(after, &before, 2.0);
	EXPECT_NE(std::string::npos, s.find("per second"));
	EXPECT_NE(std::string::npos, s.find("50\n")); // (175 - 75) / 2 s
}

TEST(VmStats, PsListsEveryVm)
{
	auto a = sample();
	auto b = sample();
	b.id = 4;
	b.pid = 99;
	std::string s = ringvm::render_ps({a, b});
	EXPECT_NE(std::string::npos, s.find("     3     1234      2    256 MiB          100"));
	EXPECT_NE(std::string::npos, s.find("     4       99"));
}

TEST(VmStats, JsonIsOneArray)
{
	std::string s = ringvm::render_json({sample()});
	EXPECT_EQ("[{\"id\":3,\"pid\":1234,\"vcpus\":2,\"mem_bytes\":268435456,\"pinned_bytes\":0,"
		  "\"device_bytes\":0,\"userspace_exits\":40,\"exits\":{\"CPUID\":75,\"IO_INSTRUCTION\":20,"
		  "\"EPT_VIOLATION\":5}}]\n",
		  s);
}

} // namespace
