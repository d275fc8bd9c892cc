// SPDX-License-Identifier: GPL-2.0
// MSI-X as a guest driver programs it, on a virtio device: the capability,
// the table and PBA in BAR 0, masking, and the virtio vector registers.
#include "devices/msix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "devices/virtio_rng.h"
#include "vmm/error.h"
#include "tests/msi_recorder.h"
#include "tests/virtio_driver.h"

using namespace ringvm;

namespace {

constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000, kBuf = 0x20000;
constexpr uint16_t kQ = 8, kWrite = 2;
constexpr uint64_t kV1 = 1ull << kVirtioFVersion1;
constexpr unsigned kMsixConfigReg = 0x10, kQueueSelectReg = 0x16, kQueueVectorReg = 0x1a;

using test::Messages;

class MsixTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		dev.config().write(kPciCommand, 2, kPciCommandMemory);
		dev.connect_intx(IrqLine(&lines, 11));
		dev.set_msi_sink(&msgs);
		cap = find_cap(0x11);
		ASSERT_NE(0u, cap) << "no MSI-X capability";
	}
	unsigned find_cap(uint8_t id)
	{
		for (unsigned p = dev.config_read(kPciCapList, 1); p; p = dev.config_read(p + 1, 1))
			if (dev.config_read(p, 1) == id)
				return p;
		return 0;
	}
	void control(uint16_t v) { dev.config_write(cap + 2, 2, v); }
	// Entry @v of the table: address, data, unmasked unless @masked.
	void program(unsigned v, uint64_t addr, uint32_t data, bool masked = false)
	{
		uint64_t e = table() + 16 * v;
		drv.wr(e, addr & 0xffffffff, 4);
		drv.wr(e + 4, addr >> 32, 4);
		drv.wr(e + 8, data, 4);
		drv.wr(e + 12, masked, 4);
	}
	// Queue 0's MSI-X vector.
	void queue_vector(uint16_t v)
	{
		drv.wr(kQueueSelectReg, 0, 2);
		drv.wr(kQueueVectorReg, v, 2);
	}
	uint64_t table() { return dev.config_read(cap + 4, 4) & ~7u; }
	uint64_t pba() { return dev.config_read(cap + 8, 4) & ~7u; }
	void start_queue()
	{
		drv.negotiate(kV1);
		drv.setup_queue(0, kQ, kDesc, kAvail, kUsed);
		drv.driver_ok();
	}
	void post_request()
	{
		mem.put<uint64_t>(kDesc + 16 * avail, kBuf);
		mem.put<uint32_t>(kDesc + 16 * avail + 8, 16);
		mem.put<uint16_t>(kDesc + 16 * avail + 12, kWrite);
		mem.put<uint16_t>(kAvail + 4 + 2 * (avail % kQ), avail);
		avail++;
		mem.put<uint16_t>(kAvail + 2, avail);
		drv.wr(kVirtioNotifyOff, 0, 2);
	}

	GuestMemory mem{1 << 20};
	VirtioRng dev{mem};
	test::Lines lines;
	Messages msgs;
	test::VirtioDriver drv{dev};
	unsigned cap = 0;
	uint16_t avail = 0;
};

TEST_F(MsixTest, CapabilityDescribesATableAndPbaInBarZero)
{
	// One vector per queue and one for configuration changes.
	EXPECT_EQ(dev.num_queues() + 1, (dev.config_read(cap + 2, 2) & 0x7ff) + 1u);
	EXPECT_EQ(0u, dev.config_read(cap + 4, 4) & 7);	// BIR 0
	EXPECT_EQ(0u, dev.config_read(cap + 8, 4) & 7);
	EXPECT_LE(table() + 16 * (dev.num_queues() + 1), dev.config().bar_size(0));
	EXPECT_LE(pba() + 8, dev.config().bar_size(0));
	// Reset state: every vector masked, nothing pending, MSI-X off.
	for (unsigned v = 0; v <= dev.num_queues(); v++)
		EXPECT_EQ(1u, drv.rd(table() + 16 * v + 12, 4));
	EXPECT_EQ(0u, drv.rd(pba(), 8));
	EXPECT_FALSE(dev.msix().enabled());
	// Only enable and function mask are the guest's to change.
	control(0xffff);
	EXPECT_EQ(0xc000u | dev.num_queues(), dev.config_read(cap + 2, 2));
}

TEST_F(MsixTest, VectorRegistersTakeOnlyVectorsInTheTable)
{
	drv.wr(kMsixConfigReg, 1, 2);
	EXPECT_EQ(1u, drv.rd(kMsixConfigReg, 2));
	drv.wr(kMsixConfigReg, 2, 2); // one past the table (one queue + config)
	EXPECT_EQ(Msix::kNoVector, drv.rd(kMsixConfigReg, 2));
	queue_vector(0);
	EXPECT_EQ(0u, drv.rd(kQueueVectorReg, 2));
	drv.wr(kQueueVectorReg, 0x1234, 2);
	EXPECT_EQ(Msix::kNoVector, drv.rd(kQueueVectorReg, 2));
	// A device reset forgets them (virtio 4.1.4.3).
	drv.wr(kQueueVectorReg, 0, 2);
	drv.wr(0x14, 0, 1);
	EXPECT_EQ(Msix::kNoVector, drv.rd(kQueueVectorReg, 2));
}

TEST_F(MsixTest, UsedBufferSendsTheQueuesVectorNotIntx)
{
	control(0x8000);
	program(0, 0xfee01000, 0x4041);
	queue_vector(0);
	start_queue();
	post_request();
	ASSERT_EQ(1u, msgs.sent.size());
	EXPECT_EQ(0xfee01000u, msgs.sent[0].first);
	EXPECT_EQ(0x4041u, msgs.sent[0].second);
	EXPECT_FALSE(lines.levels[11]);
	EXPECT_EQ(0u, drv.rd(kVirtioIsrOff, 1)); // nothing for an INTx handler
}

TEST_F(MsixTest, MaskedVectorIsPendingAndSentAtUnmask)
{
	control(0x8000);
	program(0, 0xfee00000, 0x31, true);
	queue_vector(0);
	start_queue();
	post_request();
	EXPECT_TRUE(msgs.sent.empty());
	EXPECT_EQ(1u, drv.rd(pba(), 8));
	drv.wr(table() + 12, 0, 4); // unmask
	ASSERT_EQ(1u, msgs.sent.size());
	EXPECT_EQ(0x31u, msgs.sent[0].second);
	EXPECT_EQ(0u, drv.rd(pba(), 8));
	// The function mask holds every vector, and its clearing sends them.
	control(0xc000);
	post_request();
	EXPECT_EQ(1u, msgs.sent.size());
	EXPECT_EQ(1u, drv.rd(pba(), 8));
	control(0x8000);
	EXPECT_EQ(2u, msgs.sent.size());
	EXPECT_EQ(0u, drv.rd(pba(), 8));
}

TEST_F(MsixTest, NoVectorMeansNoInterruptAndIntxWhileDisabled)
{
	control(0x8000);
	program(0, 0xfee00000, 0x31);
	start_queue(); // queue 0 keeps NO_VECTOR
	post_request();
	EXPECT_TRUE(msgs.sent.empty());
	EXPECT_FALSE(lines.levels[11]);
	control(0); // MSI-X off: INTx and the ISR again
	post_request();
	EXPECT_TRUE(msgs.sent.empty());
	EXPECT_TRUE(lines.levels[11]);
	EXPECT_EQ(1u, drv.rd(kVirtioIsrOff, 1));
}

TEST_F(MsixTest, ConfigurationChangeUsesTheConfigVector)
{
	control(0x8000);
	program(1, 0xfee00000, 0x42);
	drv.wr(kMsixConfigReg, 1, 2);
	start_queue();
	// A descriptor outside guest memory: the device needs a reset, which
	// it reports with a configuration-change interrupt.
	mem.put<uint64_t>(kDesc, 0xfff00000ull);
	mem.put<uint32_t>(kDesc + 8, 16);
	mem.put<uint16_t>(kDesc + 12, kWrite);
	mem.put<uint16_t>(kAvail + 4, 0);
	mem.put<uint16_t>(kAvail + 2, 1);
	drv.wr(kVirtioNotifyOff, 0, 2);
	EXPECT_TRUE(drv.status() & kVirtioNeedsReset);
	ASSERT_EQ(1u, msgs.sent.size());
	EXPECT_EQ(0x42u, msgs.sent[0].second);
}

TEST_F(MsixTest, TableAccessesOfEverySizeAndThePbaIsReadOnly)
{
	drv.wr(table(), 0xfee0200000000000ull >> 32, 8); // 8 bytes: address low and high
	EXPECT_EQ(0xfee02000u, drv.rd(table(), 4));
	drv.wr(table() + 8, 0x77, 1);
	EXPECT_EQ(0x77u, drv.rd(table() + 8, 4));
	// Reserved vector-control bits read 0.
	drv.wr(table() + 12, 0xfffffffe, 4);
	EXPECT_EQ(0u, drv.rd(table() + 12, 4));
	drv.wr(pba(), ~0ull, 8);
	EXPECT_EQ(0u, drv.rd(pba(), 8));
}

// A queue whose notifications come on an eventfd (vhost's call): while its
// vector can send, the eventfd is an irqfd on the vector's own MSI route
// and the VMM does not watch it; masked, MSI-X off or without a vector, the
// VMM watches it again.
TEST_F(MsixTest, CallEventfdIsAnIrqfdWhileItsVectorCanSend)
{
	std::map<unsigned, bool> watching{{0, true}};
	int call_fd = 42; // the sink only records it
	dev.route_calls_in_kernel({call_fd}, [&](unsigned q, bool on) { watching[q] = on; });
	EXPECT_TRUE(msgs.irqfds.empty()); // MSI-X off
	control(0x8000);
	program(0, 0xfee01000, 0x4041);
	EXPECT_TRUE(msgs.irqfds.empty()); // no vector for the queue yet
	queue_vector(0);
	ASSERT_EQ(1u, msgs.irqfds.count(call_fd));
	uint32_t gsi = msgs.irqfds[call_fd];
	EXPECT_LE(24u, gsi); // past the irqchip's pins
	EXPECT_EQ(std::make_pair(uint64_t{0xfee01000}, uint32_t{0x4041}), msgs.routes[gsi]);
	EXPECT_FALSE(watching[0]);
	// Masked: the VMM watches again (and pends what comes).
	drv.wr(table() + 12, 1, 4);
	EXPECT_TRUE(msgs.irqfds.empty());
	EXPECT_TRUE(watching[0]);
	// The guest moves the vector (new destination) and unmasks: the same
	// GSI, its route following the message.
	drv.wr(table(), 0xfee02000, 4);
	drv.wr(table() + 12, 0, 4);
	ASSERT_EQ(1u, msgs.irqfds.count(call_fd));
	EXPECT_EQ(gsi, msgs.irqfds[call_fd]);
	EXPECT_EQ(std::make_pair(uint64_t{0xfee02000}, uint32_t{0x4041}), msgs.routes[gsi]);
	EXPECT_FALSE(watching[0]);
	// The function mask, then a device reset (vectors back to NO_VECTOR).
	control(0xc000);
	EXPECT_TRUE(msgs.irqfds.empty());
	control(0x8000);
	EXPECT_EQ(1u, msgs.irqfds.size());
	drv.wr(0x14, 0, 1);
	EXPECT_TRUE(msgs.irqfds.empty());
	EXPECT_TRUE(watching[0]);
}

// A message the hypervisor will not route (here: not at the local APICs'
// window) keeps the VMM watching: it sends, and ringvm.ko/KVM drop, what
// comes; the VM goes on.
TEST_F(MsixTest, UnroutableMessageKeepsTheCallWithTheVmm)
{
	std::map<unsigned, bool> watching{{0, true}};
	dev.route_calls_in_kernel({42}, [&](unsigned q, bool on) { watching[q] = on; });
	control(0x8000);
	queue_vector(0);
	program(0, 0x1000, 0x31);
	EXPECT_TRUE(msgs.irqfds.empty());
	EXPECT_TRUE(watching[0]);
	// Pointed back at an APIC, it goes to the kernel.
	drv.wr(table(), 0xfee00000, 4);
	EXPECT_EQ(1u, msgs.irqfds.size());
	EXPECT_FALSE(watching[0]);
}

// Without a local APIC to send to, a guest that turns MSI-X on anyway
// keeps getting INTx, and no INTx is left up once messages can go.
TEST_F(MsixTest, IntxWithoutASinkAndNoneOnceMsixIsOn)
{
	dev.set_msi_sink(nullptr);
	control(0x8000);
	program(0, 0xfee00000, 0x31);
	queue_vector(0);
	start_queue();
	post_request();
	EXPECT_TRUE(msgs.sent.empty());
	EXPECT_TRUE(lines.levels[11]);
	// With a sink, turning MSI-X on again drops the INTx level.
	dev.set_msi_sink(&msgs);
	control(0);
	EXPECT_TRUE(lines.levels[11]);
	control(0x8000);
	EXPECT_FALSE(lines.levels[11]);
}

} // namespace
