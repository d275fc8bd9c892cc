// SPDX-License-Identifier: GPL-2.0
// One bzImage per boot protocol range: which entry it gets and which header
// fields the loader honours (Documentation/arch/x86/boot.rst).
#include <gtest/gtest.h>

#include "loaders/boot.h"
#include "tests/images.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

using namespace ringvm;
using namespace ringvm::test;

namespace {

// A bzImage of protocol @ver whose header is as long as that version's
// (the jump at 0x200 lands right after it); bytes past it are setup code,
// filled with 0xee so a loader that reads a field too new for the version
// sees garbage.
std::vector<uint8_t> make_old(uint16_t ver)
{
	auto b = make_bzimage();
	size_t hdr_end = ver >= 0x20c	? 0x26c
			 : ver >= 0x20a ? 0x264
			 : ver >= 0x206 ? 0x23c
			 : ver >= 0x205 ? 0x236
			 : ver >= 0x203 ? 0x230
					: 0x22c;
	std::fill(b.begin() + hdr_end, b.begin() + 0x400, 0xee);
	b[0x201] = static_cast<uint8_t>(hdr_end - 0x202);
	put<uint16_t>(b, 0x206, ver);
	if (ver < 0x20c)
		put<uint16_t>(b, 0x236, 0); // no xloadflags yet
	return b;
}

uint32_t zp32(GuestMemory &mem, const BootState &st, uint64_t off)
{
	uint32_t v;
	std::memcpy(&v, mem.span(st.regs.rsi + off, 4).data(), 4);
	return v;
}

void expect_entry32(GuestMemory &mem, const BootState &st)
{
	EXPECT_EQ(BootState::Mode::Protected32, st.mode);
	EXPECT_TRUE(st.linux32);
	EXPECT_EQ(0x100000u, st.regs.rip); // code32_start
	EXPECT_EQ(0u, st.regs.rbx);
	EXPECT_EQ(0u, st.regs.rbp);
	EXPECT_EQ(0u, st.regs.rdi);
	EXPECT_EQ(2u, st.regs.rflags); // interrupts off
	// __BOOT_CS (0x10) is flat 32-bit code, __BOOT_DS (0x18) flat data.
	uint64_t cs, ds;
	std::memcpy(&cs, mem.span(st.gdt + 0x10, 8).data(), 8);
	std::memcpy(&ds, mem.span(st.gdt + 0x18, 8).data(), 8);
	EXPECT_EQ(0x00cf9b000000ffffull, cs);
	EXPECT_EQ(0x00cf93000000ffffull, ds);
	EXPECT_EQ(0x100000u, zp32(mem, st, 0x214));
	EXPECT_EQ(0xffu, zp32(mem, st, 0x210) & 0xff);
}

uint32_t initrd_addr(uint16_t ver, uint64_t mem_size, uint32_t initrd_max)
{
	GuestMemory mem(mem_size);
	auto img = make_old(ver);
	if (ver >= 0x203)
		put<uint32_t>(img, 0x22c, initrd_max);
	BootConfig cfg;
	cfg.has_initrd = true;
	cfg.initrd.assign(4096, 7);
	BootState st = load_kernel(mem, img, cfg);
	return zp32(mem, st, 0x218);
}

std::string error_of(GuestMemory &mem, const std::vector<uint8_t> &img, const BootConfig &cfg)
{
	try {
		load_kernel(mem, img, cfg);
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

} // namespace

TEST(BzImageProtocol, V202EntersProtectedModeWith255ByteCommandLine)
{
	GuestMemory mem(16u << 20);
	BootConfig cfg;
	cfg.cmdline = "console=ttyS0";
	BootState st = load_kernel(mem, make_old(0x202), cfg);
	expect_entry32(mem, st);
	uint32_t cl = zp32(mem, st, 0x228);
	EXPECT_LT(cl + cfg.cmdline.size(), 0xa0000u);
	EXPECT_STREQ("console=ttyS0", reinterpret_cast<const char *>(mem.span(cl, 14).data()));
	// The setup header is copied up to the jump target, setup code after
	// it is not.
	EXPECT_EQ(0u, mem.span(st.regs.rsi + 0x22c, 1)[0]);
	// The 2.06 cmdline_size field is setup code here: 255 bytes is the limit.
	cfg.cmdline.assign(255, 'x');
	EXPECT_NO_THROW(load_kernel(mem, make_old(0x202), cfg));
	cfg.cmdline.assign(256, 'x');
	EXPECT_NE(error_of(mem, make_old(0x202), cfg).find("at most 255"), std::string::npos);
}

TEST(BzImageProtocol, V202InitrdStaysBelowDefaultLimit)
{
	// No initrd_addr_max before 2.03: the initrd stays below 0x37ffffff.
	uint32_t a = initrd_addr(0x202, 1ull << 30, 0);
	EXPECT_EQ(0x38000000u - 4096, a);
}

TEST(BzImageProtocol, V203To204HonourInitrdAddrMax)
{
	for (uint16_t v : {0x203, 0x204}) {
		EXPECT_EQ((32u << 20) - 4096, initrd_addr(v, 64u << 20, (32u << 20) - 1)) << v;
		GuestMemory mem(16u << 20);
		BootState st = load_kernel(mem, make_old(v), {});
		expect_entry32(mem, st);
	}
}

TEST(BzImageProtocol, V205To209HonourCmdlineSizeFrom206)
{
	GuestMemory mem(16u << 20);
	BootConfig cfg;
	cfg.cmdline.assign(1000, 'y');
	// 2.05: cmdline_size is setup code, the limit stays 255.
	EXPECT_NE(error_of(mem, make_old(0x205), cfg).find("at most 255"), std::string::npos);
	for (uint16_t v : {0x206, 0x209}) {
		BootState st = load_kernel(mem, make_old(v), cfg); // 2047 allowed
		expect_entry32(mem, st);
		auto img = make_old(v);
		put<uint32_t>(img, 0x238, 999);
		EXPECT_NE(error_of(mem, img, cfg).find("at most 999"), std::string::npos) << v;
	}
}

TEST(BzImageProtocol, V210To211HonourInitSizeAndAlignment)
{
	// A relocatable kernel runs from 1 MiB rounded up to kernel_alignment
	// and needs init_size from there: 4 MiB + 12 MiB > 15 MiB of RAM.
	auto img = make_old(0x20a);
	img[0x234] = 1; // relocatable_kernel
	put<uint32_t>(img, 0x230, 4u << 20);
	put<uint32_t>(img, 0x260, 12u << 20);
	GuestMemory small(15u << 20);
	EXPECT_NE(error_of(small, img, {}).find("guest memory too small"), std::string::npos);
	GuestMemory mem(16u << 20);
	BootState st = load_kernel(mem, img, {});
	expect_entry32(mem, st);
	// A non-relocatable one decompresses at pref_address.
	auto fixed = make_old(0x20b);
	put<uint64_t>(fixed, 0x258, 8u << 20);
	put<uint32_t>(fixed, 0x260, 9u << 20);
	EXPECT_NE(error_of(mem, fixed, {}).find("guest memory too small"), std::string::npos);
	GuestMemory big(17u << 20);
	BootConfig cfg;
	cfg.has_initrd = true;
	cfg.initrd.assign(1u << 20, 1);
	EXPECT_NE(error_of(big, fixed, cfg).find("does not fit"), std::string::npos);
}

TEST(BzImageProtocol, V212WithKernel64EntersLongMode)
{
	GuestMemory mem(16u << 20);
	BootState st = load_kernel(mem, make_old(0x20c), {});
	EXPECT_EQ(BootState::Mode::Long64, st.mode);
	EXPECT_FALSE(st.linux32);
	EXPECT_EQ(0x100200u, st.regs.rip);
	uint64_t cs;
	std::memcpy(&cs, mem.span(st.gdt + 0x10, 8).data(), 8);
	EXPECT_EQ(0x00af9b000000ffffull, cs); // 64-bit code
	// Without XLF_KERNEL_64 (a 32-bit kernel), the 32-bit protocol.
	auto k32 = make_old(0x20f);
	put<uint16_t>(k32, 0x236, 0);
	BootState st32 = load_kernel(mem, k32, {});
	expect_entry32(mem, st32);
}
