// SPDX-License-Identifier: GPL-2.0
// MSI and MSI-X of a passed-through function as a guest driver programs
// them, against the fake broker: the capability and the MSI-X table turned
// into SET_IRQS, MSI routes and irqfds, and nothing else doing so.
#include "devices/vfio_msi.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "board/attach.h"
#include "board/machine.h"
#include "devices/acpi_pm.h"
#include "devices/vfio_pci.h"
#include "tests/fake_backend.h"
#include "tests/fake_vfio_broker.h"
#include "tests/images.h"
#include "tests/msi_recorder.h"

using namespace ringvm;
using namespace ringvm::test;

namespace {

constexpr unsigned kMsiCap = 0x50, kMsixCap = 0x70;
// 64-bit MSI with per-vector masking: address 0x54/0x58, data 0x5c,
// mask 0x60, pending 0x64.
constexpr unsigned kMsiCtrl = kMsiCap + 2, kMsiAddr = kMsiCap + 4, kMsiData = kMsiCap + 0xc,
		   kMsiMask = kMsiCap + 0x10, kMsiPending = kMsiCap + 0x14;
constexpr unsigned kMsixCtrl = kMsixCap + 2;
// The MSI-X table (4 vectors) at 0x2000 of BAR0, the PBA at 0x3000.
constexpr uint64_t kTable = 0x2000, kPba = 0x3000;
constexpr uint16_t kMsixEnable = 1u << 15, kMsixFunctionMask = 1u << 14;

// PM -> MSI (4 vectors, 64-bit, per-vector mask) -> MSI-X (4 vectors) -> PCIe.
void add_msi_caps(FakeBroker &b)
{
	b.put(0x06, 2, kPciStatusCapList);
	b.put(0x34, 1, 0x40);
	b.put(0x40, 2, 0x5001);
	b.put(kMsiCap, 2, 0x7005);
	b.put(kMsiCtrl, 2, 0x0184); // per-vector mask, 64-bit, 4 vectors capable
	b.put(kMsixCap, 2, 0x8011);
	b.put(kMsixCtrl, 2, 3); // 4 vectors
	b.put(kMsixCap + 4, 4, kTable | 0);
	b.put(kMsixCap + 8, 4, kPba | 0);
	b.put(0x80, 2, 0x0010);
	b.msi_count = 4;
	b.msix_count = 4;
}

std::vector<unsigned> chain(const std::function<uint32_t(unsigned, unsigned)> &cfg)
{
	std::vector<unsigned> ids;
	for (unsigned p = cfg(0x34, 1); p && ids.size() < 10; p = cfg(p + 1, 1))
		ids.push_back(cfg(p, 1));
	return ids;
}

uint64_t drain(int fd)
{
	uint64_t n = 0;
	return ::read(fd, &n, sizeof(n)) == sizeof(n) ? n : 0;
}

void signal(int fd)
{
	uint64_t one = 1;
	ASSERT_EQ(8, ::write(fd, &one, sizeof(one)));
}

// A function with MSI and MSI-X on the in-kernel irqchip (the fake VM's
// for INTx, a recorder for the MSI routes), BAR0 decoded.
class VfioMsiTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		VfioPciOptions o;
		o.alloc_mem_slot = [this] { return next_slot++; };
		g.add(make(fake, std::move(o), add_msi_caps));
		vm.irqchip = true;
		g.dev->attach_vm(vm);
		g.dev->intx_through_kernel(vm);
		g.dev->route_msi(msgs);
		g.set_cfg(0x04, kPciCommandMemory | 0x4, 2);
		bar0 = g.cfg(0x10);
		fake->irq_sets.clear(); // INTx's, at open
	}
	const VfioMsi &msi() { return *g.dev->msi(); }
	// MSI programmed as Linux does: address, data, then enable with
	// log2(@vectors) in Multiple Message Enable.
	void enable_msi(unsigned log2_vectors, uint32_t data = 0x41)
	{
		g.set_cfg(kMsiAddr, 0xfee00000);
		g.set_cfg(kMsiAddr + 4, 0);
		g.set_cfg(kMsiData, data, 2);
		g.set_cfg(kMsiCtrl, 1 | log2_vectors << 4, 2);
	}
	void program_entry(unsigned v, uint32_t data, bool masked)
	{
		uint64_t e = bar0 + kTable + 16 * v;
		g.mmio_write(e, 0xfee00000, 4);
		g.mmio_write(e + 4, 0, 4);
		g.mmio_write(e + 8, data, 4);
		g.mmio_write(e + 12, masked, 4);
	}
	size_t intx_irqfds() const
	{
		return std::count_if(vm.irqfds.begin(), vm.irqfds.end(), [this](const auto &i) {
			return i.fd == g.dev->intx_fd() && i.resample_fd == g.dev->intx_resample_fd();
		});
	}

	// The VM and the sink outlive the device, as in the machine.
	FakeVm vm{{}};
	Messages msgs;
	Guest g;
	FakeBroker *fake = nullptr;
	uint32_t next_slot = 9;
	uint32_t bar0 = 0;
};

} // namespace

TEST_F(VfioMsiTest, CapabilitiesAreShownAsTheDeviceHasThem)
{
	// PM, MSI, MSI-X, PCIe: nothing unlinked any more.
	EXPECT_EQ((std::vector<unsigned>{0x01, 0x05, 0x11, 0x10}),
		  chain([this](unsigned o, unsigned s) { return g.cfg(o, s); }));
	// MSI: 4 vectors capable, 64-bit, per-vector masking; off.
	EXPECT_EQ(0x0184u, g.cfg(kMsiCtrl, 2));
	// Of the rest, only Multiple Message Enable takes writes, up to
	// Multiple Message Capable.
	g.set_cfg(kMsiCtrl, 0xfffe, 2);
	EXPECT_EQ(0x01a4u, g.cfg(kMsiCtrl, 2));
	g.set_cfg(kMsiCtrl, 0x0010, 2);
	EXPECT_EQ(0x0194u, g.cfg(kMsiCtrl, 2));
	g.set_cfg(kMsiCtrl, 0, 2);
	g.set_cfg(kMsiAddr, 0xfee00003);
	EXPECT_EQ(0xfee00000u, g.cfg(kMsiAddr)); // dword aligned
	g.set_cfg(kMsiMask, 0xffffffff);
	EXPECT_EQ(0xfu, g.cfg(kMsiMask)); // a bit per vector the device has
	// MSI-X: table size 4, the device's table and PBA registers.
	EXPECT_EQ(3u, g.cfg(kMsixCtrl, 2));
	EXPECT_EQ(kTable, g.cfg(kMsixCap + 4));
	EXPECT_EQ(kPba, g.cfg(kMsixCap + 8));
	// None of it reaches the device: the broker programs its own.
	EXPECT_EQ(0u, fake->config_writes_at(kMsiAddr));
	EXPECT_EQ(0u, fake->config_writes_at(kMsiCtrl));
	EXPECT_EQ(0u, fake->get(kMsiAddr, 4));
	// Nothing asked of the broker while both are off.
	EXPECT_TRUE(fake->irq_sets.empty());
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
}

TEST_F(VfioMsiTest, MsiEnableTurnsIntxOffAndBindsEachVectorToItsRoute)
{
	EXPECT_EQ(1u, intx_irqfds());
	enable_msi(1); // 2 vectors
	// INTx off first (its irqfd too: the kernel lowers the line), then
	// one eventfd per vector.
	ASSERT_EQ(2u, fake->irq_sets.size());
	EXPECT_EQ(std::make_pair(kVfioIrqIntx, size_t{0}), fake->irq_sets[0]);
	EXPECT_EQ(std::make_pair(kVfioIrqMsi, size_t{2}), fake->irq_sets[1]);
	EXPECT_EQ(0u, intx_irqfds());
	EXPECT_FALSE(g.dev->intx_on());
	ASSERT_EQ(2u, fake->irq_fds.size());
	// Each vector's eventfd is an irqfd on a route of its own, carrying
	// the guest's message with the vector number in the data's low bits.
	for (unsigned v = 0; v < 2; v++) {
		int fd = fake->irq_fds[v];
		EXPECT_EQ(msi().vector_fd(v), fd);
		ASSERT_EQ(1u, msgs.irqfds.count(fd)) << v;
		uint32_t gsi = msgs.irqfds[fd];
		EXPECT_EQ(std::make_pair(uint64_t{0xfee00000}, 0x40u | v), msgs.routes[gsi]) << v;
	}
	EXPECT_NE(msgs.irqfds[fake->irq_fds[0]], msgs.irqfds[fake->irq_fds[1]]);
	EXPECT_TRUE(msgs.sent.empty());
}

TEST_F(VfioMsiTest, RoutesChangeOnlyWhenTheGuestWritesTheCapability)
{
	enable_msi(0);
	int writes = msgs.route_writes;
	size_t sets = fake->irq_sets.size();
	ASSERT_EQ(1u, msgs.irqfds.size());
	uint32_t gsi = msgs.irqfds.begin()->second;
	// The device interrupts: the hypervisor's business, not the VMM's.
	for (int i = 0; i < 5; i++)
		signal(fake->irq_fds[0]);
	// Config writes elsewhere, and rewriting the same message, change nothing.
	g.set_cfg(0x0c, 0x10, 1);
	g.set_cfg(kMsiData, 0x41, 2);
	g.cfg(kMsiCtrl, 2);
	EXPECT_EQ(writes, msgs.route_writes);
	EXPECT_EQ(sets, fake->irq_sets.size());
	EXPECT_TRUE(msgs.sent.empty());
	// A new vector (an affinity change): the same route and irqfd, new message.
	g.set_cfg(kMsiData, 0x52, 2);
	EXPECT_EQ(writes + 1, msgs.route_writes);
	EXPECT_EQ(std::make_pair(uint64_t{0xfee00000}, 0x52u), msgs.routes[gsi]);
	EXPECT_EQ(gsi, msgs.irqfds[fake->irq_fds[0]]);
	EXPECT_EQ(sets, fake->irq_sets.size());
}

TEST_F(VfioMsiTest, MaskedMsiVectorPendsAndIsSentWhenUnmasked)
{
	enable_msi(1);
	int fd1 = fake->irq_fds[1];
	g.set_cfg(kMsiMask, 0x2);
	EXPECT_EQ(0u, msgs.irqfds.count(fd1)); // the hypervisor must not deliver it
	EXPECT_EQ(1u, msgs.irqfds.count(fake->irq_fds[0]));
	signal(fd1);
	EXPECT_EQ(0x2u, g.cfg(kMsiPending));
	EXPECT_TRUE(msgs.sent.empty());
	g.set_cfg(kMsiMask, 0);
	EXPECT_EQ(1u, msgs.irqfds.count(fd1));
	ASSERT_EQ(1u, msgs.sent.size());
	EXPECT_EQ(std::make_pair(uint64_t{0xfee00000}, 0x41u), msgs.sent[0]);
	EXPECT_EQ(0u, g.cfg(kMsiPending));

	// What fires while masked and unlooked-at is sent at the unmask too.
	g.set_cfg(kMsiMask, 0x2);
	signal(fd1);
	g.set_cfg(kMsiMask, 0);
	EXPECT_EQ(2u, msgs.sent.size());
	EXPECT_EQ(0u, drain(fd1));
}

TEST_F(VfioMsiTest, MsiOffReturnsToIntx)
{
	enable_msi(0);
	ASSERT_EQ(kVfioIrqMsi, fake->irq_kind);
	// An EOI of a line raised before MSI went on: nothing to unmask.
	EXPECT_NO_THROW(g.dev->intx_resampled());
	EXPECT_EQ(0, fake->unmasks);
	g.set_cfg(kMsiCtrl, 0, 2);
	ASSERT_EQ(4u, fake->irq_sets.size());
	EXPECT_EQ(std::make_pair(kVfioIrqMsi, size_t{0}), fake->irq_sets[2]);
	EXPECT_EQ(std::make_pair(kVfioIrqIntx, size_t{1}), fake->irq_sets[3]);
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	EXPECT_EQ(g.dev->intx_fd(), fake->irq_fds[0]);
	EXPECT_TRUE(g.dev->intx_on());
	EXPECT_EQ(1u, intx_irqfds());
	EXPECT_TRUE(msgs.irqfds.empty());
	g.dev->intx_resampled();
	EXPECT_EQ(1, fake->unmasks);
	// And on again, with the route it had.
	uint32_t gsi = msgs.routes.begin()->first;
	g.set_cfg(kMsiCtrl, 1, 2);
	ASSERT_EQ(1u, msgs.irqfds.size());
	EXPECT_EQ(gsi, msgs.irqfds.begin()->second);
}

TEST_F(VfioMsiTest, MsixTableWritesBindTheVectorsTheGuestUnmasks)
{
	// Linux: enable with the function masked, program, then unmask.
	g.set_cfg(kMsixCtrl, kMsixEnable | kMsixFunctionMask, 2);
	ASSERT_EQ(2u, fake->irq_sets.size());
	EXPECT_EQ(std::make_pair(kVfioIrqIntx, size_t{0}), fake->irq_sets[0]);
	EXPECT_EQ(std::make_pair(kVfioIrqMsix, size_t{4}), fake->irq_sets[1]);
	EXPECT_EQ(0u, intx_irqfds());
	EXPECT_TRUE(msgs.irqfds.empty()); // everything masked
	program_entry(0, 0x30, false);
	program_entry(2, 0x32, false);
	EXPECT_TRUE(msgs.irqfds.empty()); // the function still is
	g.set_cfg(kMsixCtrl, kMsixEnable, 2);
	ASSERT_EQ(2u, msgs.irqfds.size());
	for (unsigned v : {0u, 2u}) {
		int fd = fake->irq_fds[v];
		ASSERT_EQ(1u, msgs.irqfds.count(fd)) << v;
		EXPECT_EQ(std::make_pair(uint64_t{0xfee00000}, 0x30u + v),
			  msgs.routes[msgs.irqfds[fd]]);
	}
	// The table is the VMM's copy: it reads back, the device's stays as
	// the host programmed it.
	EXPECT_EQ(0x32u, g.mmio_read(bar0 + kTable + 16 * 2 + 8, 4));
	EXPECT_EQ(0u, fake->bar_maps[0][kTable + 16 * 2 + 8]);
	// Interrupts go by without the VMM; only table writes reprogram.
	int writes = msgs.route_writes;
	signal(fake->irq_fds[0]);
	g.mmio_read(bar0 + kPba, 8);
	EXPECT_EQ(writes, msgs.route_writes);
	g.mmio_write(bar0 + kTable + 8, 0x38, 4);
	EXPECT_EQ(writes + 1, msgs.route_writes);
	EXPECT_EQ(2u, fake->irq_sets.size());

	// MSI-X off: INTx back.
	g.set_cfg(kMsixCtrl, 0, 2);
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	EXPECT_TRUE(msgs.irqfds.empty());
	EXPECT_EQ(1u, intx_irqfds());
}

TEST_F(VfioMsiTest, MsixPbaShowsWhatFiredWhileMaskedUntilUnmasked)
{
	g.set_cfg(kMsixCtrl, kMsixEnable, 2);
	program_entry(1, 0x31, true);
	int fd1 = fake->irq_fds[1];
	signal(fd1);
	EXPECT_EQ(0x2u, g.mmio_read(bar0 + kPba, 8));
	EXPECT_TRUE(msgs.sent.empty());
	g.mmio_write(bar0 + kTable + 16 + 12, 0, 4); // unmask
	ASSERT_EQ(1u, msgs.sent.size());
	EXPECT_EQ(std::make_pair(uint64_t{0xfee00000}, 0x31u), msgs.sent[0]);
	EXPECT_EQ(0u, g.mmio_read(bar0 + kPba, 8));
	EXPECT_EQ(1u, msgs.irqfds.count(fd1));
}

TEST_F(VfioMsiTest, OnlyTheMsixPagesOfTheBarTrap)
{
	// BAR0 is two slots around the table and PBA pages.
	EXPECT_EQ((std::vector<std::pair<uint64_t, uint64_t>>{{0, kTable}, {kPba + 0x1000, 0x100000}}),
		  g.dev->bar_pieces(0));
	ASSERT_EQ(2u, vm.slots.size());
	EXPECT_EQ(bar0, vm.slots[0].gpa);
	EXPECT_EQ(kTable, vm.slots[0].size);
	EXPECT_EQ(bar0 + kPba + 0x1000, vm.slots[1].gpa);
	EXPECT_EQ(0x100000 - kPba - 0x1000, vm.slots[1].size);
	EXPECT_EQ(bar0, g.dev->bar_slot_gpa(0));
	// The rest of the trapped pages is the device's.
	g.mmio_write(bar0 + kTable + 0x800, 0xabcd, 2);
	EXPECT_EQ(0xcdu, fake->bar_maps[0][kTable + 0x800]);
	EXPECT_EQ(0xabcdu, g.mmio_read(bar0 + kTable + 0x800, 2));
	// Moving the BAR moves both slots.
	g.set_cfg(0x10, bar0 + 0x400000);
	ASSERT_EQ(6u, vm.slots.size());
	EXPECT_EQ(0u, vm.slots[2].size + vm.slots[3].size);
	EXPECT_EQ(bar0 + 0x400000, vm.slots[4].gpa);
	EXPECT_EQ(bar0 + 0x400000 + kPba + 0x1000, vm.slots[5].gpa);
}

// A guest's FLR (Linux's pci_reset_function): the broker drops every
// interrupt; the VMM's copies follow, INTx comes back, and the guest's
// restore (enable cleared, then set) works.
TEST_F(VfioMsiTest, FunctionResetReturnsToIntxAndMsiCanComeBack)
{
	enable_msi(1);
	g.set_cfg(kMsiMask, 0x2);
	ASSERT_EQ(kVfioIrqMsi, fake->irq_kind);
	g.set_cfg(0x88, 0x8000 | g.cfg(0x88, 2), 2); // Initiate-FLR
	EXPECT_EQ(1, fake->flrs);
	EXPECT_EQ(0u, g.cfg(0x88, 2) & 0x8000);
	// Everything as after a reset: MSI off and unprogrammed, INTx on.
	EXPECT_EQ(-1, msi().kind());
	EXPECT_EQ(0u, msi().vectors_on());
	EXPECT_TRUE(msgs.irqfds.empty());
	EXPECT_EQ(0x0184u, g.cfg(kMsiCtrl, 2));
	EXPECT_EQ(0u, g.cfg(kMsiAddr));
	EXPECT_EQ(0u, g.cfg(kMsiMask));
	EXPECT_EQ(0u, g.cfg(kMsiPending));
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	EXPECT_EQ(g.dev->intx_fd(), fake->irq_fds[0]);
	EXPECT_TRUE(g.dev->intx_on());
	EXPECT_EQ(1u, intx_irqfds());
	g.dev->intx_resampled();
	EXPECT_EQ(1, fake->unmasks);
	// Linux restores MSI: enable cleared, the message, then enable.
	EXPECT_NO_THROW(g.set_cfg(kMsiCtrl, 0, 2));
	enable_msi(1, 0x51);
	ASSERT_EQ(kVfioIrqMsi, fake->irq_kind);
	ASSERT_EQ(2u, fake->irq_fds.size());
	EXPECT_EQ(2u, msgs.irqfds.size());
	EXPECT_EQ(0u, intx_irqfds());
}

TEST_F(VfioMsiTest, FunctionResetMasksEveryMsixVector)
{
	g.set_cfg(kMsixCtrl, kMsixEnable, 2);
	program_entry(0, 0x30, false);
	program_entry(1, 0x31, true);
	signal(fake->irq_fds[1]);
	ASSERT_EQ(0x2u, g.mmio_read(bar0 + kPba, 8));
	ASSERT_EQ(1u, msgs.irqfds.size());
	g.set_cfg(0x88, 0x8000, 2);
	EXPECT_EQ(1, fake->flrs);
	EXPECT_EQ(3u, g.cfg(kMsixCtrl, 2)); // off, the function unmasked
	for (unsigned v = 0; v < 4; v++) {
		EXPECT_EQ(0u, g.mmio_read(bar0 + kTable + 16 * v + 8, 4)) << v;
		EXPECT_EQ(1u, g.mmio_read(bar0 + kTable + 16 * v + 12, 4)) << v;
	}
	EXPECT_EQ(0u, g.mmio_read(bar0 + kPba, 8));
	EXPECT_TRUE(msgs.irqfds.empty());
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	EXPECT_EQ(1u, intx_irqfds());
	// The guest's restore asks the broker again and binds what it unmasks.
	g.set_cfg(kMsixCtrl, kMsixEnable | kMsixFunctionMask, 2);
	program_entry(0, 0x30, false);
	g.set_cfg(kMsixCtrl, kMsixEnable, 2);
	ASSERT_EQ(kVfioIrqMsix, fake->irq_kind);
	ASSERT_EQ(1u, msgs.irqfds.size());
	EXPECT_EQ(1u, msgs.irqfds.count(fake->irq_fds[0]));
}

TEST_F(VfioMsiTest, BrokerRefusalSaysWhat)
{
	// The broker offers fewer MSI vectors than at open: the guest gets
	// what it offers (the device sends only those), said once.
	fake->msi_count = 1;
	::testing::internal::CaptureStderr();
	EXPECT_NO_THROW(enable_msi(1));
	std::string err = ::testing::internal::GetCapturedStderr();
	EXPECT_EQ("ringvm: 0000:00:03.0: the broker gives the guest 1 MSI vectors of the 2 it "
		  "enabled (RINGVM_VFIO_SET_IRQS)\n",
		  err);
	EXPECT_EQ(std::make_pair(kVfioIrqMsi, size_t{2}), fake->irq_sets.at(1));
	EXPECT_EQ(std::make_pair(kVfioIrqMsi, size_t{1}), fake->irq_sets.at(2));
	EXPECT_EQ(static_cast<int>(kVfioIrqMsi), msi().kind());
	EXPECT_EQ(1u, msi().vectors_on());
	EXPECT_EQ(1u, msgs.irqfds.size());
	EXPECT_EQ(0x0195u, g.cfg(kMsiCtrl, 2)); // the guest's bits as written
	g.set_cfg(kMsiCtrl, 0, 2);

	// It refuses MSI-X (fewer vectors than the table): INTx again, the
	// guest's enable bit kept, the reason on stderr, the VM running.
	fake->msix_count = 2;
	::testing::internal::CaptureStderr();
	EXPECT_NO_THROW(g.set_cfg(kMsixCtrl, kMsixEnable, 2));
	err = ::testing::internal::GetCapturedStderr();
	EXPECT_EQ("ringvm: cannot give the guest the MSI-X of 0000:00:03.0 "
		  "(RINGVM_VFIO_SET_IRQS, 4 vectors): Invalid argument; the device stays on INTx\n",
		  err);
	EXPECT_EQ(-1, msi().kind());
	EXPECT_EQ(kMsixEnable | 3u, g.cfg(kMsixCtrl, 2));
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	EXPECT_TRUE(g.dev->intx_on());
	EXPECT_EQ(1u, intx_irqfds());
	EXPECT_TRUE(msgs.irqfds.empty());
	// Not asked again until the guest changes its request; said once.
	size_t sets = fake->irq_sets.size();
	program_entry(0, 0x30, false);
	g.set_cfg(0x0c, 0x10, 1);
	EXPECT_EQ(sets, fake->irq_sets.size());
	::testing::internal::CaptureStderr();
	g.set_cfg(kMsixCtrl, 0, 2);
	g.set_cfg(kMsixCtrl, kMsixEnable, 2);
	EXPECT_EQ("", ::testing::internal::GetCapturedStderr());
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	EXPECT_EQ(1u, intx_irqfds());
	// Offered again: the guest's next enable works.
	fake->msix_count = 4;
	g.set_cfg(kMsixCtrl, 0, 2);
	g.set_cfg(kMsixCtrl, kMsixEnable, 2);
	EXPECT_EQ(kVfioIrqMsix, fake->irq_kind);
	EXPECT_EQ(1u, msgs.irqfds.size());
	EXPECT_EQ(0u, intx_irqfds());
}

// Vectors go as the broker would have them: the irqfd unbound, then the
// broker's vectors off, then the eventfd closed; when the guest turns MSI
// off and when the device goes with MSI on.
TEST(VfioMsiTeardown, IrqfdsThenBrokerThenEventfds)
{
	Messages msgs;
	FakeBroker *fake = nullptr;
	auto dev = make(fake, {}, add_msi_caps);
	dev->route_msi(msgs);
	auto enable = [&] {
		dev->config_write(kMsiAddr, 4, 0xfee00000);
		dev->config_write(kMsiData, 2, 0x41);
		dev->config_write(kMsiCtrl, 2, 1 | 1 << 4);
		ASSERT_EQ(kVfioIrqMsi, fake->irq_kind);
		ASSERT_EQ(2u, msgs.irqfds.size());
	};
	auto open = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };
	std::vector<int> fds;
	int unbinds = 0, offs = 0;
	msgs.on_unbind = [&](int fd) {
		EXPECT_TRUE(open(fd)) << "unbound after its eventfd was closed";
		EXPECT_EQ(kVfioIrqMsi, fake->irq_kind) << "unbound after SET_IRQS off";
		unbinds++;
	};
	fake->on_set_irqs = [&](unsigned kind, std::span<const int> f) {
		if (kind != kVfioIrqMsi || !f.empty())
			return;
		EXPECT_TRUE(msgs.irqfds.empty()) << "SET_IRQS off with irqfds bound";
		for (int fd : fds)
			EXPECT_TRUE(open(fd)) << "SET_IRQS off after its eventfds were closed";
		offs++;
	};
	enable();
	fds = fake->irq_fds;
	dev->config_write(kMsiCtrl, 2, 0);
	EXPECT_EQ(2, unbinds);
	EXPECT_EQ(1, offs);
	for (int fd : fds)
		EXPECT_FALSE(open(fd));

	enable();
	fds = fake->irq_fds;
	dev.reset();
	EXPECT_EQ(4, unbinds);
	EXPECT_EQ(2, offs);
	EXPECT_TRUE(msgs.irqfds.empty());
	for (int fd : fds)
		EXPECT_FALSE(open(fd));
}

namespace {

// The guest enables MSI through port I/O, then powers off.
std::vector<FakeVcpu::Step> guest_enables_msi(unsigned slot)
{
	auto addr = [slot](unsigned off) { return 0x80000000u | slot << 11 | off; };
	return {FakeVcpu::out(0xcf8, addr(kMsiAddr), 4), FakeVcpu::out(0xcfc, 0xfee00000, 4),
		FakeVcpu::out(0xcf8, addr(kMsiData), 4), FakeVcpu::out(0xcfc, 0x45, 2),
		FakeVcpu::out(0xcf8, addr(kMsiCap), 4), FakeVcpu::out(0xcfe, 1, 2),
		// Off (a halt would stay in the in-kernel irqchip).
		FakeVcpu::out(AcpiPm::kPm1aCnt, (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn, 2)};
}

} // namespace

// Through the machine: the capabilities are offered on the in-kernel
// irqchip only, and a guest's enable lands in the VM's routing table.
TEST(VfioMsiMachine, InKernelIrqchipOffersMsiAndRoutesIt)
{
	for (bool irqchip : {false, true}) {
		SCOPED_TRACE(irqchip ? "in-kernel irqchip" : "userspace irqchip");
		Machine m(machine_config());
		auto b = std::make_unique<FakeBroker>();
		FakeBroker *fake = b.get();
		add_msi_caps(*fake);
		unsigned slot = add_passthrough(m, std::move(b));
		FakeBackend be([slot](FakeVcpu &v) {
			for (auto &s : guest_enables_msi(slot))
				v.script.push_back(s);
		});
		be.irqchip = irqchip;
		m.run(be);
		auto cfg = [&](unsigned off, unsigned size) {
			out(m.pci(), 0xcf8, 0x80000000u | slot << 11 | (off & 0xfc), 4);
			return in(m.pci(), 0xcfc + (off & 3), size);
		};
		auto ids = chain(cfg);
		bool offered = std::count(ids.begin(), ids.end(), 0x05u) &&
			       std::count(ids.begin(), ids.end(), 0x11u);
		EXPECT_EQ(irqchip, offered);
		if (!irqchip) {
			// The write went to the device and the broker refused it.
			EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
			continue;
		}
		ASSERT_EQ(kVfioIrqMsi, fake->irq_kind);
		ASSERT_EQ(1u, fake->irq_fds.size());
		const auto &routes = be.last_vm->routes;
		auto r = std::find_if(routes.begin(), routes.end(), [](const GsiRoute &r) {
			return r.msi && r.address == 0xfee00000 && r.data == 0x45;
		});
		ASSERT_NE(routes.end(), r);
		const auto &irqfds = be.last_vm->irqfds;
		ASSERT_EQ(1u, irqfds.size()); // INTx's went
		EXPECT_EQ(r->gsi, irqfds[0].gsi);
		EXPECT_EQ(fake->irq_fds[0], irqfds[0].fd);
		EXPECT_EQ(-1, irqfds[0].resample_fd);
	}
}

// A function with MSI-X and no INTx (an SR-IOV VF: ringvm_vfio offers
// none and shows pin 0) cannot interrupt a guest without local APICs: the
// run is refused, saying why, rather than started with a dead device.
TEST(VfioMsiMachine, NoIntxAndNoLocalApicIsRefused)
{
	for (bool irqchip : {false, true}) {
		SCOPED_TRACE(irqchip ? "in-kernel irqchip" : "userspace irqchip");
		Machine m(machine_config());
		auto b = std::make_unique<FakeBroker>();
		add_msi_caps(*b);
		b->put(0x3d, 1, 0);
		b->intx_count = 0;
		b->msi_count = 0;
		add_passthrough(m, std::move(b));
		FakeBackend be([](FakeVcpu &v) {
			v.script.push_back(FakeVcpu::out(AcpiPm::kPm1aCnt,
							 (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn, 2));
		});
		be.irqchip = irqchip;
		if (irqchip) {
			EXPECT_EQ(0, m.run(be)) << m.stop_reason();
			continue;
		}
		try {
			m.run(be);
			ADD_FAILURE() << "the run started";
		} catch (const Error &e) {
			EXPECT_TRUE(std::string(e.what()).find("0000:00:03.0 without the in-kernel "
							       "irqchip: it has no INTx") !=
				    std::string::npos)
				<< e.what();
		}
	}
}

// The machine's routes stop where ringvm.ko's do (GSI 1024): a route past
// it is refused, said once, instead of taken and never delivered.
TEST(VfioMsiMachine, RoutesPastTheHypervisorsGsisAreRefused)
{
	Machine m(machine_config());
	FakeBackend be([](FakeVcpu &v) {
		v.script.push_back(FakeVcpu::out(AcpiPm::kPm1aCnt,
						 (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn, 2));
	});
	be.irqchip = true;
	m.run(be);
	MsiSink *sink = m.msi_sink();
	ASSERT_NE(nullptr, sink);
	uint32_t gsi = 0;
	::testing::internal::CaptureStderr();
	while ((gsi = sink->add_msi_route()) < 1024)
		EXPECT_NO_THROW(sink->set_msi_route(gsi, 0xfee00000, 0x41));
	EXPECT_EQ("", ::testing::internal::GetCapturedStderr());
	::testing::internal::CaptureStderr();
	EXPECT_THROW(sink->set_msi_route(gsi, 0xfee00000, 0x41), Error);
	EXPECT_THROW(sink->set_msi_route(sink->add_msi_route(), 0xfee00000, 0x42), Error);
	std::string err = ::testing::internal::GetCapturedStderr();
	EXPECT_EQ(1, std::count(err.begin(), err.end(), '\n')) << err;
	EXPECT_NE(std::string::npos, err.find("no GSI left for an MSI route")) << err;
	const auto &routes = be.last_vm->routes;
	EXPECT_TRUE(std::none_of(routes.begin(), routes.end(),
				 [](const GsiRoute &r) { return r.gsi >= 1024; }));
}

// A 2048-entry MSI-X table is shown as 256 entries; the whole of the
// device's table still traps and its entries past 256 read 0.
TEST(VfioMsiCap, LargeMsixTableIsCappedForTheGuest)
{
	Messages msgs;
	FakeBroker *fake = nullptr;
	auto dev = make(fake, {}, [](FakeBroker &b) {
		add_msi_caps(b);
		b.put(kMsixCtrl, 2, 0x7ff); // 2048 entries: 32 KiB from 0x2000
		b.put(kMsixCap + 8, 4, 0xa000);
		b.msix_count = 2048;
	});
	dev->route_msi(msgs);
	EXPECT_EQ(255u, dev->config_read(kMsixCtrl, 2));
	const VfioMsi &msi = *dev->msi();
	EXPECT_EQ((std::vector<std::pair<uint64_t, uint64_t>>{{0x2000, 0xb000}}),
		  msi.trapped_pages(0));
	uint8_t d[4];
	le_store(d, 0x1234);
	dev->bar_write(0, 0x2000 + 16 * 300 + 8, d); // past what is shown: dropped
	EXPECT_EQ(0u, fake->bar_maps[0][0x2000 + 16 * 300 + 8]);
	dev->bar_read(0, 0x2000 + 16 * 300 + 12, d);
	EXPECT_EQ(0u, le_value(d));
	dev->bar_read(0, 0x2000 + 16 * 255 + 12, d);
	EXPECT_EQ(1u, le_value(d)); // the last shown entry, masked
	dev->bar_read(0, 0xa000 + 0x80, d);
	EXPECT_EQ(0u, le_value(d));
	dev->config_write(kMsixCtrl, 2, kMsixEnable);
	EXPECT_EQ(std::make_pair(kVfioIrqMsix, size_t{256}), fake->irq_sets.back());
	EXPECT_EQ(256u, msi.vectors_on());
}

// On --irqchip user (MSI-X never shown) and with MSI-X not offered, the
// table and PBA pages still trap and never reach the device's own table.
TEST(VfioMsiHidden, MsixTableNeverReachesTheDevice)
{
	for (uint32_t msix_count : {4u, 2u}) {
		SCOPED_TRACE(msix_count == 4 ? "not shown" : "not offered");
		FakeVm vm{{}};
		Guest g;
		FakeBroker *fake = nullptr;
		VfioPciOptions o;
		uint32_t slot = 9;
		o.alloc_mem_slot = [&slot] { return slot++; };
		g.add(make(fake, std::move(o), [msix_count](FakeBroker &b) {
			add_msi_caps(b);
			b.msix_count = msix_count;
		}));
		g.dev->attach_vm(vm);
		g.set_cfg(0x04, kPciCommandMemory, 2);
		uint64_t bar0 = g.cfg(0x10);
		EXPECT_EQ((std::vector<std::pair<uint64_t, uint64_t>>{{0, kTable},
								      {kPba + 0x1000, 0x100000}}),
			  g.dev->bar_pieces(0));
		fake->bar_maps[0][kTable + 12] = 0x5a;
		fake->bar_maps[0][kPba] = 0x5a;
		g.mmio_write(bar0 + kTable + 8, 0x1234, 4);
		g.mmio_write(bar0 + kTable + 12, 0, 4);
		EXPECT_EQ(0u, fake->bar_maps[0][kTable + 8]);
		EXPECT_EQ(0x5au, fake->bar_maps[0][kTable + 12]);
		EXPECT_NE(0x5au, g.mmio_read(bar0 + kTable + 12, 4));
		EXPECT_EQ(0u, g.mmio_read(bar0 + kPba, 8));
		// The rest of those pages is the device's.
		g.mmio_write(bar0 + kTable + 0x800, 0xabcd, 2);
		EXPECT_EQ(0xcdu, fake->bar_maps[0][kTable + 0x800]);
	}
}
