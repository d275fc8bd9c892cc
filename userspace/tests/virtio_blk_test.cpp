// SPDX-License-Identifier: GPL-2.0
// virtio-blk on the PCI transport, served from the VMM (`--vhost off`): the
// test is the guest driver, laying out a split ring in guest memory.
#include "devices/virtio_blk.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <tuple>

#include "tests/virtio_driver.h"

using namespace ringvm;

namespace {

constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000, kBuf = 0x20000;
constexpr uint16_t kQ = 8;
constexpr uint16_t kNext = 1, kWrite = 2, kIndirect = 4;

class VirtioBlkTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/ringvm-disk-XXXXXX";
		int fd = ::mkstemp(tmpl);
		ASSERT_GE(fd, 0);
		::unlink(tmpl);
		image.resize(64 * 512);
		std::mt19937 rng(7);
		for (auto &b : image)
			b = static_cast<uint8_t>(rng());
		ASSERT_EQ(static_cast<ssize_t>(image.size()), ::pwrite(fd, image.data(), image.size(), 0));
		disk = fd;
		dev = std::make_unique<VirtioBlk>(mem, Fd(::dup(fd)), image.size(), false,
						  "ringvm-test", nullptr);
		dev->config().write(kPciCommand, 2, kPciCommandMemory);
		dev->connect_intx(IrqLine(&lines, 10));
		drv = std::make_unique<test::VirtioDriver>(*dev);
	}
	void TearDown() override { ::close(disk); }

	uint64_t rd(uint64_t off, size_t size) { return drv->rd(off, size); }
	void wr(uint64_t off, uint64_t v, size_t size) { drv->wr(off, v, size); }
	uint8_t status() { return drv->status(); }

	// The handshake of virtio 1.x 3.1.1, accepting @features.
	void start(uint64_t features)
	{
		drv->negotiate(features);
		ASSERT_TRUE(status() & kVirtioFeaturesOk);
		drv->setup_queue(0, kQ, kDesc, kAvail, kUsed);
		drv->driver_ok();
	}
	void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next,
		  uint64_t table = kDesc)
	{
		mem.put<uint64_t>(table + 16 * i, addr);
		mem.put<uint32_t>(table + 16 * i + 8, len);
		mem.put<uint16_t>(table + 16 * i + 12, flags);
		mem.put<uint16_t>(table + 16 * i + 14, next);
	}
	void post(uint16_t head)
	{
		mem.put<uint16_t>(kAvail + 4 + 2 * (avail % kQ), head);
		avail++;
		mem.put<uint16_t>(kAvail + 2, avail);
	}
	void kick() { wr(kVirtioNotifyOff, 0, 2); }
	uint16_t used_idx() { return *reinterpret_cast<uint16_t *>(mem.span(kUsed + 2, 2).data()); }
	uint32_t used_len(uint16_t i)
	{
		return *reinterpret_cast<uint32_t *>(mem.span(kUsed + 4 + 8 * (i % kQ) + 4, 4).data());
	}
	// A three-descriptor request at descriptors 0-2: header, data, status.
	void request(uint32_t type, uint64_t sector, uint32_t len, bool to_device)
	{
		mem.put<uint32_t>(kBuf, type);
		mem.put<uint32_t>(kBuf + 4, 0);
		mem.put<uint64_t>(kBuf + 8, sector);
		mem.put<uint8_t>(kBuf + 0x2000, 0xee);
		desc(0, kBuf, 16, kNext, 1);
		desc(1, kBuf + 0x1000, len, kNext | (to_device ? 0 : kWrite), 2);
		desc(2, kBuf + 0x2000, 1, kWrite, 0);
		post(0);
		kick();
	}
	uint8_t req_status() { return mem.span(kBuf + 0x2000, 1)[0]; }

	GuestMemory mem{16 << 20};
	test::Lines lines;
	std::vector<uint8_t> image;
	int disk = -1;
	std::unique_ptr<VirtioBlk> dev;
	std::unique_ptr<test::VirtioDriver> drv;
	uint16_t avail = 0;
};

constexpr uint64_t kV1 = 1ull << kVirtioFVersion1;

} // namespace

TEST_F(VirtioBlkTest, CapabilitiesDescribeTheModernLayout)
{
	PciConfig &c = dev->config();
	EXPECT_EQ(0x1af4u, c.read(0, 2));
	EXPECT_EQ(0x1042u, c.read(2, 2)); // 0x1040 + virtio block
	EXPECT_EQ(1u, c.read(kPciIntPin, 1));
	std::map<unsigned, unsigned> offsets; // cfg_type -> offset in BAR 0
	unsigned vendor_caps = 0, msix_caps = 0;
	for (unsigned p = c.read(kPciCapList, 1); p; p = c.read(p + 1, 1)) {
		if (c.read(p, 1) == 0x11) { // MSI-X (msix_test.cpp)
			msix_caps++;
			continue;
		}
		ASSERT_EQ(0x09u, c.read(p, 1));
		vendor_caps++;
		EXPECT_EQ(0u, c.read(p + 4, 1)); // BAR 0
		offsets[c.read(p + 3, 1)] = c.read(p + 8, 4);
		if (c.read(p + 3, 1) == 2) {
			EXPECT_EQ(kVirtioNotifyMultiplier, c.read(p + 16, 4));
		}
	}
	EXPECT_EQ(4u, vendor_caps);
	EXPECT_EQ(1u, msix_caps);
	EXPECT_EQ(kVirtioCommonOff, offsets.at(1));
	EXPECT_EQ(kVirtioNotifyOff, offsets.at(2));
	EXPECT_EQ(kVirtioIsrOff, offsets.at(3));
	EXPECT_EQ(kVirtioDeviceOff, offsets.at(4));
	EXPECT_EQ(image.size() / 512, rd(kVirtioDeviceOff, 8)); // capacity
	EXPECT_EQ(1u, rd(0x12, 2));			      // num_queues
	EXPECT_EQ(kVirtioBlkQueueSize, rd(0x18, 2));
	EXPECT_EQ(0xffffu, rd(0x10, 2)); // no MSI-X vector until the driver sets one
}

TEST_F(VirtioBlkTest, FeaturesNotOfferedAreRefused)
{
	wr(0x00, 1, 4);
	EXPECT_EQ(1u, rd(0x04, 4) & 1); // VERSION_1 offered
	wr(0x14, kVirtioAcknowledge | kVirtioDriver, 1);
	wr(0x08, 0, 4);
	wr(0x0c, 1u << 3, 4); // a bit never offered
	wr(0x08, 1, 4);
	wr(0x0c, 1, 4);
	wr(0x14, kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk, 1);
	EXPECT_FALSE(status() & kVirtioFeaturesOk);
}

TEST_F(VirtioBlkTest, ReadReturnsTheImageAndInterrupts)
{
	start(kV1);
	request(0, 3, 1024, false);
	ASSERT_EQ(1u, used_idx());
	EXPECT_EQ(1025u, used_len(0));
	EXPECT_EQ(0, req_status());
	EXPECT_EQ(0, std::memcmp(mem.span(kBuf + 0x1000, 1024).data(), image.data() + 3 * 512, 1024));
	EXPECT_TRUE(lines.levels[10]);
	EXPECT_EQ(1u, rd(kVirtioIsrOff, 1)); // reading acknowledges
	EXPECT_FALSE(lines.levels[10]);
	EXPECT_EQ(0u, rd(kVirtioIsrOff, 1));
}

TEST_F(VirtioBlkTest, WriteLandsInTheFile)
{
	start(kV1);
	auto data = mem.span(kBuf + 0x1000, 512);
	std::memset(data.data(), 0x5a, 512);
	request(1, 10, 512, true);
	ASSERT_EQ(1u, used_idx());
	EXPECT_EQ(0, req_status());
	uint8_t back[512];
	ASSERT_EQ(512, ::pread(disk, back, 512, 10 * 512));
	EXPECT_EQ(0, std::memcmp(back, data.data(), 512));
}

TEST_F(VirtioBlkTest, RequestsPastTheEndFailWithIoErr)
{
	start(kV1);
	request(0, 63, 1024, false); // last sector + one more
	ASSERT_EQ(1u, used_idx());
	EXPECT_EQ(1, req_status());
	request(1, ~0ull / 512, 512, true); // sector * 512 overflows
	ASSERT_EQ(2u, used_idx());
	EXPECT_EQ(1, req_status());
	request(99, 0, 512, false);
	EXPECT_EQ(2, req_status()); // unsupported
}

TEST_F(VirtioBlkTest, GetIdAndFlush)
{
	start(kV1 | (1ull << kVirtioBlkFFlush));
	request(8, 0, 20, false);
	EXPECT_EQ(0, req_status());
	EXPECT_EQ(21u, used_len(0));
	EXPECT_EQ(0, std::memcmp(mem.span(kBuf + 0x1000, 11).data(), "ringvm-test", 11));
	EXPECT_EQ(0u, dev->flushes());
	// The flush has its own status: poison the byte GET_ID left at 0.
	mem.put<uint8_t>(kBuf + 0x2000, 0xee);
	mem.put<uint32_t>(kBuf, 4);
	desc(0, kBuf, 16, kNext, 2);
	post(0);
	kick();
	EXPECT_EQ(2u, used_idx());
	EXPECT_EQ(0, req_status());
	EXPECT_EQ(1u, used_len(1));
	EXPECT_EQ(1u, dev->flushes());
}

TEST_F(VirtioBlkTest, IndirectTableIsFollowed)
{
	start(kV1 | (1ull << kVirtioFIndirectDesc));
	mem.put<uint32_t>(kBuf, 0);
	mem.put<uint64_t>(kBuf + 8, 1);
	uint64_t table = 0x30000;
	desc(0, kBuf, 16, kNext, 1, table);
	desc(1, kBuf + 0x1000, 512, kNext | kWrite, 2, table);
	desc(2, kBuf + 0x2000, 1, kWrite, 0, table);
	desc(5, table, 48, kIndirect, 0);
	post(5);
	kick();
	ASSERT_EQ(1u, used_idx());
	EXPECT_EQ(0, req_status());
	EXPECT_EQ(0, std::memcmp(mem.span(kBuf + 0x1000, 512).data(), image.data() + 512, 512));
}

TEST_F(VirtioBlkTest, EventIdxSuppressesInterruptsTheDriverDidNotAskFor)
{
	start(kV1 | (1ull << kVirtioFEventIdx));
	mem.put<uint16_t>(kAvail + 4 + 2 * kQ, 0); // used_event: interrupt after the first
	request(0, 0, 512, false);
	EXPECT_TRUE(lines.levels[10]);
	rd(kVirtioIsrOff, 1);
	mem.put<uint16_t>(kAvail + 4 + 2 * kQ, 100); // far ahead: no interrupt
	request(0, 0, 512, false);
	EXPECT_EQ(2u, used_idx());
	EXPECT_FALSE(lines.levels[10]);
	// The device told the driver where to kick next (avail_event).
	EXPECT_EQ(2u, *reinterpret_cast<uint16_t *>(mem.span(kUsed + 4 + 8 * kQ, 2).data()));
}

TEST_F(VirtioBlkTest, DescriptorLoopNeedsResetAndResetRecovers)
{
	start(kV1);
	desc(0, kBuf, 16, kNext, 1);
	desc(1, kBuf + 0x1000, 512, kNext, 0); // back to 0
	post(0);
	kick();
	EXPECT_TRUE(status() & kVirtioNeedsReset);
	EXPECT_EQ(0u, used_idx());
	EXPECT_TRUE(lines.levels[10]);
	EXPECT_EQ(2u, rd(kVirtioIsrOff, 1)); // a configuration change
	// Further kicks are ignored until the driver resets the device.
	request(0, 0, 512, false);
	EXPECT_EQ(0u, used_idx());
	wr(0x14, 0, 1);
	EXPECT_EQ(0, status());
	EXPECT_EQ(0u, rd(0x1c, 2)); // queue disabled again
	mem.put<uint16_t>(kUsed + 2, 0);
	mem.put<uint16_t>(kAvail + 2, 0);
	avail = 0;
	start(kV1);
	request(0, 0, 512, false);
	EXPECT_EQ(1u, used_idx());
	EXPECT_EQ(0, req_status());
}

TEST_F(VirtioBlkTest, BufferOutsideGuestMemoryNeedsReset)
{
	start(kV1);
	mem.put<uint32_t>(kBuf, 0);
	desc(0, kBuf, 16, kNext, 1);
	desc(1, (16 << 20) - 256, 512, kNext | kWrite, 2); // runs past the end of RAM
	desc(2, kBuf + 0x2000, 1, kWrite, 0);
	post(0);
	kick();
	EXPECT_TRUE(status() & kVirtioNeedsReset);
	EXPECT_EQ(0u, used_idx());
}

TEST_F(VirtioBlkTest, AvailIndexJumpNeedsReset)
{
	start(kV1);
	mem.put<uint16_t>(kAvail + 2, kQ + 1);
	kick();
	EXPECT_TRUE(status() & kVirtioNeedsReset);
}

TEST_F(VirtioBlkTest, RingOutsideGuestMemoryNeedsReset)
{
	wr(0x14, kVirtioAcknowledge | kVirtioDriver, 1);
	wr(0x08, 1, 4);
	wr(0x0c, 1, 4);
	wr(0x14, kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk, 1);
	wr(0x20, 0xfffff000ull, 8);
	wr(0x28, kAvail, 8);
	wr(0x30, kUsed, 8);
	wr(0x1c, 1, 2);
	wr(0x14, kVirtioAcknowledge | kVirtioDriver | kVirtioFeaturesOk | kVirtioDriverOk, 1);
	EXPECT_TRUE(status() & kVirtioNeedsReset);
}

static DiskOptions disk_opts(std::string path, bool ro = false, std::string serial = "")
{
	DiskOptions o;
	o.path = std::move(path);
	o.read_only = ro;
	o.serial = std::move(serial);
	return o;
}

TEST(VirtioBlk, OpenRefusesWhatIsNotADisk)
{
	EXPECT_THROW(open_disk_image(disk_opts("/nonexistent/disk.img")), Error);
	try {
		open_disk_image(disk_opts("/dev/null")); // a character device
		ADD_FAILURE() << "/dev/null accepted as a disk";
	} catch (const Error &e) {
		EXPECT_NE(std::string::npos, std::string(e.what()).find("not a regular file"));
	}
}

TEST(VirtioBlk, DiskOptionParsing)
{
	auto o = parse_disk_option("/images/a.img,ro,serial=SN-42");
	EXPECT_EQ("/images/a.img", o.path);
	EXPECT_TRUE(o.read_only);
	EXPECT_EQ("SN-42", o.serial);
	o = parse_disk_option("plain.img");
	EXPECT_FALSE(o.read_only);
	EXPECT_TRUE(o.serial.empty());
	auto msg = [](const std::string &spec) {
		try {
			parse_disk_option(spec);
		} catch (const Error &e) {
			return std::string(e.what());
		}
		return std::string("accepted");
	};
	EXPECT_NE(std::string::npos, msg("a.img,rw").find("unknown option 'rw'"));
	EXPECT_NE(std::string::npos, msg("a.img,serial=").find("1 to 20 characters"));
	EXPECT_NE(std::string::npos, msg("a.img,serial=123456789012345678901").find("1 to 20"));
	EXPECT_NE(std::string::npos, msg("a.img,serial=a b").find("printable ASCII"));
	EXPECT_NE(std::string::npos, msg(",ro").find("give a path"));
}

// ,ro opens the file read-only even when it could be written, offers
// VIRTIO_BLK_F_RO, and the device refuses writes whatever the driver does.
TEST(VirtioBlk, ReadOnlyDiskIsOfferedAndEnforcedAsSuch)
{
	char tmpl[] = "/tmp/ringvm-ro-XXXXXX";
	Fd f(::mkstemp(tmpl));
	ASSERT_GE(f.get(), 0);
	std::vector<uint8_t> zero(4096, 0);
	ASSERT_EQ(4096, ::pwrite(f.get(), zero.data(), zero.size(), 0));
	auto img = open_disk_image(disk_opts(tmpl, true, "SERIAL-1"));
	::unlink(tmpl);
	EXPECT_EQ(O_RDONLY, ::fcntl(img.fd.get(), F_GETFL) & O_ACCMODE);
	GuestMemory mem(1 << 20);
	auto dev = VirtioBlk::create(mem, std::move(img), false);
	dev->config().write(kPciCommand, 2, kPciCommandMemory);
	test::VirtioDriver drv(*dev);
	uint64_t offered = drv.rd(0x04, 4);
	EXPECT_TRUE(offered & (1u << kVirtioBlkFRo));
	drv.negotiate(kV1 | (1ull << kVirtioBlkFRo));
	drv.setup_queue(0, kQ, kDesc, kAvail, kUsed);
	drv.driver_ok();
	// A write of one sector of 0xaa, then GET_ID.
	mem.put<uint32_t>(kBuf, VIRTIO_BLK_T_OUT);
	mem.put<uint64_t>(kBuf + 8, 0);
	std::memset(mem.span(kBuf + 0x1000, 512).data(), 0xaa, 512);
	auto put_desc = [&](uint16_t i, uint64_t a, uint32_t l, uint16_t fl, uint16_t n) {
		mem.put<uint64_t>(kDesc + 16 * i, a);
		mem.put<uint32_t>(kDesc + 16 * i + 8, l);
		mem.put<uint16_t>(kDesc + 16 * i + 12, fl);
		mem.put<uint16_t>(kDesc + 16 * i + 14, n);
	};
	put_desc(0, kBuf, 16, kNext, 1);
	put_desc(1, kBuf + 0x1000, 512, kNext, 2);
	put_desc(2, kBuf + 0x2000, 1, kWrite, 0);
	mem.put<uint16_t>(kAvail + 4, 0);
	mem.put<uint16_t>(kAvail + 2, 1);
	drv.wr(kVirtioNotifyOff, 0, 2);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, mem.span(kBuf + 0x2000, 1)[0]);
	uint8_t back[512];
	ASSERT_EQ(512, ::pread(f.get(), back, 512, 0));
	EXPECT_EQ(0, back[0]) << "a read-only disk was written";

	mem.put<uint32_t>(kBuf + 0x3000, VIRTIO_BLK_T_GET_ID);
	put_desc(3, kBuf + 0x3000, 16, kNext, 4);
	put_desc(4, kBuf + 0x4000, 20, kNext | kWrite, 5);
	put_desc(5, kBuf + 0x5000, 1, kWrite, 0);
	mem.put<uint16_t>(kAvail + 6, 3);
	mem.put<uint16_t>(kAvail + 2, 2);
	drv.wr(kVirtioNotifyOff, 0, 2);
	EXPECT_EQ(VIRTIO_BLK_S_OK, mem.span(kBuf + 0x5000, 1)[0]);
	EXPECT_EQ(0, std::memcmp(mem.span(kBuf + 0x4000, 9).data(), "SERIAL-1\0", 9));
}

namespace {

// A transport-only device that hands its queue's doorbell to the kernel on
// DRIVER_OK, as the vhost-backed devices do.
class DoorbellDev final : public VirtioPci {
public:
	DoorbellDev() : VirtioPci(2, 0x018000, 1, 8, 0) {}
	int notified = 0;

protected:
	void device_config_read(uint64_t, std::span<uint8_t> d) override { le_store(d, 0); }
	void queue_notify(unsigned) override { notified++; }
	void driver_ok() override { bind_doorbell(0, 42); }
	void device_reset() override {}
};

} // namespace

TEST(VirtioPci, DoorbellGoesToTheKernelUntilReset)
{
	PciBus bus;
	IoBus mmio("mmio");
	bus.attach_mmio(mmio);
	auto owned = std::make_unique<DoorbellDev>();
	DoorbellDev &dev = *owned;
	std::vector<std::tuple<uint64_t, int, bool>> calls;
	dev.set_doorbell_fn([&](uint64_t gpa, int fd, bool assign) {
		calls.emplace_back(gpa, fd, assign);
		return true;
	});
	bus.add(1, std::move(owned));
	dev.config().write(kPciCommand, 2, kPciCommandMemory);
	uint64_t bar = dev.config().bar_address(0);
	ringvm::test::VirtioDriver drv(dev);
	drv.negotiate(1ull << kVirtioFVersion1);
	drv.setup_queue(0, 8, 0x10000, 0x11000, 0x12000);
	drv.driver_ok();
	ASSERT_EQ(1u, calls.size());
	EXPECT_EQ(std::make_tuple(bar + kVirtioNotifyOff, 42, true), calls[0]);
	EXPECT_EQ(1u, dev.doorbells_in_kernel());
	// A doorbell that still reaches the VMM (say, an old module) is served.
	drv.wr(kVirtioNotifyOff, 0, 2);
	EXPECT_EQ(1, dev.notified);
	drv.wr(0x14, 0, 1); // reset
	ASSERT_EQ(2u, calls.size());
	EXPECT_EQ(std::make_tuple(bar + kVirtioNotifyOff, 42, false), calls[1]);
	EXPECT_EQ(0u, dev.doorbells_in_kernel());
}

TEST(VirtioPci, RefusedDoorbellStaysWithTheVmm)
{
	auto dev = std::make_unique<DoorbellDev>();
	dev->set_doorbell_fn([](uint64_t, int, bool) { return false; });
	dev->config().write(kPciCommand, 2, kPciCommandMemory);
	ringvm::test::VirtioDriver drv(*dev);
	drv.negotiate(1ull << kVirtioFVersion1);
	drv.setup_queue(0, 8, 0x10000, 0x11000, 0x12000);
	drv.driver_ok();
	EXPECT_EQ(0u, dev->doorbells_in_kernel());
	drv.wr(kVirtioNotifyOff, 0, 2);
	EXPECT_EQ(1, dev->notified);
}
