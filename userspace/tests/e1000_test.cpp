// SPDX-License-Identifier: GPL-2.0
// The 82540EM driven as Linux's e1000 driver drives it, with a datagram
// socket pair standing in for the tap (one datagram is one frame).
#include "devices/e1000.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "devices/e1000_regs.h"
#include "tests/virtio_driver.h"
#include "vmm/fd.h"

using namespace ringvm;
using namespace ringvm::e1000;

namespace {

constexpr uint64_t kMac = 0x525400abcdefull;
constexpr uint64_t kTxRing = 0x10000, kRxRing = 0x20000, kTxBuf = 0x40000, kRxBuf = 0x80000;
constexpr uint32_t kN = 8; // descriptors per ring

class E1000Test : public ::testing::Test {
protected:
	void SetUp() override
	{
		int sv[2];
		ASSERT_EQ(0, ::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
		dev_side = Fd(sv[0]);
		wire = Fd(sv[1]);
		dev = std::make_unique<E1000>(mem, dev_side.get(), kMac, [this] { return now; });
		dev->config().write(kPciCommand, 2, kPciCommandMemory);
		dev->connect_intx(IrqLine(&lines, 11));
	}
	uint32_t rd(uint32_t off)
	{
		uint8_t b[4];
		dev->bar_read(0, off, b);
		uint32_t v;
		std::memcpy(&v, b, 4);
		return v;
	}
	void wr(uint32_t off, uint32_t v)
	{
		uint8_t b[4];
		std::memcpy(b, &v, 4);
		dev->bar_write(0, off, b);
	}
	// e1000_read_eeprom() for Microwire: request, opcode and address out on
	// DI, 16 bits in from DO, each on a rising SK edge.
	uint16_t ee_read(unsigned addr, uint16_t opcode = kEepromReadOpcode)
	{
		wr(kEecd, kEecdReq);
		EXPECT_TRUE(rd(kEecd) & kEecdGnt);
		uint32_t e = kEecdReq | kEecdCs;
		wr(kEecd, e);
		auto out = [&](uint32_t bits, unsigned n) {
			for (int i = static_cast<int>(n) - 1; i >= 0; i--) {
				e = (e & ~kEecdDi) | (((bits >> i) & 1) ? kEecdDi : 0);
				wr(kEecd, e);
				wr(kEecd, e | kEecdSk);
				wr(kEecd, e);
			}
		};
		out(opcode, 3);
		out(addr, kEepromAddrBits);
		e &= ~kEecdDi;
		uint16_t v = 0;
		for (int i = 0; i < 16; i++) {
			wr(kEecd, e | kEecdSk);
			v = static_cast<uint16_t>(v << 1 | ((rd(kEecd) & kEecdDo) ? 1 : 0));
			wr(kEecd, e);
		}
		wr(kEecd, kEecdReq); // CS down: standby
		wr(kEecd, 0);
		return v;
	}
	uint16_t phy_read(unsigned r, unsigned phy = kPhyAddr)
	{
		wr(kMdic, kMdicOpRead | phy << 21 | r << 16);
		uint32_t v = rd(kMdic);
		EXPECT_TRUE(v & kMdicReady);
		return static_cast<uint16_t>(v);
	}
	void setup_tx()
	{
		wr(kTdbal, static_cast<uint32_t>(kTxRing));
		wr(kTdbah, 0);
		wr(kTdlen, kN * 16);
		wr(kTdh, 0);
		wr(kTdt, 0);
		wr(kTctl, kTctlEn);
	}
	void setup_rx(uint32_t rctl = kRctlEn | kRctlBam | kRctlSecrc)
	{
		wr(kRdbal, static_cast<uint32_t>(kRxRing));
		wr(kRdbah, 0);
		wr(kRdlen, kN * 16);
		for (uint32_t i = 0; i < kN; i++) {
			mem.put<uint64_t>(kRxRing + 16 * i, kRxBuf + 0x1000 * i);
			mem.put<uint64_t>(kRxRing + 16 * i + 8, 0);
		}
		wr(kRdh, 0);
		wr(kRdt, kN - 1);
		wr(kRctl, rctl);
	}
	// A data descriptor (extended format) or, with @legacy, a legacy one.
	void put_tx(uint32_t i, uint64_t addr, uint32_t len, uint8_t cmd, uint8_t popts = 0,
		    bool legacy = false)
	{
		uint64_t d = kTxRing + 16 * i;
		mem.put<uint64_t>(d, addr);
		uint32_t lower = legacy ? (len & 0xffff) | uint32_t(cmd) << 24
					: (len & 0xfffff) | kTxdDtypData << kTxdDtypShift |
						  uint32_t(cmd | kTxdCmdDext) << 24;
		mem.put<uint32_t>(d + 8, lower);
		mem.put<uint32_t>(d + 12, uint32_t(popts) << 8);
	}
	std::vector<uint8_t> wire_frame()
	{
		std::vector<uint8_t> b(70000);
		ssize_t n = ::recv(wire.get(), b.data(), b.size(), 0);
		b.resize(n < 0 ? 0 : static_cast<size_t>(n));
		return b;
	}
	std::vector<uint8_t> frame(uint64_t dst, size_t len)
	{
		std::vector<uint8_t> f(len, 0x5a);
		for (int i = 0; i < 6; i++)
			f[i] = static_cast<uint8_t>(dst >> (8 * (5 - i)));
		return f;
	}
	bool master_abort() { return dev->config().read(kPciStatus, 2) & kPciStatusRecvMasterAbort; }

	GuestMemory mem{1 << 20};
	Fd dev_side, wire;
	test::Lines lines;
	uint64_t now = 1000000;
	std::unique_ptr<E1000> dev;
};

TEST_F(E1000Test, IdentifiesAs82540EmWithLinkUp)
{
	EXPECT_EQ(0x100e8086u, dev->config().read(0, 4));
	EXPECT_EQ(0x020000u, dev->config().read(8, 4) >> 8);
	EXPECT_EQ(kE1000BarSize, dev->config().bar_size(0));
	uint32_t st = rd(kStatus);
	EXPECT_TRUE(st & kStatusLu);
	EXPECT_TRUE(st & kStatusFd);
	EXPECT_EQ(kStatusSpeed1000, st & (3u << 6));
}

TEST_F(E1000Test, EepromHoldsTheMacAndAValidChecksum)
{
	uint16_t sum = 0;
	std::vector<uint16_t> w;
	for (unsigned i = 0; i < kEepromWords; i++) {
		w.push_back(ee_read(i));
		sum = static_cast<uint16_t>(sum + w.back());
	}
	EXPECT_EQ(kEepromChecksum, sum);
	EXPECT_EQ(0x5452, w[0]); // 52:54 low byte first
	EXPECT_EQ(0xab00, w[1]);
	EXPECT_EQ(0xefcd, w[2]);
	// EERD reads the same words.
	wr(kEerd, 2u << 8 | kEerdStart);
	uint32_t v = rd(kEerd);
	EXPECT_TRUE(v & kEerdDone);
	EXPECT_EQ(0xefcdu, v >> 16);
	// Another opcode (erase/write are not implemented) shifts out nothing.
	EXPECT_EQ(0, ee_read(0, 0x5));
	EXPECT_EQ(0x5452, ee_read(0));
}

TEST_F(E1000Test, PhyIsAnM88WithLinkAndResetSelfClears)
{
	EXPECT_EQ(0x0141, phy_read(kPhyId1));
	EXPECT_EQ(0x0c20, phy_read(kPhyId2) & 0xfff0);
	EXPECT_TRUE(phy_read(kPhyStatus) & 0x0004); // link status
	wr(kMdic, kMdicOpWrite | kPhyAddr << 21 | kPhyCtrl << 16 | kPhyCtrlReset | 0x1140);
	EXPECT_EQ(0x1140, phy_read(kPhyCtrl));
	// Another PHY address is not there: the error bit.
	wr(kMdic, kMdicOpRead | 2u << 21 | kPhyId1 << 16);
	EXPECT_TRUE(rd(kMdic) & kMdicError);
}

TEST_F(E1000Test, ResetRestoresDefaultsAndRal0FromEeprom)
{
	wr(kIms, kIntLsc);
	wr(kRctl, kRctlEn);
	wr(kCtrl, kCtrlRst);
	EXPECT_EQ(0u, rd(kIms));
	EXPECT_EQ(0u, rd(kRctl));
	EXPECT_EQ(0u, rd(kCtrl) & kCtrlRst);
	EXPECT_EQ(0xab005452u, rd(kRal0));
	EXPECT_EQ(kRahAv | 0xefcdu, rd(kRal0 + 4));
}

TEST_F(E1000Test, CausesAreMaskedAndIcrReadClears)
{
	wr(kIcs, kIntLsc);
	EXPECT_FALSE(lines.levels[11]) << "masked";
	wr(kIms, kIntLsc | kIntRxt0);
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_EQ(kIntLsc | kIntRxt0, rd(kIms));
	wr(kImc, kIntLsc);
	EXPECT_FALSE(lines.levels[11]);
	wr(kIms, kIntLsc);
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_EQ(kIntLsc, rd(kIcr));
	EXPECT_FALSE(lines.levels[11]);
	EXPECT_EQ(0u, rd(kIcr));
}

TEST_F(E1000Test, ItrSpacesInterruptsThroughTheDeadline)
{
	int deadlines = 0;
	dev->on_rearm([&] { deadlines++; });
	wr(kItr, 100); // 25.6 us
	wr(kIms, kIntLsc);
	wr(kIcs, kIntLsc);
	EXPECT_TRUE(lines.levels[11]) << "the first interrupt is not held";
	rd(kIcr);
	now += 10000;
	wr(kIcs, kIntLsc);
	EXPECT_FALSE(lines.levels[11]) << "10 us after the last one";
	ASSERT_TRUE(dev->next_deadline());
	EXPECT_EQ(1000000u + 25600, *dev->next_deadline());
	EXPECT_GE(deadlines, 1);
	now = *dev->next_deadline();
	dev->expire(now);
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_FALSE(dev->next_deadline());
	// ITR 0: no throttling.
	rd(kIcr);
	wr(kItr, 0);
	wr(kIcs, kIntLsc);
	EXPECT_TRUE(lines.levels[11]);
}

TEST_F(E1000Test, TransmitsAFrameAcrossDescriptorsAndReportsStatus)
{
	setup_tx();
	wr(kIms, kIntTxdw);
	auto f = frame(0xffffffffffffull, 100);
	mem.write(kTxBuf, f);
	put_tx(0, kTxBuf, 40, 0);
	put_tx(1, kTxBuf + 40, 60, kTxdCmdEop | kTxdCmdRs);
	wr(kTdt, 2);
	EXPECT_EQ(f, wire_frame());
	EXPECT_EQ(2u, rd(kTdh));
	EXPECT_TRUE(mem.span(kTxRing + 16 + 12, 1)[0] & kTxdStatDd);
	EXPECT_FALSE(mem.span(kTxRing + 12, 1)[0] & kTxdStatDd) << "no RS, no write-back";
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_TRUE(rd(kIcr) & kIntTxdw);
	EXPECT_EQ(1u, rd(kGptc));
	EXPECT_EQ(0u, rd(kGptc)) << "statistics clear on read";
	EXPECT_EQ(100u, rd(kTotl));
}

TEST_F(E1000Test, LegacyDescriptorsTransmitToo)
{
	setup_tx();
	auto f = frame(0x020000000001ull, 64);
	mem.write(kTxBuf, f);
	put_tx(0, kTxBuf, 64, kTxdCmdEop | kTxdCmdRs, 0, true);
	wr(kTdt, 1);
	EXPECT_EQ(f, wire_frame());
}

// An IPv4/UDP frame as the stack hands it with CHECKSUM_PARTIAL: IP checksum
// 0, UDP checksum holding the pseudo-header sum.
std::vector<uint8_t> udp_frame(uint16_t *pseudo)
{
	std::vector<uint8_t> f(14 + 20 + 8 + 12, 0);
	f[12] = 0x08;
	uint8_t *ip = &f[14];
	ip[0] = 0x45;
	ip[3] = 40; // total length
	ip[8] = 64;
	ip[9] = 17;
	uint8_t src[4] = {10, 0, 0, 2}, dst[4] = {10, 0, 0, 1};
	std::memcpy(ip + 12, src, 4);
	std::memcpy(ip + 16, dst, 4);
	uint8_t *udp = ip + 20;
	udp[0] = 0x12;
	udp[2] = 0x34;
	udp[5] = 20;
	for (int i = 0; i < 12; i++)
		udp[8 + i] = static_cast<uint8_t>(i * 7);
	uint32_t s = 0x0a00 + 0x0002 + 0x0a00 + 0x0001 + 17 + 20;
	*pseudo = static_cast<uint16_t>((s & 0xffff) + (s >> 16));
	udp[6] = static_cast<uint8_t>(*pseudo >> 8);
	udp[7] = static_cast<uint8_t>(*pseudo);
	return f;
}

uint16_t fold_sum(const uint8_t *p, size_t n, uint32_t s = 0)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t(p[i]) << 8) | p[i + 1];
	if (n & 1)
		s += uint32_t(p[n - 1]) << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(s);
}

TEST_F(E1000Test, ChecksumOffloadFillsIpAndUdpChecksums)
{
	setup_tx();
	uint16_t pseudo;
	auto f = udp_frame(&pseudo);
	mem.write(kTxBuf, f);
	// Context: IP header 14..33 checksum at 24, L4 from 34, checksum at 40.
	uint64_t c = kTxRing;
	uint8_t ctx[16] = {14, 24, 33, 0, 34, 40, 0, 0};
	uint32_t lower = uint32_t(kTxdCmdDext | kTucmdIp) << 24;
	std::memcpy(ctx + 8, &lower, 4);
	mem.write(c, ctx);
	put_tx(1, kTxBuf, static_cast<uint32_t>(f.size()), kTxdCmdEop | kTxdCmdRs,
	       kTxdPoptIxsm | kTxdPoptTxsm);
	wr(kTdt, 2);
	auto out = wire_frame();
	ASSERT_EQ(f.size(), out.size());
	EXPECT_EQ(0xffff, fold_sum(&out[14], 20)) << "IP header checksum verifies";
	uint32_t ps = 0x0a00 + 0x0002 + 0x0a00 + 0x0001 + 17 + 20;
	EXPECT_EQ(0xffff, fold_sum(&out[34], 20, ps)) << "UDP checksum verifies";
	EXPECT_NE(0, out[24] | out[25]);
}

TEST_F(E1000Test, TsoSplitsATcpPacketIntoMssSegments)
{
	setup_tx();
	// Ethernet + IPv4 + TCP (20) headers, 2500 bytes of payload, MSS 1000.
	size_t hl = 54, pay = 2500;
	std::vector<uint8_t> f(hl + pay, 0);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 9] = 6;
	f[14 + 4] = 0x12; // IP ID 0x1200
	f[34 + 12] = 0x50;
	f[34 + 13] = 0x19; // FIN, PSH, ACK
	f[34 + 7] = 100;   // sequence 100
	f[34 + 17] = 6;	   // the pseudo-header sum without the length: addresses 0, TCP
	for (size_t i = 0; i < pay; i++)
		f[hl + i] = static_cast<uint8_t>(i);
	mem.write(kTxBuf, f);
	uint8_t ctx[16] = {14, 24, 33, 0, 34, 50, 0, 0};
	uint32_t lower = static_cast<uint32_t>(pay) |
			 uint32_t(kTxdCmdDext | kTucmdIp | kTucmdTcp | kTucmdTse) << 24;
	std::memcpy(ctx + 8, &lower, 4);
	ctx[13] = static_cast<uint8_t>(hl);
	uint16_t mss = 1000;
	std::memcpy(ctx + 14, &mss, 2);
	mem.write(kTxRing, ctx);
	put_tx(1, kTxBuf, static_cast<uint32_t>(f.size()), kTxdCmdEop | kTxdCmdRs | kTxdCmdTse,
	       kTxdPoptIxsm | kTxdPoptTxsm);
	wr(kTdt, 2);
	for (unsigned i = 0; i < 3; i++) {
		auto s = wire_frame();
		size_t n = i < 2 ? 1000 : 500;
		ASSERT_EQ(hl + n, s.size()) << "segment " << i;
		EXPECT_EQ(20 + 20 + n, size_t(s[16] << 8 | s[17]));
		EXPECT_EQ(0x1200 + i, unsigned(s[18] << 8 | s[19]));
		EXPECT_EQ(0xffff, fold_sum(&s[14], 20));
		EXPECT_EQ(100 + 1000 * i, unsigned(s[34 + 6] << 8 | s[34 + 7]));
		EXPECT_EQ(i < 2 ? 0x10 : 0x19, s[34 + 13]);
		uint32_t ps = 6 + 20 + static_cast<uint32_t>(n);
		EXPECT_EQ(0xffff, fold_sum(&s[34], 20 + n, ps)) << "TCP checksum, segment " << i;
		EXPECT_EQ(static_cast<uint8_t>(1000 * i), s[hl]);
	}
	EXPECT_TRUE(wire_frame().empty());
}

TEST_F(E1000Test, ReceivesIntoPostedBuffersWithFcsUnlessStripped)
{
	setup_rx(kRctlEn | kRctlBam);
	wr(kIms, kIntRxt0);
	auto f = frame(kMac, 100);
	ASSERT_EQ(100, ::send(wire.get(), f.data(), f.size(), 0));
	dev->on_tap_readable();
	EXPECT_EQ(1u, rd(kRdh));
	uint8_t *d = mem.span(kRxRing, 16).data();
	EXPECT_EQ(104, d[8] | d[9] << 8) << "length includes the FCS";
	EXPECT_EQ(kRxdStatDd | kRxdStatEop | kRxdStatIxsm, d[12]);
	EXPECT_EQ(0, std::memcmp(mem.span(kRxBuf, 100).data(), f.data(), 100));
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_TRUE(rd(kIcr) & kIntRxt0);
	EXPECT_EQ(1u, rd(kGprc));

	wr(kRctl, kRctlEn | kRctlBam | kRctlSecrc);
	auto small = frame(kMac, 20);
	dev->receive(small);
	d = mem.span(kRxRing + 16, 16).data();
	EXPECT_EQ(60, d[8] | d[9] << 8) << "padded to the minimum, no FCS";
}

TEST_F(E1000Test, LargeFramesSpanDescriptors)
{
	setup_rx(kRctlEn | kRctlSecrc | (2u << kRctlBsizeShift)); // 512-byte buffers
	dev->receive(frame(kMac, 1200));
	EXPECT_EQ(3u, rd(kRdh));
	EXPECT_EQ(kRxdStatDd | kRxdStatIxsm, mem.span(kRxRing + 12, 1)[0]);
	uint8_t *last = mem.span(kRxRing + 32, 16).data();
	EXPECT_EQ(176, last[8] | last[9] << 8);
	EXPECT_TRUE(last[12] & kRxdStatEop);
}

TEST_F(E1000Test, FiltersByAddressBroadcastAndMulticastTable)
{
	setup_rx(kRctlEn | kRctlSecrc);
	dev->receive(frame(0x525400000099ull, 60)); // another unicast address
	dev->receive(frame(0xffffffffffffull, 60)); // broadcast, BAM off
	uint64_t mc = 0x01005e000001ull;
	dev->receive(frame(mc, 60));
	EXPECT_EQ(0u, rd(kRdh));
	// The multicast hash of 01:00:5e:00:00:01 with MO 0: bits 47:36.
	unsigned hash = (0x00 >> 4 | 0x01 << 4) & 0xfff;
	wr(kMta + 4 * (hash >> 5), 1u << (hash & 31));
	dev->receive(frame(mc, 60));
	EXPECT_EQ(1u, rd(kRdh));
	EXPECT_EQ(1u, rd(kMprc));
}

TEST_F(E1000Test, NoFreeDescriptorMissesTheFrame)
{
	setup_rx();
	wr(kRdt, 0); // head == tail: the ring is empty
	wr(kIms, kIntRxo);
	dev->receive(frame(kMac, 60));
	EXPECT_EQ(0u, rd(kRdh));
	EXPECT_EQ(1u, rd(kMpc));
	EXPECT_TRUE(rd(kIcr) & kIntRxo);
	EXPECT_FALSE(master_abort());
}

TEST_F(E1000Test, TransmitRingOutsideRamStopsTransmit)
{
	setup_tx();
	wr(kTdbal, 0x00f00000u); // past the 1 MiB of RAM
	put_tx(0, kTxBuf, 60, kTxdCmdEop);
	wr(kTdt, 1);
	EXPECT_NE(std::string::npos, dev->tx_error().find("not in guest RAM"));
	EXPECT_TRUE(master_abort());
	EXPECT_TRUE(wire_frame().empty());
	// The guest clears the status bit by writing it; a new ring restarts.
	dev->config_write(kPciStatus, 2, kPciStatusRecvMasterAbort);
	EXPECT_FALSE(master_abort());
	wr(kTdbal, static_cast<uint32_t>(kTxRing));
	EXPECT_TRUE(dev->tx_error().empty());
	mem.write(kTxBuf, frame(kMac, 60));
	wr(kTdt, 1);
	EXPECT_EQ(60u, wire_frame().size());
}

TEST_F(E1000Test, TransmitBufferOutsideRamStopsTransmit)
{
	setup_tx();
	put_tx(0, (1 << 20) - 10, 60, kTxdCmdEop); // runs off the end of RAM
	put_tx(1, kTxBuf, 60, kTxdCmdEop);
	wr(kTdt, 2);
	EXPECT_NE(std::string::npos, dev->tx_error().find("transmit buffer"));
	EXPECT_TRUE(master_abort());
	EXPECT_EQ(0u, rd(kTdh)) << "the queue stops at the bad descriptor";
	EXPECT_TRUE(wire_frame().empty());
	wr(kTdt, 2);
	EXPECT_EQ(0u, rd(kTdh)) << "and stays stopped";
}

TEST_F(E1000Test, TransmitTailPastTheRingStopsTransmit)
{
	setup_tx();
	wr(kTdt, kN + 3);
	EXPECT_NE(std::string::npos, dev->tx_error().find("outside a ring of 8"));
	EXPECT_TRUE(master_abort());
}

TEST_F(E1000Test, TransmitPacketPastTheLimitStopsTransmit)
{
	setup_tx();
	for (uint32_t i = 0; i < 3; i++)
		put_tx(i, 0, 0x8000, 0); // no EOP: 96 KiB gathered
	wr(kTdt, 3);
	EXPECT_NE(std::string::npos, dev->tx_error().find("longer than"));
	EXPECT_TRUE(master_abort());
}

TEST_F(E1000Test, ReceiveBufferOutsideRamStopsReceive)
{
	setup_rx();
	mem.put<uint64_t>(kRxRing, (1 << 20) - 100);
	dev->receive(frame(kMac, 60));
	EXPECT_NE(std::string::npos, dev->rx_error().find("receive buffer"));
	EXPECT_TRUE(master_abort());
	EXPECT_EQ(0u, rd(kRdh));
	mem.put<uint64_t>(kRxRing, kRxBuf);
	dev->receive(frame(kMac, 60));
	EXPECT_EQ(0u, rd(kRdh)) << "stopped until the driver sets the ring up again";
	EXPECT_EQ(2u, dev->rx_dropped());
	wr(kRctl, 0);
	wr(kRctl, kRctlEn | kRctlSecrc);
	dev->receive(frame(kMac, 60));
	EXPECT_EQ(1u, rd(kRdh));
}

TEST_F(E1000Test, ReceiveHeadOrRingOutOfRangeStopsReceive)
{
	setup_rx();
	wr(kRdh, kN);
	dev->receive(frame(kMac, 60));
	EXPECT_NE(std::string::npos, dev->rx_error().find("outside a ring"));
	EXPECT_TRUE(master_abort());

	wr(kCtrl, kCtrlRst);
	EXPECT_TRUE(dev->rx_error().empty());
	setup_rx();
	wr(kRdbah, 1); // above 4 GiB, no RAM there
	dev->receive(frame(kMac, 60));
	EXPECT_NE(std::string::npos, dev->rx_error().find("receive ring"));
}

} // namespace
