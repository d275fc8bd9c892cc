// SPDX-License-Identifier: GPL-2.0
#include <gtest/gtest.h>

#include "loaders/boot.h"
#include "tests/images.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

using namespace ringvm;
using namespace ringvm::test;

namespace {

std::string load_error(GuestMemory &mem, const std::vector<uint8_t> &img, const BootConfig &cfg)
{
	try {
		load_kernel(mem, img, cfg);
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

bool contains(const std::string &s, const std::string &what)
{
	return s.find(what) != std::string::npos;
}

} // namespace

TEST(BzImage, LoadsKernelBootParamsAndEntry)
{
	GuestMemory mem(64u << 20);
	auto img = make_bzimage();
	BootConfig cfg;
	cfg.cmdline = "console=ttyS0 quiet";
	BootState st = load_kernel(mem, img, cfg);
	EXPECT_EQ("bzImage", st.format);
	EXPECT_EQ(BootState::Mode::Long64, st.mode);
	EXPECT_EQ(0x100200u, st.regs.rip);
	EXPECT_EQ(layout::kZeroPage, st.regs.rsi);
	// Protected-mode code at 1 MiB.
	EXPECT_EQ(0xcc, mem.span(0x100000, 1)[0]);
	auto zp = mem.span(layout::kZeroPage, 4096);
	std::vector<uint8_t> z(zp.begin(), zp.end());
	EXPECT_EQ(0, std::memcmp(z.data() + 0x202, "HdrS", 4));
	EXPECT_EQ(0xff, z[0x210]); // type_of_loader
	EXPECT_EQ(layout::kCmdline, get<uint32_t>(z, 0x228));
	EXPECT_STREQ("console=ttyS0 quiet",
		     reinterpret_cast<const char *>(mem.span(layout::kCmdline, 32).data()));
	// e820: low RAM, reserved BIOS area, RAM from 1 MiB to the end.
	ASSERT_EQ(3, z[0x1e8]);
	EXPECT_EQ(0u, get<uint64_t>(z, 0x2d0));
	EXPECT_EQ(layout::kEbda, get<uint64_t>(z, 0x2d0 + 8));
	EXPECT_EQ(1u, get<uint32_t>(z, 0x2d0 + 16));
	EXPECT_EQ(2u, get<uint32_t>(z, 0x2d0 + 20 + 16));
	EXPECT_EQ(0x100000u, get<uint64_t>(z, 0x2d0 + 40));
	EXPECT_EQ((64u << 20) - 0x100000u, get<uint64_t>(z, 0x2d0 + 48));
	// Identity map: PML4 -> PDPT -> 2 MiB pages.
	uint64_t pml4e, pde;
	std::memcpy(&pml4e, mem.span(layout::kPml4, 8).data(), 8);
	EXPECT_EQ(layout::kPdpt | 3, pml4e);
	std::memcpy(&pde, mem.span(layout::kPd + 8, 8).data(), 8);
	EXPECT_EQ((2ull << 20) | 0x83, pde);
}

TEST(BzImage, InitrdGoesHighAndPageAligned)
{
	GuestMemory mem(64u << 20);
	BootConfig cfg;
	cfg.has_initrd = true;
	cfg.initrd.assign(10000, 0x5a);
	load_kernel(mem, make_bzimage(), cfg);
	auto zp = mem.span(layout::kZeroPage, 4096);
	std::vector<uint8_t> z(zp.begin(), zp.end());
	uint32_t addr = get<uint32_t>(z, 0x218);
	EXPECT_EQ(10000u, get<uint32_t>(z, 0x21c));
	EXPECT_EQ(0u, addr % 4096);
	EXPECT_LE(addr + 10000u, 64u << 20);
	EXPECT_GT(addr + 10000u + 4096u, 64u << 20);
	EXPECT_EQ(0x5a, mem.span(addr, 1)[0]);
}

TEST(BzImage, InitrdRespectsInitrdAddrMax)
{
	GuestMemory mem(64u << 20);
	auto img = make_bzimage();
	put<uint32_t>(img, 0x22c, (32u << 20) - 1);
	BootConfig cfg;
	cfg.has_initrd = true;
	cfg.initrd.assign(4096, 1);
	load_kernel(mem, img, cfg);
	uint32_t addr;
	std::memcpy(&addr, mem.span(layout::kZeroPage + 0x218, 4).data(), 4);
	EXPECT_EQ((32u << 20) - 4096, addr);
}

TEST(BzImage, InitrdThatDoesNotFitIsRejected)
{
	GuestMemory mem(16u << 20);
	BootConfig cfg;
	cfg.has_initrd = true;
	cfg.initrd.assign(14u << 20, 0);
	auto err = load_error(mem, make_bzimage(), cfg);
	EXPECT_TRUE(contains(err, "initrd")) << err;
	EXPECT_TRUE(contains(err, "does not fit")) << err;
}

TEST(BzImage, MemoryTooSmallForInitSize)
{
	GuestMemory mem(16u << 20);
	auto err = load_error(mem, make_bzimage(0x3000, 32u << 20), {});
	EXPECT_TRUE(contains(err, "guest memory too small")) << err;
}

TEST(BzImage, RejectsPre202ProtocolsAndZImages)
{
	GuestMemory mem(16u << 20);
	auto old = make_bzimage();
	put<uint16_t>(old, 0x206, 0x0201);
	auto err = load_error(mem, old, {});
	EXPECT_TRUE(contains(err, "boot protocol 2.1;")) << err;
	auto zimage = make_bzimage();
	zimage[0x211] = 0; // LOADED_HIGH clear
	err = load_error(mem, zimage, {});
	EXPECT_TRUE(contains(err, "zImage")) << err;
}

TEST(BzImage, RejectsTruncatedAndBadSignature)
{
	GuestMemory mem(16u << 20);
	auto img = make_bzimage();
	img[0x1f1] = 60; // setup claims more than the file
	EXPECT_TRUE(contains(load_error(mem, img, {}), "truncated"));
	auto bad = make_bzimage();
	put<uint16_t>(bad, 0x1fe, 0);
	EXPECT_TRUE(contains(load_error(mem, bad, {}), "not a bzImage"));
	std::vector<uint8_t> tiny(0x210, 0);
	std::memcpy(tiny.data() + 0x202, "HdrS", 4);
	EXPECT_TRUE(contains(load_error(mem, tiny, {}), "not a bzImage"));
}

TEST(BzImage, CommandLineLongerThanKernelAllows)
{
	GuestMemory mem(16u << 20);
	BootConfig cfg;
	cfg.cmdline.assign(3000, 'x');
	EXPECT_TRUE(contains(load_error(mem, make_bzimage(), cfg), "command line"));
}

TEST(LoadKernel, RejectsUnknownFormats)
{
	GuestMemory mem(16u << 20);
	std::vector<uint8_t> junk(16384, 0x90);
	EXPECT_EQ("the kernel is not a bzImage, ELF64 or multiboot image", load_error(mem, junk, {}));
	EXPECT_EQ("the kernel is not a bzImage, ELF64 or multiboot image", load_error(mem, {}, {}));
}

TEST(GuestMemory, SplitsAroundThePciHoleAndChecksBounds)
{
	GuestMemory small(16u << 20);
	EXPECT_EQ(1u, small.regions().size());
	EXPECT_THROW(small.span((16u << 20) - 4, 8), Error);
	EXPECT_THROW(small.span(~0ull - 2, 8), Error);
	EXPECT_FALSE(small.contains(16u << 20, 1));
	EXPECT_TRUE(small.contains(0, 16u << 20));
	EXPECT_THROW(GuestMemory(1000), Error);
	GuestMemory big(4ull << 30);
	ASSERT_EQ(2u, big.regions().size());
	EXPECT_EQ(GuestMemory::kPciHoleStart, big.low_end());
	EXPECT_EQ(GuestMemory::kHighStart, big.regions()[1].gpa);
	EXPECT_EQ(1ull << 30, big.regions()[1].size);
	EXPECT_FALSE(big.contains(GuestMemory::kPciHoleStart, 1));
	big.put<uint32_t>(GuestMemory::kHighStart, 7);
}
