// SPDX-License-Identifier: GPL-2.0
// `--vhost linux`: the ioctls the VMM sends Linux's /dev/vhost-net and the
// tap, against a fake that records them (no kernel needed), the features
// offered to the guest, and which worker `--vhost MODE` picks.
#include "vmm/vhost_net.h"

#include <sys/ioctl.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>

#include "cli/commands.h"
#include "devices/virtio_net.h"
#include "tests/virtio_driver.h"

using namespace ringvm;

namespace {

constexpr int kVhostFd = 100, kTapFd = 200;
constexpr uint64_t kEventIdx = 1ull << VIRTIO_RING_F_EVENT_IDX;
constexpr uint64_t kIndirect = 1ull << VIRTIO_RING_F_INDIRECT_DESC;
constexpr uint64_t kV1 = 1ull << VIRTIO_F_VERSION_1;
constexpr uint64_t kMac = 1ull << VIRTIO_NET_F_MAC;
constexpr uint64_t kMrg = 1ull << VIRTIO_NET_F_MRG_RXBUF;
// What 6.1's vhost-net answers VHOST_GET_FEATURES with, less EVENT_IDX:
// the device must then not offer EVENT_IDX to the guest.
constexpr uint64_t kLinuxNoEventIdx = kIndirect | kV1 | kMrg | (1ull << VHOST_F_LOG_ALL) |
				      (1ull << VHOST_NET_F_VIRTIO_NET_HDR) |
				      (1ull << VIRTIO_F_ACCESS_PLATFORM);

struct Call {
	int fd;
	unsigned long req;
	std::vector<uint8_t> arg; // _IOC_SIZE(req) bytes
	template <typename T> T as() const
	{
		T v{};
		std::memcpy(&v, arg.data(), std::min(sizeof(v), arg.size()));
		return v;
	}
};

// Stands in for /dev/vhost-net and the tap: records every ioctl, answers
// GET_FEATURES and TUNGETIFF, fails the requests in `fail`.
struct FakeKernel {
	uint64_t features = kLinuxNoEventIdx | kEventIdx;
	short tap_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	std::map<unsigned long, int> fail;
	std::vector<Call> calls;
	std::vector<vhost_memory_region> regions;

	IoctlFn fn()
	{
		return [this](int fd, unsigned long req, void *arg) {
			Call c{fd, req, {}};
			if (arg && _IOC_SIZE(req)) {
				auto *p = static_cast<uint8_t *>(arg);
				c.arg.assign(p, p + _IOC_SIZE(req));
			}
			calls.push_back(c);
			if (auto it = fail.find(req); it != fail.end()) {
				errno = it->second;
				return -1;
			}
			if (req == VHOST_GET_FEATURES)
				std::memcpy(arg, &features, sizeof(features));
			if (req == TUNGETIFF)
				static_cast<ifreq *>(arg)->ifr_flags = tap_flags;
			if (req == VHOST_SET_MEM_TABLE) {
				auto *m = static_cast<vhost_memory *>(arg);
				regions.assign(m->regions, m->regions + m->nregions);
			}
			return 0;
		};
	}
	std::vector<const Call *> of(unsigned long req) const
	{
		std::vector<const Call *> out;
		for (const auto &c : calls)
			if (c.req == req)
				out.push_back(&c);
		return out;
	}
	// The index of the first @req after index @from, or -1.
	long find(unsigned long req, size_t from = 0) const
	{
		for (size_t i = from; i < calls.size(); i++)
			if (calls[i].req == req)
				return static_cast<long>(i);
		return -1;
	}
};

std::unique_ptr<LinuxVhostNet> open_fake(FakeKernel &k)
{
	// Any fd number: the fake never touches it; dup of stdin keeps Fd's
	// close harmless.
	return std::make_unique<LinuxVhostNet>(Fd(::dup(0)), k.fn());
}

} // namespace

TEST(VhostNet, HeaderLengthFollowsVersion1AndMergeableBuffers)
{
	EXPECT_EQ(10u, virtio_net_hdr_len(0));
	EXPECT_EQ(10u, virtio_net_hdr_len(kEventIdx | kIndirect));
	EXPECT_EQ(12u, virtio_net_hdr_len(kV1));
	EXPECT_EQ(12u, virtio_net_hdr_len(kMrg));
}

TEST(VhostNet, OfferKeepsWorkerBitsOnlyWhereTheWorkerHasThem)
{
	uint64_t device = kIndirect | kEventIdx | kV1 | kMac;
	uint64_t worker_bits = kIndirect | kEventIdx | kV1;
	// MAC is the VMM's (configuration space): kept though vhost-net lacks it.
	EXPECT_EQ(kIndirect | kV1 | kMac, offer_with_worker(device, worker_bits, kLinuxNoEventIdx));
	// Bits the worker has but the device model does not are never offered.
	EXPECT_EQ(device, offer_with_worker(device, worker_bits, ~0ull));
	EXPECT_EQ(kMac, offer_with_worker(device, worker_bits, 0));
}

TEST(VhostNet, TakesOwnershipFirstAndNamesAFailedIoctl)
{
	FakeKernel k;
	k.fail[VHOST_SET_OWNER] = EBUSY;
	try {
		open_fake(k);
		FAIL() << "no error for a vhost-net owned by another process";
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.what()).find("take ownership of /dev/vhost-net"),
			  std::string::npos)
			<< e.what();
	}
	ASSERT_EQ(1u, k.calls.size());
	EXPECT_EQ(VHOST_SET_OWNER, k.calls[0].req);
}

TEST(VhostNet, MissingDeviceSaysToLoadVhostNet)
{
	try {
		LinuxVhostNet("/nonexistent/vhost-net");
		FAIL() << "opened a missing device";
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.what()).find("modprobe vhost_net"), std::string::npos)
			<< e.what();
	}
}

TEST(VhostNet, QueueRingsAreGivenAtTheVmmsAddresses)
{
	FakeKernel k;
	GuestMemory mem{16 << 20};
	auto v = open_fake(k);
	v->set_mem_table(mem);
	ASSERT_EQ(1u, k.regions.size());
	EXPECT_EQ(0u, k.regions[0].guest_phys_addr);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.span(0, 1).data()), k.regions[0].userspace_addr);
	v->start_queue(1, 256, 0x10000, 0x11000, 0x12000, 7, 8, 9);
	auto addr = k.of(VHOST_SET_VRING_ADDR);
	ASSERT_EQ(1u, addr.size());
	auto a = addr[0]->as<vhost_vring_addr>();
	EXPECT_EQ(1u, a.index);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.span(0x10000, 1).data()), a.desc_user_addr);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.span(0x11000, 1).data()), a.avail_user_addr);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(mem.span(0x12000, 1).data()), a.used_user_addr);
	EXPECT_EQ(256u, k.of(VHOST_SET_VRING_NUM)[0]->as<vhost_vring_state>().num);
	EXPECT_EQ(0u, k.of(VHOST_SET_VRING_BASE)[0]->as<vhost_vring_state>().num);
	EXPECT_EQ(7, k.of(VHOST_SET_VRING_KICK)[0]->as<vhost_vring_file>().fd);
	EXPECT_EQ(8, k.of(VHOST_SET_VRING_CALL)[0]->as<vhost_vring_file>().fd);
	EXPECT_EQ(9, k.of(VHOST_SET_VRING_ERR)[0]->as<vhost_vring_file>().fd);
}

TEST(VhostNet, RingOutsideGuestMemoryIsRefusedBeforeTheKernelSeesIt)
{
	FakeKernel k;
	GuestMemory mem{16 << 20};
	auto v = open_fake(k);
	v->set_mem_table(mem);
	// The used ring runs past the end of RAM.
	EXPECT_THROW(v->start_queue(0, 256, 0x10000, 0x11000, (16 << 20) - 64, 7, 8, 9), Error);
	EXPECT_TRUE(k.of(VHOST_SET_VRING_ADDR).empty());
}

TEST(VhostNet, TapWithoutVnetHeaderIsRefused)
{
	FakeKernel k;
	k.tap_flags = IFF_TAP | IFF_NO_PI;
	GuestMemory mem{16 << 20};
	auto v = open_fake(k);
	v->set_mem_table(mem);
	v->start_queue(0, 256, 0x10000, 0x11000, 0x12000, 7, 8, 9);
	EXPECT_THROW(v->set_backend(kTapFd), Error);
	EXPECT_TRUE(k.of(VHOST_NET_SET_BACKEND).empty());
	EXPECT_TRUE(k.of(TUNSETVNETHDRSZ).empty());
}

// The whole hand-off, driven as the guest's driver drives virtio-net: the
// offer, FEATURES_OK, the queues, DRIVER_OK, then a reset.
class VhostNetDevice : public ::testing::Test {
protected:
	void SetUp() override
	{
		k.features = kLinuxNoEventIdx;
		dev = std::make_unique<VirtioNet>(mem, kTapFd, 0x525400abcdefull, open_fake(k));
		dev->config().write(kPciCommand, 2, kPciCommandMemory);
		dev->connect_intx(IrqLine(&lines, 11));
		drv = std::make_unique<test::VirtioDriver>(*dev);
	}
	uint64_t offered()
	{
		drv->wr(0x00, 0, 4);
		uint64_t lo = drv->rd(0x04, 4);
		drv->wr(0x00, 1, 4);
		return lo | drv->rd(0x04, 4) << 32;
	}
	// Everything the driver offers accepted, both queues at 64 entries.
	void negotiate_and_set_up_queues()
	{
		drv->negotiate(offered());
		for (uint16_t q = 0; q < 2; q++)
			drv->setup_queue(q, 64, 0x10000 * (q + 1), 0x10000 * (q + 1) + 0x1000,
					 0x10000 * (q + 1) + 0x2000);
	}
	FakeKernel k;
	GuestMemory mem{16 << 20};
	test::Lines lines;
	std::unique_ptr<VirtioNet> dev;
	std::unique_ptr<test::VirtioDriver> drv;
};

TEST_F(VhostNetDevice, OffersOnlyWhatTheModelAndVhostNetBothHave)
{
	uint64_t f = offered();
	EXPECT_EQ(kIndirect | kV1 | kMac, f);
	// Bits only vhost-net has (its own header, IOTLB, logging, mergeable
	// buffers) are not the device model's to offer.
	EXPECT_FALSE(f & kMrg);
	EXPECT_FALSE(f & (1ull << VIRTIO_F_ACCESS_PLATFORM));
}

TEST_F(VhostNetDevice, DriverOkHandsTheQueuesAndTheTapToVhostNet)
{
	negotiate_and_set_up_queues();
	size_t before = k.calls.size();
	drv->driver_ok();
	EXPECT_FALSE(drv->status() & kVirtioNeedsReset);

	// The negotiated features, less the VMM's own MAC bit.
	long sf = k.find(VHOST_SET_FEATURES, before);
	ASSERT_GE(sf, 0);
	EXPECT_EQ(kIndirect | kV1, k.calls[sf].as<uint64_t>());
	// Each queue before the backend, then the tap's header size (12: VERSION_1),
	// then the backend on both queues.
	EXPECT_EQ(2u, k.of(VHOST_SET_VRING_ADDR).size());
	EXPECT_EQ(2u, k.of(VHOST_SET_VRING_KICK).size());
	long hdr = k.find(TUNSETVNETHDRSZ, before);
	ASSERT_GE(hdr, 0);
	EXPECT_EQ(kTapFd, k.calls[hdr].fd);
	EXPECT_EQ(12, k.calls[hdr].as<int>());
	EXPECT_LT(k.find(VHOST_SET_VRING_KICK, before), hdr);
	auto backends = k.of(VHOST_NET_SET_BACKEND);
	ASSERT_EQ(2u, backends.size());
	for (unsigned q = 0; q < 2; q++) {
		auto b = backends[q]->as<vhost_vring_file>();
		EXPECT_EQ(q, b.index);
		EXPECT_EQ(kTapFd, b.fd);
	}
	EXPECT_LT(hdr, k.find(VHOST_NET_SET_BACKEND, before));
	// The kick and call eventfds are the transport's own: the doorbell's
	// ioeventfd and the MSI-X vector's irqfd are wired to these.
	auto kick = k.of(VHOST_SET_VRING_KICK);
	auto callfd = k.of(VHOST_SET_VRING_CALL);
	for (unsigned q = 0; q < 2; q++) {
		EXPECT_EQ(dev->vhost()->kick_fd(q), kick[q]->as<vhost_vring_file>().fd);
		EXPECT_EQ(dev->vhost()->call_fd(q), callfd[q]->as<vhost_vring_file>().fd);
	}

	// Reset: vhost-net lets go of the tap on both queues.
	drv->wr(0x14, 0, 1);
	backends = k.of(VHOST_NET_SET_BACKEND);
	ASSERT_EQ(4u, backends.size());
	EXPECT_EQ(-1, backends[2]->as<vhost_vring_file>().fd);
	EXPECT_EQ(-1, backends[3]->as<vhost_vring_file>().fd);
}

TEST_F(VhostNetDevice, AFailedBackendIoctlNeedsReset)
{
	k.fail[VHOST_NET_SET_BACKEND] = EBADFD;
	negotiate_and_set_up_queues();
	drv->driver_ok();
	EXPECT_TRUE(drv->status() & kVirtioNeedsReset);
}

namespace {

struct Choice {
	cli::VhostChoice c;
	std::vector<std::string> notices;
};

Choice choose(const std::string &mode, bool disks, bool nets, const std::string &ringvm_why)
{
	Choice r;
	r.c = cli::choose_vhost(
		mode, disks, nets, [&] { return ringvm_why; },
		[&](const std::string &m) { r.notices.push_back(m); });
	return r;
}

} // namespace

TEST(VhostChoice, LinuxServesNetInVhostNetAndDisksInRingvmVhostWhenItOpens)
{
	auto r = choose("linux", true, true, "");
	EXPECT_TRUE(r.c.blk_ringvm);
	EXPECT_EQ(VhostKind::Linux, r.c.net);
	ASSERT_EQ(1u, r.notices.size());
	EXPECT_NE(r.notices[0].find("Linux has no vhost-blk"), std::string::npos);
}

TEST(VhostChoice, LinuxServesDisksInTheVmmWithoutRingvmVhost)
{
	auto r = choose("linux", true, true, "cannot open /dev/ringvm-vhost: module not loaded");
	EXPECT_FALSE(r.c.blk_ringvm);
	EXPECT_EQ(VhostKind::Linux, r.c.net);
	ASSERT_EQ(1u, r.notices.size());
	EXPECT_NE(r.notices[0].find("module not loaded"), std::string::npos);
	// Without disks ringvm_vhost is not even asked.
	r = choose("linux", false, true, "should not be asked");
	EXPECT_EQ(VhostKind::Linux, r.c.net);
	EXPECT_TRUE(r.notices.empty());
}

TEST(VhostChoice, OnIsRingvmAndAutoNeverPicksLinux)
{
	for (const char *m : {"on", "ringvm"}) {
		auto r = choose(m, true, true, "unavailable");
		EXPECT_TRUE(r.c.blk_ringvm) << m;
		EXPECT_EQ(VhostKind::Ringvm, r.c.net) << m;
	}
	auto r = choose("auto", true, true, "");
	EXPECT_EQ(VhostKind::Ringvm, r.c.net);
	r = choose("auto", true, true, "module not loaded");
	EXPECT_FALSE(r.c.blk_ringvm);
	EXPECT_EQ(VhostKind::Off, r.c.net);
	r = choose("off", true, true, "");
	EXPECT_FALSE(r.c.blk_ringvm);
	EXPECT_EQ(VhostKind::Off, r.c.net);
}
