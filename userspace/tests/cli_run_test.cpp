// SPDX-License-Identifier: GPL-2.0
// `ringvm run`'s option parsers and its JSON config, without a hypervisor.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "cli/commands.h"
#include "cli/run_options.h"
#include "vmm/error.h"

using ringvm::Error;
using namespace ringvm::cli;

namespace {

std::string error_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

TEST(CliRun, MemorySizesFollowOneRule)
{
	EXPECT_EQ(256ull << 20, parse_size("256M"));
	EXPECT_EQ(256ull << 20, parse_size("256"));
	EXPECT_EQ(1ull << 30, parse_size("1G"));
	EXPECT_EQ(3ull << 29, parse_size("1.5G"));
	EXPECT_EQ(32ull << 20, parse_size("32768K"));
	EXPECT_EQ(12ull << 40, parse_size("12T"));
	// 0 and 8M break the same rule and say so in the same words.
	std::string zero = error_of([] { parse_size("0"); });
	std::string small = error_of([] { parse_size("8M"); });
	EXPECT_NE(std::string::npos, zero.find("give a size from 16M to 64T")) << zero;
	EXPECT_NE(std::string::npos, small.find("give a size from 16M to 64T")) << small;
	EXPECT_NE(std::string::npos, error_of([] { parse_size("65T"); }).find("16M to 64T"));
	EXPECT_NE(std::string::npos, error_of([] { parse_size("12X"); }).find("unknown unit 'X'"));
	for (const char *bad : {"lots", "1.", ".5G", "1.2.3G", "", "-1G", "99999999999999999999999"})
		EXPECT_THROW(parse_size(bad), UsageError) << bad;
}

TEST(CliRun, DebugExitPorts)
{
	EXPECT_EQ(0xf4, parse_port("0xf4"));
	EXPECT_EQ(0x501, parse_port("1281"));
	EXPECT_THROW(parse_port("0x10000"), UsageError);
	EXPECT_THROW(parse_port("f4"), UsageError);
	EXPECT_THROW(parse_port(""), UsageError);
}

TEST(CliRun, DefaultNamesAreValidSocketNames)
{
	EXPECT_EQ("vmlinuz-6.1.0-57-amd64-1234", default_vm_name("/boot/vmlinuz-6.1.0-57-amd64", 1234));
	EXPECT_EQ("my_kernel_-7", default_vm_name("dir/my kernel!", 7));
	EXPECT_EQ("bzImage-42", default_vm_name("./.bzImage", 42)) << "a leading dot hides the file";
	std::string longname = default_vm_name(std::string(200, 'k'), 99999);
	EXPECT_EQ(64u, longname.size());
	EXPECT_NO_THROW(ringvm::control::check_name(longname));
}

class ConfigFile : public ::testing::Test {
protected:
	std::string path = "/tmp/ringvm-config-" + std::to_string(::getpid()) + ".json";
	void TearDown() override { std::remove(path.c_str()); }
	void write(const std::string &text) { std::ofstream(path) << text; }
	// Applies the file with @given options set on the command line.
	std::string apply(RunOptions &o, std::set<std::string> given = {})
	{
		return error_of([&] {
			apply_config(path, o, [&](const std::string &k) { return given.count(k) > 0; });
		});
	}
};

TEST_F(ConfigFile, SetsWhatTheFlagsSetAndFlagsWin)
{
	write(R"({"kernel": "bzImage", "mem": "1.5G", "cpus": 2, "irqchip": "kernel",
		  "cmdline": "console=ttyS0 quiet", "rng": true, "debug-exit": 244,
		  "disk": ["a.img,ro", {"path": "b.img", "ro": true, "serial": "SN1"}],
		  "net": [{"tap": "rv0", "model": "e1000", "host_ip": "10.0.2.1/24"}],
		  "module": ["m1"], "name": "web"})");
	RunOptions o;
	o.cpus = 4; // as if --cpus 4 had been given
	ASSERT_EQ("no error", apply(o, {"cpus"}));
	EXPECT_EQ("bzImage", o.kernel);
	EXPECT_EQ("1.5G", o.mem);
	EXPECT_EQ(4, o.cpus) << "the command line wins over the file";
	EXPECT_EQ("kernel", o.irqchip);
	EXPECT_TRUE(o.rng);
	EXPECT_EQ("244", o.debug_exit);
	ASSERT_EQ(2u, o.disks.size());
	EXPECT_EQ("a.img,ro", o.disks[0]);
	EXPECT_EQ("b.img,ro,serial=SN1", o.disks[1]);
	ASSERT_EQ(1u, o.nets.size());
	EXPECT_EQ("host_ip=10.0.2.1/24,model=e1000,tap=rv0", o.nets[0]);
	EXPECT_EQ(std::vector<std::string>{"m1"}, o.modules);
	EXPECT_EQ("web", o.name);
}

TEST_F(ConfigFile, MistakesNameTheKey)
{
	RunOptions o;
	write(R"({"kernel": "k", "memory": "1G"})");
	std::string e = apply(o);
	EXPECT_NE(std::string::npos, e.find("\"memory\" is not a setting of ringvm run")) << e;
	EXPECT_NE(std::string::npos, e.find(path)) << e;
	write(R"({"cpus": "two"})");
	EXPECT_NE(std::string::npos, apply(o).find("\"cpus\" must be a whole number from 1 to 64"));
	write(R"({"cpus": 0})");
	EXPECT_NE(std::string::npos, apply(o).find("\"cpus\" must be a whole number"));
	write(R"({"disk": [{"path": "a", "readonly": true}]})");
	e = apply(o);
	EXPECT_NE(std::string::npos, e.find("\"disk[0].readonly\" is not a setting")) << e;
	write(R"({"disk": [{"ro": true}]})");
	EXPECT_NE(std::string::npos, apply(o).find("\"disk[0]\" needs \"path\""));
	write(R"({"rng": "yes"})");
	EXPECT_NE(std::string::npos, apply(o).find("\"rng\" must be true or false"));
	write(R"({"disk": "a.img"})");
	EXPECT_NE(std::string::npos, apply(o).find("\"disk\" must be a list"));
	write(R"({"kernel": )");
	EXPECT_NE(std::string::npos, apply(o).find("is not JSON"));
	write(R"(["kernel"])");
	EXPECT_NE(std::string::npos, apply(o).find("must hold one JSON object"));
}

} // namespace
