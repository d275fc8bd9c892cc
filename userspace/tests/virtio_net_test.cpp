// SPDX-License-Identifier: GPL-2.0
// virtio-net served from the VMM (`--vhost off`), with a datagram socket pair
// standing in for the tap: one datagram is one frame, as on a tap fd.
#include "devices/virtio_net.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "net/tap.h"
#include "tests/virtio_driver.h"

using namespace ringvm;

namespace {

constexpr uint64_t kRing[2] = {0x10000, 0x20000}; // desc; avail +0x1000; used +0x2000
constexpr uint64_t kBuf = 0x40000;
constexpr uint16_t kQ = 8;
constexpr uint16_t kWrite = 2;
constexpr uint64_t kV1 = 1ull << kVirtioFVersion1;

class VirtioNetTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		int sv[2];
		ASSERT_EQ(0, ::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
		dev_side = Fd(sv[0]);
		wire = Fd(sv[1]);
		dev = std::make_unique<VirtioNet>(mem, dev_side.get(), 0x525400abcdefull, nullptr);
		dev->config().write(kPciCommand, 2, kPciCommandMemory);
		dev->connect_intx(IrqLine(&lines, 11));
		drv = std::make_unique<test::VirtioDriver>(*dev);
	}
	uint64_t rd(uint64_t off, size_t size) { return drv->rd(off, size); }
	void wr(uint64_t off, uint64_t v, size_t size) { drv->wr(off, v, size); }
	void start(uint64_t features)
	{
		drv->negotiate(features);
		for (uint16_t q = 0; q < 2; q++)
			drv->setup_queue(q, kQ, kRing[q], kRing[q] + 0x1000, kRing[q] + 0x2000);
		drv->driver_ok();
	}
	void post(unsigned q, uint16_t head, uint64_t addr, uint32_t len, uint16_t flags)
	{
		uint64_t d = kRing[q] + 16 * head;
		mem.put<uint64_t>(d, addr);
		mem.put<uint32_t>(d + 8, len);
		mem.put<uint16_t>(d + 12, flags);
		mem.put<uint16_t>(d + 14, 0);
		mem.put<uint16_t>(kRing[q] + 0x1000 + 4 + 2 * (avail[q] % kQ), head);
		avail[q]++;
		mem.put<uint16_t>(kRing[q] + 0x1000 + 2, avail[q]);
	}
	uint16_t used_idx(unsigned q)
	{
		return *reinterpret_cast<uint16_t *>(mem.span(kRing[q] + 0x2000 + 2, 2).data());
	}
	uint32_t used_len(unsigned q, uint16_t i)
	{
		return *reinterpret_cast<uint32_t *>(
			mem.span(kRing[q] + 0x2000 + 4 + 8 * (i % kQ) + 4, 4).data());
	}

	GuestMemory mem{16 << 20};
	test::Lines lines;
	Fd dev_side, wire;
	std::unique_ptr<VirtioNet> dev;
	std::unique_ptr<test::VirtioDriver> drv;
	uint16_t avail[2] = {};
};

} // namespace

TEST_F(VirtioNetTest, MacIsInConfigSpaceAndOffered)
{
	EXPECT_EQ(0x1041u, dev->config().read(2, 2));
	EXPECT_EQ(0x020000u, dev->config().read(8, 4) >> 8);
	EXPECT_TRUE(rd(0x04, 4) & (1u << kVirtioNetFMac));
	uint8_t mac[6];
	for (int i = 0; i < 6; i++)
		mac[i] = static_cast<uint8_t>(rd(kVirtioDeviceOff + i, 1));
	const uint8_t want[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	EXPECT_EQ(0, std::memcmp(mac, want, 6));
	EXPECT_EQ(2u, rd(0x12, 2));
}

TEST_F(VirtioNetTest, TransmitStripsTheHeaderAndSendsTheFrame)
{
	start(kV1);
	const std::string frame = "\xff\xff\xff\xff\xff\xff" "ABCDEF" "\x08\x00" "hello, wire";
	auto b = mem.span(kBuf, kVirtioNetHdrLen + frame.size());
	std::memset(b.data(), 0, kVirtioNetHdrLen);
	std::memcpy(b.data() + kVirtioNetHdrLen, frame.data(), frame.size());
	post(kVirtioNetTx, 0, kBuf, static_cast<uint32_t>(b.size()), 0);
	wr(kVirtioNotifyOff + 4 * kVirtioNetTx, kVirtioNetTx, 2);
	char got[256];
	ssize_t n = ::recv(wire.get(), got, sizeof(got), MSG_DONTWAIT);
	ASSERT_EQ(static_cast<ssize_t>(frame.size()), n);
	EXPECT_EQ(frame, std::string(got, static_cast<size_t>(n)));
	EXPECT_EQ(1u, used_idx(kVirtioNetTx));
	EXPECT_TRUE(lines.levels[11]);
}

TEST_F(VirtioNetTest, ReceivedFrameLandsInAPostedBufferWithAHeader)
{
	start(kV1);
	post(kVirtioNetRx, 0, kBuf, 2048, kWrite);
	wr(kVirtioNotifyOff, kVirtioNetRx, 2);
	const std::string frame = "\x52\x54\x00\xab\xcd\xef" "HOSTMC" "\x08\x00" "from the host";
	ASSERT_EQ(static_cast<ssize_t>(frame.size()), ::send(wire.get(), frame.data(), frame.size(), 0));
	dev->on_tap_readable();
	ASSERT_EQ(1u, used_idx(kVirtioNetRx));
	EXPECT_EQ(kVirtioNetHdrLen + frame.size(), used_len(kVirtioNetRx, 0));
	auto b = mem.span(kBuf, kVirtioNetHdrLen + frame.size());
	EXPECT_EQ(1, b[10]); // num_buffers
	EXPECT_EQ(frame, std::string(reinterpret_cast<char *>(b.data()) + kVirtioNetHdrLen, frame.size()));
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_EQ(0u, dev->rx_dropped());
}

TEST_F(VirtioNetTest, FramesWithoutBuffersAreDroppedNotQueuedForever)
{
	start(kV1);
	ASSERT_EQ(3, ::send(wire.get(), "abc", 3, 0));
	dev->on_tap_readable();
	EXPECT_EQ(1u, dev->rx_dropped());
	EXPECT_EQ(0u, used_idx(kVirtioNetRx));
	// A buffer too small for header and frame is returned empty.
	post(kVirtioNetRx, 0, kBuf, 8, kWrite);
	ASSERT_EQ(3, ::send(wire.get(), "abc", 3, 0));
	dev->on_tap_readable();
	EXPECT_EQ(2u, dev->rx_dropped());
	EXPECT_EQ(1u, used_idx(kVirtioNetRx));
	EXPECT_EQ(0u, used_len(kVirtioNetRx, 0));
}

TEST_F(VirtioNetTest, ShortTransmitBufferNeedsReset)
{
	start(kV1);
	post(kVirtioNetTx, 0, kBuf, 4, 0); // shorter than the header
	wr(kVirtioNotifyOff + 4 * kVirtioNetTx, kVirtioNetTx, 2);
	EXPECT_TRUE(rd(0x14, 1) & kVirtioNeedsReset);
}

TEST(NetOption, ParsesAndRefuses)
{
	auto c = parse_net_option("tap=rv0,host_ip=10.0.2.1/24,mac=52:54:00:00:00:01,bridge=br0");
	EXPECT_EQ("rv0", c.tap);
	EXPECT_EQ("10.0.2.1/24", c.host_ip);
	EXPECT_EQ("br0", c.bridge);
	EXPECT_EQ(0x525400000001ull, c.mac.value());
	EXPECT_THROW(parse_net_option("bridge=br0"), Error);		   // no tap
	EXPECT_THROW(parse_net_option("tap=rv0,host_ip=10.0.2.1"), Error); // no prefix
	EXPECT_THROW(parse_net_option("tap=rv0,host_ip=10.0.2.1/33"), Error);
	EXPECT_THROW(parse_net_option("tap=rv0,mac=01:00:00:00:00:00"), Error); // multicast
	EXPECT_THROW(parse_net_option("tap=rv0,speed=10"), Error);
	EXPECT_THROW(parse_net_option("tap=rv0,model=rtl8139"), Error);
	EXPECT_EQ(NicModel::Virtio, parse_net_option("tap=rv0").model);
	EXPECT_EQ(NicModel::E1000, parse_net_option("tap=rv0,model=e1000").model);
	EXPECT_THROW(parse_net_option("tap=this-name-is-far-too-long"), Error);
}
