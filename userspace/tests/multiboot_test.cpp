// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include <algorithm>

#include "loaders/boot.h"
#include "tests/images.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

using namespace ringvm;
using namespace ringvm::test;

namespace {

uint32_t rd32(GuestMemory &m, uint64_t a)
{
	uint32_t v;
	std::memcpy(&v, m.span(a, 4).data(), 4);
	return v;
}

std::string load_error(const std::vector<uint8_t> &img, const BootConfig &cfg = {})
{
	GuestMemory mem(32u << 20);
	try {
		load_kernel(mem, img, cfg);
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

} // namespace

TEST(Multiboot, Elf32KernelWithInfoAndModules)
{
	std::vector<uint8_t> code(64, 0x90);
	auto img = make_elf(false, 0x100000, 0x100010, code, 0x2000);
	add_multiboot_header(img, 0x1000 + 16, 0x00000003);
	GuestMemory mem(32u << 20);
	BootConfig cfg;
	cfg.cmdline = "test=1";
	cfg.modules.push_back({"mod-a", std::vector<uint8_t>(5000, 0xaa)});
	cfg.modules.push_back({"mod-b", std::vector<uint8_t>(10, 0xbb)});
	BootState st = load_kernel(mem, img, cfg);
	EXPECT_EQ("multiboot", st.format);
	EXPECT_EQ(BootState::Mode::Protected32, st.mode);
	EXPECT_EQ(0x100010u, st.regs.rip);
	EXPECT_EQ(0x2badb002u, st.regs.rax);
	uint64_t info = st.regs.rbx;
	EXPECT_EQ(0x4du, rd32(mem, info) & 0x4d); // mem, cmdline, mods, mmap
	EXPECT_EQ(639u, rd32(mem, info + 4));
	EXPECT_EQ((32u << 10) - 1024u, rd32(mem, info + 8));
	EXPECT_STREQ("test=1", reinterpret_cast<const char *>(mem.span(rd32(mem, info + 16), 7).data()));
	ASSERT_EQ(2u, rd32(mem, info + 20));
	uint32_t mods = rd32(mem, info + 24);
	uint32_t a_start = rd32(mem, mods), a_end = rd32(mem, mods + 4);
	EXPECT_EQ(0u, a_start % 4096);
	EXPECT_GE(a_start, 0x100000u + 64 + 0x2000); // after the kernel's .bss
	EXPECT_EQ(a_start + 5000, a_end);
	EXPECT_EQ(0xaa, mem.span(a_start, 1)[0]);
	EXPECT_STREQ("mod-a", reinterpret_cast<const char *>(mem.span(rd32(mem, mods + 8), 6).data()));
	uint32_t b_start = rd32(mem, mods + 16);
	EXPECT_EQ(0u, b_start % 4096);
	EXPECT_GE(b_start, a_end);
	EXPECT_EQ(0xbb, mem.span(b_start, 1)[0]);
	// .bss zeroed
	EXPECT_EQ(0, mem.span(0x100000 + 64, 1)[0]);
	// Memory map has an entry for RAM above 1 MiB.
	uint32_t mmap_len = rd32(mem, info + 44), mmap = rd32(mem, info + 48);
	EXPECT_EQ(3u * 24, mmap_len);
	EXPECT_EQ(0x100000u, rd32(mem, mmap + 48 + 4));
}

TEST(Multiboot, AoutKludgeAddresses)
{
	std::vector<uint8_t> img(0x200, 0x90);
	add_multiboot_header(img, 0x40, 0x00010002);
	put<uint32_t>(img, 0x40 + 12, 0x200040); // header_addr
	put<uint32_t>(img, 0x40 + 16, 0x200000); // load_addr
	put<uint32_t>(img, 0x40 + 20, 0);	 // load to end of file
	put<uint32_t>(img, 0x40 + 24, 0x201000); // bss_end
	put<uint32_t>(img, 0x40 + 28, 0x200080); // entry
	GuestMemory mem(32u << 20);
	BootState st = load_kernel(mem, img, {});
	EXPECT_EQ(0x200080u, st.regs.rip);
	EXPECT_EQ(0x1badb002u, rd32(mem, 0x200040));
	EXPECT_EQ(0, mem.span(0x200fff, 1)[0]);
}

TEST(Multiboot, RejectsVideoModeAndUnknownRequiredFlags)
{
	std::vector<uint8_t> img(0x200, 0);
	add_multiboot_header(img, 0, 0x4);
	EXPECT_NE(load_error(img).find("video mode"), std::string::npos);
	std::vector<uint8_t> img2(0x200, 0);
	add_multiboot_header(img2, 0, 0x8);
	EXPECT_NE(load_error(img2).find("requires features"), std::string::npos);
}

TEST(Multiboot, BadChecksumOrLateHeaderIsNotMultiboot)
{
	std::vector<uint8_t> img(0x4000, 0);
	put<uint32_t>(img, 0, 0x1badb002);
	put<uint32_t>(img, 4, 0);
	put<uint32_t>(img, 8, 0);
	EXPECT_NE(load_error(img).find("not a bzImage, ELF64 or multiboot"), std::string::npos);
	std::vector<uint8_t> late(0x4000, 0);
	add_multiboot_header(late, 0x2000, 0);
	EXPECT_NE(load_error(late).find("not a bzImage, ELF64 or multiboot"), std::string::npos);
}

TEST(Multiboot, AoutAddressesOutsideTheFileAreRejected)
{
	std::vector<uint8_t> img(0x100, 0);
	add_multiboot_header(img, 0x10, 0x00010000);
	put<uint32_t>(img, 0x10 + 12, 0x300000); // header 1 MiB past load_addr
	put<uint32_t>(img, 0x10 + 16, 0x200000);
	EXPECT_NE(load_error(img).find("before the file"), std::string::npos);
	std::vector<uint8_t> img2(0x100, 0);
	add_multiboot_header(img2, 0x10, 0x00010000);
	put<uint32_t>(img2, 0x10 + 12, 0x200010);
	put<uint32_t>(img2, 0x10 + 16, 0x200000);
	put<uint32_t>(img2, 0x10 + 20, 0x300000); // far beyond the file
	EXPECT_NE(load_error(img2).find("more bytes than the file"), std::string::npos);
}

TEST(Multiboot, ModuleThatDoesNotFit)
{
	std::vector<uint8_t> code(16, 0x90);
	auto img = make_elf(false, 0x100000, 0x100000, code);
	add_multiboot_header(img, 0x1000, 0);
	BootConfig cfg;
	cfg.modules.push_back({"huge", std::vector<uint8_t>(40u << 20, 0)});
	EXPECT_NE(load_error(img, cfg).find("does not fit"), std::string::npos);
}

// Kernels written for a PC load low; the loader's structures move around them.
TEST(Multiboot, ImageLoadedLowAt0x8000And0x1000)
{
	for (uint32_t at : {0x8000u, 0x1000u}) {
		// 0x20000 bytes from @at cover the preferred GDT (0x1000
		// case), stack, multiboot info and command line.
		std::vector<uint8_t> code(0x20000, 0x90);
		auto img = make_elf(false, at, at, code);
		add_multiboot_header(img, 0x1000 + 16, 0x00000003);
		GuestMemory mem(32u << 20);
		BootConfig cfg;
		cfg.cmdline = "low";
		cfg.modules.push_back({"m", std::vector<uint8_t>(100, 0xab)});
		BootState st = load_kernel(mem, img, cfg);
		EXPECT_EQ(at, st.regs.rip);
		const uint64_t end = at + code.size();
		// The image is intact: nothing the loader wrote landed on it.
		auto got = mem.span(at, code.size());
		EXPECT_TRUE(std::equal(got.begin(), got.end(), img.begin() + 0x1000)) << std::hex << at;
		auto outside = [&](uint64_t a, uint64_t n) { return a + n <= at || a >= end; };
		uint64_t info = st.regs.rbx;
		EXPECT_TRUE(outside(info, 0x410)) << std::hex << info;
		EXPECT_TRUE(outside(st.gdt, 40)) << std::hex << st.gdt;
		EXPECT_TRUE(outside(st.regs.rsp - 0x4000, 0x4000)) << std::hex << st.regs.rsp;
		uint32_t cl = rd32(mem, info + 16);
		EXPECT_TRUE(outside(cl, 4));
		EXPECT_STREQ("low", reinterpret_cast<const char *>(mem.span(cl, 4).data()));
		uint32_t mods = rd32(mem, info + 24), m0 = rd32(mem, mods);
		EXPECT_TRUE(outside(m0, 100));
		EXPECT_EQ(0xab, mem.span(m0, 1)[0]);
		EXPECT_EQ(0x2badb002u, st.regs.rax);
	}
}

TEST(Multiboot, RefusesOnlyHolesAndBeyondRam)
{
	std::vector<uint8_t> code(0x1000, 0x90);
	auto img = make_elf(false, 0x9f000, 0x9f000, code);
	add_multiboot_header(img, 0x1000 + 16, 0);
	auto err = load_error(img);
	EXPECT_NE(err.find("[0x9f000, 0xa0000) overlaps the memory hole [0x9fc00, 0x100000)"),
		  std::string::npos)
		<< err;
	auto high = make_elf(false, 0x1f00000, 0x1f00000, std::vector<uint8_t>(0x200000, 0));
	add_multiboot_header(high, 0x1000 + 16, 0);
	err = load_error(high);
	EXPECT_NE(err.find("lies beyond guest RAM, which ends at 0x2000000"), std::string::npos)
		<< err;
}
