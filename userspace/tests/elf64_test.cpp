// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "loaders/boot.h"
#include "tests/images.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

using namespace ringvm;
using namespace ringvm::test;

namespace {

std::string load_error(const std::vector<uint8_t> &img)
{
	GuestMemory mem(32u << 20);
	try {
		load_kernel(mem, img, {});
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

bool has(const std::string &s, const char *w)
{
	return s.find(w) != std::string::npos;
}

} // namespace

TEST(Elf64, LoadsSegmentsAndEntersLongMode)
{
	std::vector<uint8_t> code = {0xf4, 0xeb, 0xfd};
	auto img = make_elf(true, 0x200000, 0x200000, code, 0x1000);
	GuestMemory mem(32u << 20);
	auto fill = mem.span(0x200003, 0x1000);
	std::fill(fill.begin(), fill.end(), 0xee);
	BootConfig cfg;
	cfg.cmdline = "hello";
	BootState st = load_kernel(mem, img, cfg);
	EXPECT_EQ("ELF64", st.format);
	EXPECT_EQ(BootState::Mode::Long64, st.mode);
	EXPECT_EQ(0x200000u, st.regs.rip);
	EXPECT_EQ(layout::kCmdline, st.regs.rdi);
	EXPECT_EQ(0xf4, mem.span(0x200000, 1)[0]);
	EXPECT_EQ(0, mem.span(0x200003, 1)[0]); // .bss zeroed
	EXPECT_EQ(0, mem.span(0x201002, 1)[0]);
	EXPECT_STREQ("hello", reinterpret_cast<const char *>(mem.span(layout::kCmdline, 6).data()));
}

TEST(Elf64, MalformedImagesAreRejected)
{
	std::vector<uint8_t> code(16, 0x90);
	auto wrong_machine = make_elf(true, 0x200000, 0x200000, code);
	put<uint16_t>(wrong_machine, 18, 183); // aarch64
	EXPECT_TRUE(has(load_error(wrong_machine), "machine 183"));

	auto dyn = make_elf(true, 0x200000, 0x200000, code);
	put<uint16_t>(dyn, 16, 3); // ET_DYN
	EXPECT_TRUE(has(load_error(dyn), "not a static executable"));

	auto phdr_out = make_elf(true, 0x200000, 0x200000, code);
	put<uint64_t>(phdr_out, 32, 1u << 30);
	EXPECT_TRUE(has(load_error(phdr_out), "program headers lie outside"));

	auto seg_out = make_elf(true, 0x200000, 0x200000, code);
	put<uint64_t>(seg_out, 64 + 32, 1u << 30); // filesz
	EXPECT_TRUE(has(load_error(seg_out), "lies outside the file"));

	auto too_big = make_elf(true, 0x200000, 0x200000, code, 64u << 20);
	EXPECT_TRUE(has(load_error(too_big), "beyond guest RAM")) << load_error(too_big);

	// Low segments load (the boot structures move); one across the EBDA
	// and BIOS hole is refused, naming both ranges.
	auto hole = make_elf(true, 0x9f000, 0x9f000, code, 0x2000);
	EXPECT_TRUE(has(load_error(hole), "[0x9f000, 0xa1010) overlaps the memory hole "
					  "[0x9fc00, 0x100000)"))
		<< load_error(hole);

	auto high_entry = make_elf(true, 0x200000, 0x100000000ull, code);
	EXPECT_TRUE(has(load_error(high_entry), "above 4 GiB"));

	auto no_load = make_elf(true, 0x200000, 0x200000, code);
	put<uint32_t>(no_load, 64, 4); // PT_NOTE
	EXPECT_TRUE(has(load_error(no_load), "no loadable segment"));

	auto be = make_elf(true, 0x200000, 0x200000, code);
	be[5] = 2;
	EXPECT_TRUE(has(load_error(be), "little-endian"));
}

TEST(Elf64, Elf32WithoutMultibootIsRefused)
{
	std::vector<uint8_t> code(16, 0x90);
	auto img = make_elf(false, 0x100000, 0x100000, code, 0, 0x4000);
	EXPECT_TRUE(has(load_error(img), "32-bit ELF kernel without a multiboot header"));
}
