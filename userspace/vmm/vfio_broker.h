// SPDX-License-Identifier: GPL-2.0
// One PCI function held through ringvm_vfio.ko (Documentation/vfio-api.rst):
// the calls a VMM needs from /dev/ringvm-vfio-dev/<BDF>, behind an interface
// so that the passthrough device can be unit-tested against a fake broker
// (no machine here has both VMX and an IOMMU).
//
// Setup calls throw Error. The calls a guest drives (region accesses,
// MAP_DMA, SET_IRQS, UNMASK_INTX) return 0 or an errno: the caller knows
// what the guest was doing and words the message.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

namespace ringvm {

// Region indices and flags, as in ringvm_vfio.h.
constexpr unsigned kVfioRegionConfig = 6, kVfioNumRegions = 7;
constexpr uint32_t kVfioRegionRead = 1u << 0, kVfioRegionWrite = 1u << 1,
		   kVfioRegionMmap = 1u << 2, kVfioRegionIoPort = 1u << 3;
constexpr unsigned kVfioIrqIntx = 0, kVfioIrqMsi = 1, kVfioIrqMsix = 2;
constexpr uint32_t kVfioDeviceReset = 1u << 0, kVfioDeviceIntxMask = 1u << 1;
constexpr uint32_t kVfioDmaRead = 1u << 0, kVfioDmaWrite = 1u << 1;

struct VfioDeviceInfo {
	uint32_t flags = 0; // kVfioDevice*
	uint16_t vendor = 0, device = 0;
	uint64_t iova_start = 0, iova_end = ~0ull; // inclusive
};

struct VfioRegionInfo {
	uint32_t flags = 0; // kVfioRegion*; 0 for an absent BAR
	uint64_t size = 0;
};

// A shared mapping of a region, unmapped exactly once.
class RegionMapping {
public:
	RegionMapping() = default;
	RegionMapping(void *addr, size_t size) noexcept
		: addr_(static_cast<uint8_t *>(addr)), size_(size)
	{
	}
	RegionMapping(const RegionMapping &) = delete;
	RegionMapping &operator=(const RegionMapping &) = delete;
	RegionMapping(RegionMapping &&o) noexcept
		: addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0))
	{
	}
	RegionMapping &operator=(RegionMapping &&o) noexcept;
	~RegionMapping() { reset(); }

	uint8_t *data() const noexcept { return addr_; }
	size_t size() const noexcept { return size_; }
	explicit operator bool() const noexcept { return addr_ != nullptr; }
	void reset() noexcept;

private:
	uint8_t *addr_ = nullptr;
	size_t size_ = 0;
};

class VfioBroker {
public:
	virtual ~VfioBroker() = default;
	// The device's address (0000:03:00.0), for messages.
	virtual const std::string &bdf() const = 0;

	virtual VfioDeviceInfo device_info() = 0;
	// @index: 0-5 for the BARs, kVfioRegionConfig for config space.
	virtual VfioRegionInfo region_info(unsigned index) = 0;
	// Vectors the device offers of kind @kind (kVfioIrq*).
	virtual uint32_t irq_count(unsigned kind) = 0;
	// MAP_SHARED mapping of the first @size bytes of a BAR.
	virtual RegionMapping map_region(unsigned index, uint64_t size) = 0;

	// pread / pwrite of 1, 2, 4 (or 8, memory BARs) naturally aligned bytes.
	virtual int read(unsigned index, uint64_t off, std::span<uint8_t> data) = 0;
	virtual int write(unsigned index, uint64_t off, std::span<const uint8_t> data) = 0;
	virtual int map_dma(uint64_t iova, void *vaddr, uint64_t size, uint32_t flags) = 0;
	// Eventfds for vectors 0..n-1 of @kind; empty turns the kind off.
	virtual int set_irqs(unsigned kind, std::span<const int> fds) = 0;
	virtual int unmask_intx() = 0;
	// The eventfd the broker signals when the host wants the device back
	// (its driver is being unbound); -1 removes it.
	virtual int set_req_eventfd(int fd) = 0;
};

// Opens @dev_dir/@bdf (RINGVM_VFIO_DEV_DIR) and checks that it is a
// ringvm-vfio device node. Throws Error saying why not and what to do.
std::unique_ptr<VfioBroker> open_vfio_broker(const std::string &bdf,
					     const std::string &dev_dir = "/dev/ringvm-vfio-dev");

} // namespace ringvm
