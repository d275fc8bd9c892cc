// SPDX-License-Identifier: GPL-2.0
#include "loaders/placement.h"

#include <gtest/gtest.h>

#include <functional>

#include "vmm/error.h"
#include "vmm/guest_memory.h"

using namespace ringvm;

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

bool has(const std::string &s, const std::string &what)
{
	return s.find(what) != std::string::npos;
}

} // namespace

TEST(Placement, LowAndHighFirst)
{
	GuestMemory mem(16u << 20);
	Placement pl(mem);
	// The IVT and BDA are never handed out.
	EXPECT_EQ(0x1000u, pl.alloc(0x1000, 0x1000, "a"));
	EXPECT_EQ(0x500u, pl.alloc(0x10, 16, "b"));
	EXPECT_EQ((16u << 20) - 0x2000, pl.alloc(0x2000, 0x1000, "c", Placement::Prefer::High));
	EXPECT_EQ(0x100000u, pl.alloc(0x1000, 0x1000, "d", Placement::Prefer::Low, 0x9f000));
}

TEST(Placement, ExactFitAndAlignment)
{
	GuestMemory mem(16u << 20);
	Placement pl(mem);
	pl.claim(0x500, 0x1000 - 0x500, "x");
	pl.claim(0x3000, 0x9fc00 - 0x3000, "y");
	// [0x1000, 0x3000) is free: exactly 0x2000 fits, 0x2001 does not.
	EXPECT_EQ(0x1000u, pl.alloc(0x2000, 0x1000, "fit", Placement::Prefer::Low, 0, 0x100000));
	EXPECT_TRUE(has(error_of([&] { pl.alloc(1, 1, "more", Placement::Prefer::Low, 0, 0x9fc00); }),
			"no room for more"));
	// Alignment skips unaligned free space.
	Placement p2(mem);
	p2.claim(0x500, 0x1001 - 0x500, "x");
	EXPECT_EQ(0x2000u, p2.alloc(0x100, 0x1000, "aligned"));
	EXPECT_EQ(0x1010u, p2.alloc(0x10, 0x10, "small"));
}

TEST(Placement, NothingFreeIsAClearError)
{
	GuestMemory mem(16u << 20);
	Placement pl(mem);
	auto err = error_of([&] { pl.alloc(32u << 20, 0x1000, "the initrd"); });
	EXPECT_TRUE(has(err, "no room for the initrd (33554432 bytes")) << err;
	EXPECT_TRUE(has(err, "--mem")) << err;
}

TEST(Placement, AllocNearKeepsPreferredWhenFree)
{
	GuestMemory mem(16u << 20);
	Placement pl(mem);
	EXPECT_EQ(0x7000u, pl.alloc_near(0x7000, 0x1000, 0x1000, "zp", 0x9fc00));
	// Taken now: the next one goes to the lowest free range.
	EXPECT_EQ(0x1000u, pl.alloc_near(0x7000, 0x1000, 0x1000, "zp2", 0x9fc00));
	EXPECT_FALSE(pl.is_free(0x7000, 1));
	EXPECT_EQ(3u, pl.used().size()); // IVT and BDA, zp, zp2
}

TEST(Placement, ClaimRefusesHolesAndBeyondRamNamingBoth)
{
	GuestMemory mem(16u << 20);
	Placement pl(mem);
	EXPECT_EQ("no error", error_of([&] { pl.claim(0x8000, 0x1000, "seg"); }));
	EXPECT_EQ("no error", error_of([&] { pl.claim(0x1000, 0x1000, "seg"); }));
	auto hole = error_of([&] { pl.claim(0x9f000, 0x2000, "seg"); });
	EXPECT_EQ("seg [0x9f000, 0xa1000) overlaps the memory hole [0x9fc00, 0x100000) "
		  "(EBDA, VGA and BIOS area)",
		  hole);
	auto beyond = error_of([&] { pl.claim(15u << 20, 2u << 20, "seg"); });
	EXPECT_TRUE(has(beyond, "[0xf00000, 0x1100000) lies beyond guest RAM, which ends at "
				"0x1000000"))
		<< beyond;
	GuestMemory big(4ull << 30);
	Placement pb(big);
	auto pci = error_of([&] { pb.claim(0xbff00000, 0x200000, "seg"); });
	EXPECT_TRUE(has(pci, "overlaps the memory hole [0xc0000000, 0x100000000)")) << pci;
}
