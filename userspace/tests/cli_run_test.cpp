// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "vmm/error.h"

using ringvm::Error;
using ringvm::cli::parse_port;
using ringvm::cli::parse_size;

TEST(CliRun, MemorySizes)
{
	EXPECT_EQ(256ull << 20, parse_size("256M"));
	EXPECT_EQ(256ull << 20, parse_size("256"));
	EXPECT_EQ(1ull << 30, parse_size("1G"));
	EXPECT_EQ(32ull << 20, parse_size("32768K"));
	EXPECT_THROW(parse_size("8M"), Error); // below 16 MiB
	EXPECT_THROW(parse_size("lots"), Error);
	EXPECT_THROW(parse_size("12T"), Error);
	EXPECT_THROW(parse_size("0"), Error);
}

TEST(CliRun, DebugExitPorts)
{
	EXPECT_EQ(0xf4, parse_port("0xf4"));
	EXPECT_EQ(0x501, parse_port("1281"));
	EXPECT_THROW(parse_port("0x10000"), Error);
	EXPECT_THROW(parse_port("f4"), Error);
	EXPECT_THROW(parse_port(""), Error);
}
