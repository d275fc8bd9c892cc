// SPDX-License-Identifier: GPL-2.0
// `ringvm run --passthrough` against a fake ringvm_vfio broker: no machine
// here has both VMX and an IOMMU, so the fake plays the device node (config
// space, BARs, MAP_DMA, SET_IRQS, UNMASK_INTX, and the broker's filtering)
// and the fake backend plays the VM.
#include "devices/vfio_pci.h"

#include "board/attach.h"
#include "board/machine.h"
#include "devices/acpi_pm.h"
#include "vmm/passthrough.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>

#include "tests/fake_backend.h"
#include "tests/fake_vfio_broker.h"
#include "tests/images.h"
#include "tests/io_helpers.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

using namespace ringvm;
using namespace ringvm::test;

namespace {

std::string error_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const Error &e) {
		return e.what();
	}
	return "(no error)";
}

bool has(const std::string &s, const std::string &w)
{
	return s.find(w) != std::string::npos;
}

} // namespace

TEST(VfioPci, EveryRamRegionIsMappedForDmaAtIovaEqualsGpa)
{
	// 5 GiB: 3 GiB below the PCI hole and 2 GiB from 4 GiB up.
	GuestMemory mem(5ull << 30);
	auto b = std::make_unique<FakeBroker>();
	FakeBroker *fake = b.get();
	VfioPci dev(std::move(b), mem);
	ASSERT_EQ(2u, mem.regions().size());
	ASSERT_EQ(2u, fake->dma.size());
	uint64_t total = 0;
	for (size_t i = 0; i < 2; i++) {
		const MemRegion &r = mem.regions()[i];
		EXPECT_EQ(r.gpa, fake->dma[i].iova);
		EXPECT_EQ(r.size, fake->dma[i].size);
		EXPECT_EQ(mem.span(r.gpa, 1).data(), fake->dma[i].vaddr);
		EXPECT_EQ(kVfioDmaRead | kVfioDmaWrite, fake->dma[i].flags);
		total += fake->dma[i].size;
	}
	EXPECT_EQ(GuestMemory::kHighStart, fake->dma[1].iova);
	EXPECT_EQ(mem.size(), total);
}

TEST(VfioPci, MapDmaFailureSaysWhatAndWhy)
{
	FakeBroker *fake;
	std::string e = error_of([&] {
		make(fake, {}, [](FakeBroker &b) { b.map_dma_error = ENOMEM; });
	});
	EXPECT_TRUE(has(e, "cannot map guest RAM [0x0, 0x1000000) for DMA by 0000:00:03.0")) << e;
	EXPECT_TRUE(has(e, "ulimit -l")) << e;

	// A range the IOMMU reserves for itself (the MSI window) is named as such.
	e = error_of([&] { make(fake, {}, [](FakeBroker &b) { b.map_dma_error = EINVAL; }); });
	EXPECT_TRUE(has(e, "iommu_group/reserved_regions")) << e;

	// RAM beyond what the IOMMU translates is refused before MAP_DMA.
	e = error_of([&] {
		make(fake, {}, [](FakeBroker &b) { b.info.iova_end = 0xfffff; });
	});
	EXPECT_TRUE(has(e, "outside the IOMMU's aperture [0x0, 0xfffff]")) << e;
	EXPECT_TRUE(has(e, "less --mem")) << e;
}

TEST(VfioPci, BrokerOpenFailureSaysHowToBind)
{
	std::string dir = ::testing::TempDir() + "/vfio-dev-" + std::to_string(::getpid());
	std::filesystem::create_directories(dir);
	std::string e = error_of([&] { open_vfio_broker(kBdf, dir); });
	EXPECT_EQ("cannot open " + dir + "/0000:00:03.0: no such device (bind it first: ringvm "
		  "passthrough bind 0000:00:03.0)",
		  e);

	// A file that is not a broker node is told apart at once.
	std::ofstream(dir + "/" + kBdf) << "not a device\n";
	e = error_of([&] { open_vfio_broker(kBdf, dir); });
	EXPECT_TRUE(has(e, "not a ringvm-vfio device node")) << e;
	std::filesystem::remove_all(dir);

	// add_passthrough checks the address before opening anything.
	EXPECT_TRUE(has(error_of([] {
				MachineConfig c;
				c.mem_size = 16u << 20;
				c.console_fd = -1;
				Machine m(std::move(c));
				add_passthrough(m, "00:3.0");
			}),
			"is not a PCI address"));
}

TEST(VfioPci, NoDisintxIsAClearError)
{
	FakeBroker *fake;
	std::string e = error_of([&] {
		make(fake, {}, [](FakeBroker &b) { b.set_irqs_error = EOPNOTSUPP; });
	});
	EXPECT_TRUE(has(e, "cannot route the INTx of 0000:00:03.0")) << e;
	EXPECT_TRUE(has(e, "no local APIC for MSI")) << e;
}

TEST(VfioPci, ConfigReadsComeFromTheDeviceWritesAreForwarded)
{
	Guest g;
	FakeBroker *fake;
	g.add(make(fake));
	EXPECT_EQ(0x11e81234u, g.cfg(0x00));
	EXPECT_EQ(0x00ff0010u, g.cfg(0x08));
	fake->put(0x08, 1, 0x11); // the device's own register, read live
	EXPECT_EQ(0x11u, g.cfg(0x08, 1));
	// One function: the multi-function bit is not shown.
	EXPECT_EQ(0x00u, g.cfg(0x0e, 1));

	// Cache line size and latency timer are the device's: forwarded.
	fake->writes.clear();
	g.set_cfg(0x0c, 0x4010, 2);
	ASSERT_EQ(1u, fake->writes.size());
	EXPECT_EQ(0x0cu, fake->writes[0].off);
	EXPECT_EQ(2u, fake->writes[0].size);
	EXPECT_EQ(0x4010u, fake->get(0x0c, 2));

	// The interrupt line is the VMM's: it reads back and the device never sees it.
	fake->writes.clear();
	g.set_cfg(0x3c, 0x07, 1);
	EXPECT_EQ(0x07u, g.cfg(0x3c, 1));
	EXPECT_EQ(0u, fake->config_writes_at(0x3c));
	EXPECT_EQ(0u, fake->get(0x3c, 1));
	// Pin A whatever the device's pin (B here): the bus routes by slot.
	EXPECT_EQ(1u, g.cfg(0x3d, 1));

	// A dword write over line, pin, min_gnt and max_lat forwards only the
	// device's bytes, with naturally aligned accesses.
	fake->writes.clear();
	g.set_cfg(0x3c, 0xaabb0009);
	ASSERT_EQ(1u, fake->writes.size());
	EXPECT_EQ(0x3eu, fake->writes[0].off);
	EXPECT_EQ(2u, fake->writes[0].size);
	EXPECT_EQ(0xaabbu, fake->writes[0].value);
	EXPECT_EQ(0x09u, g.cfg(0x3c, 1));

	// An access straddling a dword reaches the device bytewise.
	fake->reads.clear();
	EXPECT_EQ(0x1000u, g.cfg(0x0b, 2));
	EXPECT_EQ(2u, fake->reads.size());
}

TEST(VfioPci, CommandKeepsTheBrokersBitsAndForwardsTheRest)
{
	Guest g;
	FakeBroker *fake;
	g.add(make(fake));
	// The guest starts with decoding, bus master and DisINTx off...
	EXPECT_EQ(0u, g.cfg(0x04, 2) & 0x0407);
	// ...and turns memory and bus master on: nothing the device must see.
	fake->writes.clear();
	g.set_cfg(0x04, 0x0006, 2);
	EXPECT_EQ(0x0006u, g.cfg(0x04, 2) & 0x0407);
	EXPECT_EQ(0u, fake->config_writes_at(0x04));
	EXPECT_EQ(0x0406u, fake->get(0x04, 2));
	// SERR and parity go to the device, with bus master and DisINTx as
	// the broker keeps them (it would refuse a change: EPERM).
	g.set_cfg(0x04, 0x0146, 2);
	EXPECT_EQ(0x0546u, fake->get(0x04, 2));
	EXPECT_EQ(0x0146u, g.cfg(0x04, 2));
	// The guest's DisINTx is its own.
	g.set_cfg(0x04, 0x0542, 2);
	EXPECT_EQ(0x0542u, g.cfg(0x04, 2));
	EXPECT_EQ(0x0546u, fake->get(0x04, 2));
}

TEST(VfioPci, MsiAndMsixAreHiddenFromTheCapabilityChain)
{
	Guest g;
	FakeBroker *fake;
	g.add(make(fake, {}, [](FakeBroker &b) { b.add_caps(); }));
	EXPECT_TRUE(g.cfg(0x06, 2) & kPciStatusCapList);
	// The guest walks PM -> PCIe; MSI (0x50) and MSI-X (0x70) are unlinked.
	std::vector<std::pair<unsigned, unsigned>> chain;
	for (unsigned p = g.cfg(0x34, 1); p; p = g.cfg(p + 1, 1)) {
		chain.push_back({p, g.cfg(p, 1)});
		ASSERT_LT(chain.size(), 10u);
	}
	ASSERT_EQ(2u, chain.size());
	EXPECT_EQ(std::make_pair(0x40u, 0x01u), chain[0]);
	EXPECT_EQ(std::make_pair(0x80u, 0x10u), chain[1]);
	// A dword read of a header patches the next pointer only.
	EXPECT_EQ(0x00008001u, g.cfg(0x40) & 0xffff);
	// The pointer is read-only to the guest.
	g.set_cfg(0x41, 0x50, 1);
	EXPECT_EQ(0x80u, g.cfg(0x41, 1));
	EXPECT_EQ(0x50u, fake->get(0x41, 1));

	// Only MSI: no capabilities at all for the guest.
	Guest h;
	h.add(make(fake, {}, [](FakeBroker &b) {
		b.put(0x06, 2, kPciStatusCapList);
		b.put(0x34, 1, 0x50);
		b.put(0x50, 2, 0x0005);
	}));
	EXPECT_EQ(0u, h.cfg(0x34, 1));
	EXPECT_EQ(0u, h.cfg(0x06, 2) & kPciStatusCapList);
}

TEST(VfioPci, BarsArePlacedByTheVmmAndSizeable)
{
	Guest g;
	FakeBroker *fake;
	g.add(make(fake));
	uint32_t bar0 = g.cfg(0x10);
	EXPECT_NE(0xfea00000u, bar0); // the host's address never shows
	EXPECT_GE(bar0, PciBus::kMmioBase);
	EXPECT_EQ(0u, bar0 % 0x100000);
	// Sizing, as Linux does it.
	fake->writes.clear();
	g.set_cfg(0x10, 0xffffffff);
	EXPECT_EQ(0xfff00000u, g.cfg(0x10));
	g.set_cfg(0x10, bar0);
	EXPECT_EQ(bar0, g.cfg(0x10));
	EXPECT_EQ(0u, fake->config_writes_at(0x10));
	EXPECT_EQ(0xfea00000u, fake->get(0x10, 4));
	// BAR3 (4 KiB, not mmap'able) is a memory BAR too; BAR2 (I/O), the
	// absent ones and the expansion ROM read as nothing.
	uint32_t bar3 = g.cfg(0x1c);
	EXPECT_GE(bar3, PciBus::kMmioBase);
	g.set_cfg(0x1c, 0xffffffff);
	EXPECT_EQ(0xfffff000u, g.cfg(0x1c));
	for (unsigned off : {0x14u, 0x18u, 0x20u, 0x24u, 0x30u}) {
		g.set_cfg(off, 0xffffffff);
		EXPECT_EQ(0u, g.cfg(off)) << off;
	}
}

TEST(VfioPci, MmapBarIsAMemorySlotThatFollowsTheGuest)
{
	FakeVm vm(nullptr);
	Guest g;
	FakeBroker *fake;
	uint32_t next_slot = 9;
	VfioPciOptions o;
	o.alloc_mem_slot = [&] { return next_slot++; };
	g.add(make(fake, std::move(o)));
	EXPECT_EQ(10u, next_slot); // one slot: BAR0 is the only mmap'able BAR
	g.dev->attach_vm(vm);
	EXPECT_TRUE(vm.slots.empty()); // decoding is off
	uint32_t bar0 = g.cfg(0x10);

	g.set_cfg(0x04, kPciCommandMemory, 2);
	ASSERT_EQ(1u, vm.slots.size());
	EXPECT_EQ(9u, vm.slots[0].slot);
	EXPECT_EQ(bar0, vm.slots[0].gpa);
	EXPECT_EQ(0x100000u, vm.slots[0].size);
	EXPECT_EQ(bar0, g.dev->bar_slot_gpa(0));

	// The guest moves the BAR: the slot is deleted (size 0), then made anew.
	g.set_cfg(0x10, bar0 + 0x1000000);
	ASSERT_EQ(3u, vm.slots.size());
	EXPECT_EQ(9u, vm.slots[1].slot);
	EXPECT_EQ(0u, vm.slots[1].size);
	EXPECT_EQ(9u, vm.slots[2].slot);
	EXPECT_EQ(bar0 + 0x1000000u, vm.slots[2].gpa);
	EXPECT_EQ(0x100000u, vm.slots[2].size);

	// Decoding off removes it; writes that change nothing map nothing.
	g.set_cfg(0x04, 0, 2);
	ASSERT_EQ(4u, vm.slots.size());
	EXPECT_EQ(0u, vm.slots[3].size);
	EXPECT_FALSE(g.dev->bar_slot_gpa(0));
	g.set_cfg(0x10, bar0);
	g.set_cfg(0x0c, 0x10, 1);
	EXPECT_EQ(4u, vm.slots.size());
}

TEST(VfioPci, TrappedBarAccessGoesThroughTheBroker)
{
	Guest g;
	FakeBroker *fake;
	g.add(make(fake));
	g.set_cfg(0x04, kPciCommandMemory, 2);
	uint32_t bar3 = g.cfg(0x1c);
	fake->reads.clear();
	EXPECT_EQ(0x5a030040u, g.mmio_read(bar3 + 0x40, 4));
	ASSERT_EQ(1u, fake->reads.size());
	EXPECT_EQ(3u, fake->reads[0].index);
	EXPECT_EQ(0x40u, fake->reads[0].off);
	EXPECT_EQ(4u, fake->reads[0].size);
	g.mmio_write(bar3 + 0x80, 0x1122334455667788ull, 8);
	ASSERT_FALSE(fake->writes.empty());
	EXPECT_EQ(3u, fake->writes.back().index);
	EXPECT_EQ(0x80u, fake->writes.back().off);
	EXPECT_EQ(8u, fake->writes.back().size);
	EXPECT_EQ(0x1122334455667788ull, fake->writes.back().value);
	// A misaligned access becomes byte accesses the broker accepts.
	fake->writes.clear();
	g.mmio_write(bar3 + 0x81, 0xbbaa, 2);
	ASSERT_EQ(2u, fake->writes.size());
	EXPECT_EQ(0x81u, fake->writes[0].off);
	EXPECT_EQ(0xaau, fake->writes[0].value);
	EXPECT_EQ(0x82u, fake->writes[1].off);

	// Without memory slots (ringvm.ko) the mmap'd BAR traps and is read
	// and written through the VMM's own mapping of it.
	uint32_t bar0 = g.cfg(0x10);
	fake->bar_maps[0][0x10] = 0x42;
	fake->reads.clear();
	EXPECT_EQ(0x42u, g.mmio_read(bar0 + 0x10, 1));
	g.mmio_write(bar0 + 0x20, 0xdeadbeef, 4);
	uint32_t v;
	std::memcpy(&v, fake->bar_maps[0] + 0x20, 4);
	EXPECT_EQ(0xdeadbeefu, v);
	EXPECT_TRUE(fake->reads.empty());
}

namespace {

void pio_out(Machine &m, uint16_t port, uint32_t v, size_t size = 1)
{
	uint8_t d[4];
	le_store({d, size}, v);
	m.pio().write(port, {d, size});
}

// The PICs as Linux programs them: vectors 0x30 and 0x38, all lines open.
void init_pics(Machine &m)
{
	const uint8_t icw[2][4] = {{0x11, 0x30, 0x04, 0x01}, {0x11, 0x38, 0x02, 0x01}};
	for (int c = 0; c < 2; c++) {
		uint16_t base = c ? 0xa0 : 0x20;
		pio_out(m, base, icw[c][0]);
		for (int i = 1; i < 4; i++)
			pio_out(m, base + 1, icw[c][i]);
		pio_out(m, base + 1, 0x00);
	}
}

// A machine with one passed-through function on a fake broker, for the
// INTx tests.
class VfioPciIntx : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto b = std::make_unique<FakeBroker>();
		fake = b.get();
		slot = add_passthrough(m, std::move(b));
		dev = dynamic_cast<VfioPci *>(m.pci().function(slot));
		ASSERT_NE(nullptr, dev);
	}
	Machine m{machine_config()};
	FakeBroker *fake = nullptr;
	unsigned slot = 0;
	VfioPci *dev = nullptr;
};

} // namespace

TEST_F(VfioPciIntx, EventfdRaisesThePicLineUntilTheGuestIsDone)
{
	// INTx is routed to an eventfd of ours.
	EXPECT_EQ(kVfioIrqIntx, fake->irq_kind);
	ASSERT_EQ(1u, fake->irq_fds.size());
	EXPECT_EQ(dev->intx_fd(), fake->irq_fds[0]);
	uint64_t one = 1;
	EXPECT_EQ(8, ::write(dev->intx_fd(), &one, 8)); // an eventfd, writable
	unsigned line = PciBus::intx_line(slot);
	ASSERT_GE(line, 8u); // on the slave for slot 1 (line 11)
	unsigned bit = 1u << (line - 8);
	init_pics(m);

	// The broker signals: the line rises and the vCPU is interrupted.
	dev->intx_fired();
	EXPECT_TRUE(m.pic().irr(1) & bit);
	EXPECT_TRUE(m.pic().intr());
	EXPECT_EQ(0x38 + line - 8, m.pic().ack());
	EXPECT_EQ(0, fake->unmasks);

	// Linux's i8259 handler: mask, EOI, service, unmask. The device is
	// unmasked only once the line is open again, not at the EOI.
	pio_out(m, 0xa1, bit);			   // mask
	pio_out(m, 0xa0, 0x60 | (line - 8));	   // specific EOI, slave
	pio_out(m, 0x20, 0x62);			   // specific EOI, cascade
	EXPECT_EQ(0, fake->unmasks);
	EXPECT_TRUE(dev->intx_pending());
	pio_out(m, 0xa1, 0x00);			   // unmask
	EXPECT_EQ(1, fake->unmasks);
	EXPECT_FALSE(dev->intx_pending());
	EXPECT_FALSE(m.pic().intr());

	// Still asserted: the broker signals again, and the line rises again.
	dev->intx_fired();
	EXPECT_TRUE(m.pic().intr());
	EXPECT_EQ(0x38 + line - 8, m.pic().ack());
	// A guest that EOIs with the line open re-arms at the EOI.
	pio_out(m, 0xa0, 0x20);
	pio_out(m, 0x20, 0x20);
	EXPECT_EQ(2, fake->unmasks);
	// Other lines' EOIs do not concern the device.
	pio_out(m, 0x21, 0x01);
	pio_out(m, 0x21, 0x00);
	EXPECT_EQ(2, fake->unmasks);

	// The guest's own DisINTx holds the line down while set (a
	// level-triggered line, so that IRR shows the level).
	pio_out(m, 0x4d1, bit);
	dev->intx_fired();
	EXPECT_TRUE(m.pic().irr(1) & bit);
	out(m.pci(), 0xcf8, 0x80000004u | (slot << 11), 4);
	out(m.pci(), 0xcfc, kPciCommandIntxDisable, 2);
	EXPECT_FALSE(m.pic().irr(1) & bit);
	out(m.pci(), 0xcfc, 0, 2);
	EXPECT_TRUE(m.pic().irr(1) & bit);
}

// With the in-kernel irqchip the VMM is out of the INTx path: the broker's
// eventfd is an irqfd on the device's line, and the guest's EOI (the
// kernel's resample eventfd) is what unmasks the device.
TEST(VfioPci, KernelIrqchipTakesIntxThroughAResampledIrqfd)
{
	Machine m(machine_config());
	auto b = std::make_unique<FakeBroker>();
	FakeBroker *fake = b.get();
	std::promise<void> unmasked;
	fake->on_unmask = [&unmasked] { unmasked.set_value(); };
	unsigned slot = add_passthrough(m, std::move(b));
	auto *dev = dynamic_cast<VfioPci *>(m.pci().function(slot));
	ASSERT_NE(nullptr, dev);
	bool unmasked_in_time = false;
	FakeBackend be([&](FakeVcpu &v) {
		// The guest EOIs: the kernel signals the resample eventfd.
		v.script.push_back([&](FakeVcpu &) {
			uint64_t one = 1;
			EXPECT_EQ(8, ::write(dev->intx_resample_fd(), &one, 8));
			unmasked_in_time = unmasked.get_future().wait_for(std::chrono::seconds(30)) ==
					   std::future_status::ready;
			// Then powers off (a halt stays in the kernel on this irqchip).
			return FakeVcpu::out(AcpiPm::kPm1aCnt,
					     (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn, 2)(v);
		});
	});
	be.irqchip = true;
	EXPECT_EQ(0, m.run(be)) << m.stop_reason();
	ASSERT_TRUE(m.kernel_irqchip());
	ASSERT_EQ(1u, be.last_vm->irqfds.size());
	const auto &irqfd = be.last_vm->irqfds[0];
	EXPECT_EQ(PciBus::intx_line(slot), irqfd.gsi);
	EXPECT_EQ(dev->intx_fd(), irqfd.fd);
	EXPECT_EQ(dev->intx_resample_fd(), irqfd.resample_fd);
	EXPECT_TRUE(unmasked_in_time);
	EXPECT_EQ(1, fake->unmasks);
	// The VMM never drives the line itself, whatever the eventfd says.
	dev->intx_fired();
	EXPECT_FALSE(dev->intx_pending());
	EXPECT_TRUE(std::none_of(be.last_vm->lines.begin(), be.last_vm->lines.end(),
				 [&](const auto &l) { return l.first == irqfd.gsi; }));
}

// A guest driver that masks INTx at the device (DisINTx) gets no unmask at
// its EOI until it clears the bit: the device, still asserting, would
// raise the line again at once.
TEST_F(VfioPciIntx, KernelUnmaskWaitsForTheGuestsDisintx)
{
	test::FakeVm vm({});
	vm.irqchip = true;
	dev->intx_through_kernel(vm);
	ASSERT_EQ(1u, vm.irqfds.size());
	out(m.pci(), 0xcf8, 0x80000004u | (slot << 11), 4);
	out(m.pci(), 0xcfc, kPciCommandIntxDisable, 2);
	dev->intx_resampled();
	EXPECT_EQ(0, fake->unmasks);
	out(m.pci(), 0xcfc, 0, 2);
	EXPECT_EQ(1, fake->unmasks);
	dev->intx_resampled(); // DisINTx clear: at once
	EXPECT_EQ(2, fake->unmasks);
}

TEST(VfioPci, MachineMapsTheBarOnceTheVmExists)
{
	Machine m(machine_config());
	unsigned slot = add_passthrough(m, std::make_unique<FakeBroker>());
	// The guest (here: the test, before it runs) enables decoding.
	out(m.pci(), 0xcf8, 0x80000010u | (slot << 11), 4);
	uint32_t bar0 = in(m.pci(), 0xcfc, 4);
	out(m.pci(), 0xcf8, 0x80000004u | (slot << 11), 4);
	out(m.pci(), 0xcfc, kPciCommandMemory, 2);
	FakeBackend be;
	m.run(be);
	auto &slots = be.last_vm->slots;
	ASSERT_EQ(2u, slots.size());
	EXPECT_EQ(0u, slots[0].gpa); // RAM first
	EXPECT_EQ(8u, slots[1].slot); // Machine::alloc_mem_slot's first
	EXPECT_EQ(bar0, slots[1].gpa);
	EXPECT_EQ(0x100000u, slots[1].size);
}

TEST(VfioPci, HostAskingForTheDeviceEndsTheVm)
{
	Machine m(machine_config());
	auto b = std::make_unique<FakeBroker>();
	FakeBroker *fake = b.get();
	add_passthrough(m, std::move(b));
	ASSERT_LE(0, fake->req_fd); // handed to the broker at open
	// The broker signals while the guest idles with interrupts on.
	FakeBackend be([fake](FakeVcpu &v) {
		v.script.push_back([fake](FakeVcpu &) {
			uint64_t one = 1;
			EXPECT_EQ(8, ::write(fake->req_fd, &one, 8));
			VcpuExit e;
			e.kind = VcpuExit::Kind::Hlt;
			e.if_flag = true;
			return e;
		});
	});
	EXPECT_EQ(kStatusDeviceReclaimed, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "the host asked for 0000:00:03.0 back")) << m.stop_reason();
}

TEST(VfioPci, BarTrapsOnAVmThatCannotMapDeviceMemory)
{
	Machine m(machine_config());
	unsigned slot = add_passthrough(m, std::make_unique<FakeBroker>());
	out(m.pci(), 0xcf8, 0x80000004u | (slot << 11), 4);
	out(m.pci(), 0xcfc, kPciCommandMemory, 2);
	FakeBackend be;
	be.device_memory = false;
	m.run(be);
	ASSERT_EQ(1u, be.last_vm->slots.size()); // RAM only: the BAR stays MMIO
	EXPECT_EQ(0u, be.last_vm->slots[0].gpa);
}

TEST(VfioPci, PciAddressesAreValidated)
{
	EXPECT_EQ("", passthrough::address_error("0000:03:00.0"));
	EXPECT_EQ("", passthrough::address_error("03:00.0"));
	EXPECT_TRUE(has(passthrough::address_error("03:00"), "is not a PCI address"));
	EXPECT_TRUE(has(passthrough::address_error("0000:00:20.0"), "is not a PCI address"));
}
