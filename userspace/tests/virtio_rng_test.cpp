// SPDX-License-Identifier: GPL-2.0
// virtio-rng for `--rng`: the test is the guest driver, posting write-only
// buffers and reading back what the device put there.
#include "devices/virtio_rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "tests/virtio_driver.h"

using namespace ringvm;

namespace {

constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000, kBuf = 0x20000;
constexpr uint16_t kQ = 8, kWrite = 2, kNext = 1;
constexpr uint64_t kV1 = 1ull << kVirtioFVersion1;

class VirtioRngTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		dev.config().write(kPciCommand, 2, kPciCommandMemory);
		dev.connect_intx(IrqLine(&lines, 11));
		drv.negotiate(kV1);
		drv.setup_queue(0, kQ, kDesc, kAvail, kUsed);
		drv.driver_ok();
	}
	void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next = 0)
	{
		mem.put<uint64_t>(kDesc + 16 * i, addr);
		mem.put<uint32_t>(kDesc + 16 * i + 8, len);
		mem.put<uint16_t>(kDesc + 16 * i + 12, flags);
		mem.put<uint16_t>(kDesc + 16 * i + 14, next);
	}
	void post(uint16_t head)
	{
		mem.put<uint16_t>(kAvail + 4 + 2 * (avail % kQ), head);
		avail++;
		mem.put<uint16_t>(kAvail + 2, avail);
		drv.wr(kVirtioNotifyOff, 0, 2);
	}
	uint16_t used_idx() { return *reinterpret_cast<uint16_t *>(mem.span(kUsed + 2, 2).data()); }
	uint32_t used_len(uint16_t i)
	{
		return *reinterpret_cast<uint32_t *>(mem.span(kUsed + 4 + 8 * (i % kQ) + 4, 4).data());
	}

	GuestMemory mem{1 << 20};
	VirtioRng dev{mem};
	test::Lines lines;
	test::VirtioDriver drv{dev};
	uint16_t avail = 0;
};

TEST_F(VirtioRngTest, IdentifiesAsAnEntropyDevice)
{
	// PCI device ID 0x1040 + VIRTIO_ID_RNG (4), the modern transport's rule.
	EXPECT_EQ(0x1044u, dev.config().read(0x02, 2));
}

TEST_F(VirtioRngTest, FillsWritableBuffersWithRandomBytes)
{
	auto buf = mem.span(kBuf, 256);
	std::fill(buf.begin(), buf.end(), 0);
	desc(0, kBuf, 128, kWrite | kNext, 1);
	desc(1, kBuf + 128, 128, kWrite);
	post(0);
	ASSERT_EQ(1u, used_idx());
	EXPECT_EQ(256u, used_len(0));
	EXPECT_TRUE(lines.levels[11]) << "no used-buffer interrupt";
	// 256 random bytes with no zero byte at all happen once in e^-1; with
	// more than 16 zeros, practically never. Zeros are what was there before.
	EXPECT_LT(std::count(buf.begin(), buf.end(), 0), 16);
	// A second request gets different bytes.
	std::vector<uint8_t> first(buf.begin(), buf.end());
	desc(2, kBuf, 256, kWrite);
	post(2);
	ASSERT_EQ(2u, used_idx());
	EXPECT_NE(0, std::memcmp(first.data(), mem.span(kBuf, 256).data(), 256));
	EXPECT_EQ(512u, dev.bytes_served());
}

TEST_F(VirtioRngTest, LargeRequestsAreCappedNotRefused)
{
	desc(0, kBuf, 0x30000, kWrite, 0); // 192 KiB, inside the 1 MiB of RAM
	post(0);
	ASSERT_EQ(1u, used_idx());
	EXPECT_EQ(VirtioRng::kMaxPerRequest, used_len(0));
}

TEST_F(VirtioRngTest, BufferOutsideGuestMemoryNeedsReset)
{
	desc(0, 0xfff00000ull, 64, kWrite);
	post(0);
	EXPECT_TRUE(drv.status() & kVirtioNeedsReset);
	EXPECT_EQ(0u, used_idx());
}

} // namespace
