// SPDX-License-Identifier: GPL-2.0
#include "vmm/vfio_broker.h"

#include <fcntl.h>
#include <linux/ringvm_vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "vmm/error.h"
#include "vmm/fd.h"

namespace ringvm {

static_assert(kVfioRegionConfig == RINGVM_VFIO_REGION_CONFIG);
static_assert(kVfioNumRegions == RINGVM_VFIO_NUM_REGIONS);
static_assert(kVfioRegionMmap == RINGVM_VFIO_REGION_MMAP);
static_assert(kVfioRegionIoPort == RINGVM_VFIO_REGION_IO_PORT);
static_assert(kVfioIrqIntx == RINGVM_VFIO_IRQ_INTX && kVfioIrqMsix == RINGVM_VFIO_IRQ_MSIX);
static_assert(kVfioDeviceIntxMask == RINGVM_VFIO_DEVICE_FLAG_INTX_MASK);
static_assert(kVfioDmaRead == RINGVM_VFIO_DMA_READ && kVfioDmaWrite == RINGVM_VFIO_DMA_WRITE);

RegionMapping &RegionMapping::operator=(RegionMapping &&o) noexcept
{
	if (this != &o) {
		reset();
		addr_ = std::exchange(o.addr_, nullptr);
		size_ = std::exchange(o.size_, 0);
	}
	return *this;
}

void RegionMapping::reset() noexcept
{
	if (addr_)
		::munmap(addr_, size_);
	addr_ = nullptr;
	size_ = 0;
}

namespace {

std::string open_reason(const std::string &bdf, int err)
{
	switch (err) {
	case ENOENT:
		return "no such device (bind it first: ringvm passthrough bind " + bdf + ")";
	case EACCES:
		return "permission denied (run as root)";
	case EBUSY:
		return "device busy: already open (by another VMM, or --passthrough given "
		       "twice), or another device of its IOMMU group has a host driver (see "
		       "dmesg and ls /sys/bus/pci/devices/" +
		       bdf + "/iommu_group/devices)";
	case ENODEV:
		return "no IOMMU group (boot the host with intel_iommu=on), or the device is "
		       "being unbound";
	case EPERM:
		return "the IOMMU cannot isolate the device's MSIs (no interrupt remapping); "
		       "insmod ringvm_vfio.ko allow_unsafe_interrupts=1 accepts the risk";
	default:
		return std::strerror(err);
	}
}

class RealBroker final : public VfioBroker {
public:
	RealBroker(std::string bdf, std::string node, Fd fd)
		: bdf_(std::move(bdf)), node_(std::move(node)), fd_(std::move(fd))
	{
	}

	const std::string &bdf() const override { return bdf_; }

	VfioDeviceInfo device_info() override
	{
		ringvm_vfio_device_info i{};
		if (::ioctl(fd_.get(), RINGVM_VFIO_GET_DEVICE_INFO, &i) < 0) {
			int err = errno;
			if (err == ENOTTY || err == EINVAL)
				throw Error("cannot use " + node_ +
					    ": not a ringvm-vfio device node (RINGVM_VFIO_GET_DEVICE_INFO: " +
					    std::strerror(err) + ")");
			throw sys_error("read the device information of " + node_ +
						" (RINGVM_VFIO_GET_DEVICE_INFO)",
					err);
		}
		VfioDeviceInfo d;
		d.flags = i.flags;
		d.vendor = i.vendor;
		d.device = i.device;
		d.iova_start = i.iova_start;
		d.iova_end = i.iova_end;
		return d;
	}

	VfioRegionInfo region_info(unsigned index) override
	{
		ringvm_vfio_region_info r{};
		r.index = index;
		if (::ioctl(fd_.get(), RINGVM_VFIO_GET_REGION_INFO, &r) < 0)
			throw sys_error("read region " + std::to_string(index) + " of " + node_ +
						" (RINGVM_VFIO_GET_REGION_INFO)",
					errno);
		return {r.flags, r.size};
	}

	uint32_t irq_count(unsigned kind) override
	{
		ringvm_vfio_irq_info i{};
		i.index = kind;
		if (::ioctl(fd_.get(), RINGVM_VFIO_GET_IRQ_INFO, &i) < 0)
			throw sys_error("read the interrupts of " + node_ + " (RINGVM_VFIO_GET_IRQ_INFO)",
					errno);
		return i.count;
	}

	RegionMapping map_region(unsigned index, uint64_t size) override
	{
		void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(),
				 static_cast<off_t>(RINGVM_VFIO_REGION_OFFSET(index)));
		if (p == MAP_FAILED)
			throw sys_error("mmap BAR " + std::to_string(index) + " of " + node_, errno);
		return RegionMapping(p, size);
	}

	int read(unsigned index, uint64_t off, std::span<uint8_t> data) override
	{
		ssize_t n = ::pread(fd_.get(), data.data(), data.size(),
				    static_cast<off_t>(RINGVM_VFIO_REGION_OFFSET(index) + off));
		if (n < 0)
			return errno;
		return static_cast<size_t>(n) == data.size() ? 0 : EIO;
	}

	int write(unsigned index, uint64_t off, std::span<const uint8_t> data) override
	{
		ssize_t n = ::pwrite(fd_.get(), data.data(), data.size(),
				     static_cast<off_t>(RINGVM_VFIO_REGION_OFFSET(index) + off));
		if (n < 0)
			return errno;
		return static_cast<size_t>(n) == data.size() ? 0 : EIO;
	}

	int map_dma(uint64_t iova, void *vaddr, uint64_t size, uint32_t flags) override
	{
		ringvm_vfio_dma_map m{};
		m.iova = iova;
		m.vaddr = reinterpret_cast<uint64_t>(vaddr);
		m.size = size;
		m.flags = flags;
		return ::ioctl(fd_.get(), RINGVM_VFIO_MAP_DMA, &m) < 0 ? errno : 0;
	}

	int set_irqs(unsigned kind, std::span<const int> fds) override
	{
		std::vector<__s32> v(fds.begin(), fds.end());
		ringvm_vfio_irq_set s{};
		s.index = kind;
		s.count = static_cast<uint32_t>(v.size());
		s.fds = reinterpret_cast<uint64_t>(v.data());
		return ::ioctl(fd_.get(), RINGVM_VFIO_SET_IRQS, &s) < 0 ? errno : 0;
	}

	int unmask_intx() override
	{
		return ::ioctl(fd_.get(), RINGVM_VFIO_UNMASK_INTX, 0) < 0 ? errno : 0;
	}

	int set_req_eventfd(int fd) override
	{
		__s32 v = fd;
		return ::ioctl(fd_.get(), RINGVM_VFIO_SET_REQ_EVENTFD, &v) < 0 ? errno : 0;
	}

private:
	std::string bdf_, node_;
	Fd fd_; // closing it resets and releases the device
};

} // namespace

std::unique_ptr<VfioBroker> open_vfio_broker(const std::string &bdf, const std::string &dev_dir)
{
	std::string node = dev_dir + "/" + bdf;
	Fd fd(::open(node.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd)
		throw Error("cannot open " + node + ": " + open_reason(bdf, errno));
	auto b = std::make_unique<RealBroker>(bdf, node, std::move(fd));
	b->device_info(); // a node of something else fails here, before any setup
	return b;
}

} // namespace ringvm
