// SPDX-License-Identifier: GPL-2.0
#include "devices/virtio_pci.h"

#include <linux/virtio_pci.h>

#include <array>
#include <cstring>
#include <iostream>

#include "vmm/error.h"

namespace ringvm {

namespace {

constexpr uint16_t kVirtioVendor = 0x1af4, kVirtioModernBase = 0x1040;
constexpr uint8_t kCapVendor = 0x09;
constexpr uint8_t kCapCommon = VIRTIO_PCI_CAP_COMMON_CFG, kCapNotify = VIRTIO_PCI_CAP_NOTIFY_CFG,
		  kCapIsr = VIRTIO_PCI_CAP_ISR_CFG, kCapDevice = VIRTIO_PCI_CAP_DEVICE_CFG;
constexpr uint16_t kNoVector = VIRTIO_MSI_NO_VECTOR;
constexpr unsigned kCommonLen = 0x40, kDeviceLen = 0x100;

// Common configuration registers (virtio 1.x 4.1.4.3).
enum : unsigned {
	kDeviceFeatureSelect = VIRTIO_PCI_COMMON_DFSELECT,
	kDeviceFeature = VIRTIO_PCI_COMMON_DF,
	kDriverFeatureSelect = VIRTIO_PCI_COMMON_GFSELECT,
	kDriverFeature = VIRTIO_PCI_COMMON_GF,
	kMsixConfig = VIRTIO_PCI_COMMON_MSIX,
	kNumQueues = VIRTIO_PCI_COMMON_NUMQ,
	kDeviceStatus = VIRTIO_PCI_COMMON_STATUS,
	kConfigGeneration = VIRTIO_PCI_COMMON_CFGGENERATION,
	kQueueSelect = VIRTIO_PCI_COMMON_Q_SELECT,
	kQueueSize = VIRTIO_PCI_COMMON_Q_SIZE,
	kQueueMsixVector = VIRTIO_PCI_COMMON_Q_MSIX,
	kQueueEnable = VIRTIO_PCI_COMMON_Q_ENABLE,
	kQueueNotifyOff = VIRTIO_PCI_COMMON_Q_NOFF,
	kQueueDesc = VIRTIO_PCI_COMMON_Q_DESCLO,
	kQueueDriver = VIRTIO_PCI_COMMON_Q_AVAILLO,
	kQueueDevice = VIRTIO_PCI_COMMON_Q_USEDLO,
};

void put(std::array<uint8_t, kCommonLen> &img, unsigned off, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		img[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Replaces bytes [at, at + size) of the 64-bit @field with @v.
void merge(uint64_t &field, unsigned at, uint64_t v, size_t size)
{
	uint64_t mask = size >= 8 ? ~0ull : ((1ull << (8 * size)) - 1);
	field = (field & ~(mask << (8 * at))) | ((v & mask) << (8 * at));
}

} // namespace

VirtioPci::VirtioPci(uint16_t virtio_id, uint32_t pci_class, unsigned num_queues,
		     uint16_t max_queue_size, uint64_t features)
	: cfg_(kVirtioVendor, static_cast<uint16_t>(kVirtioModernBase + virtio_id),
	       (pci_class << 8) | 1),
	  device_features_(features | (1ull << kVirtioFVersion1)),
	  max_queue_size_(max_queue_size), queues_(num_queues),
	  msix_(cfg_, num_queues + 1, 0, kVirtioMsixTableOff, kVirtioMsixPbaOff)
{
	cfg_.poke(0x2c, 2, kVirtioVendor); // subsystem vendor
	cfg_.poke(0x2e, 2, virtio_id);	    // subsystem: the virtio device ID
	cfg_.poke(kPciIntPin, 1, 1);	    // INTx pin A
	cfg_.add_mem_bar(0, kVirtioBarSize);
	struct Cap {
		uint8_t type;
		uint32_t offset, length;
	};
	const Cap caps[] = {{kCapCommon, kVirtioCommonOff, kCommonLen},
			    {kCapIsr, kVirtioIsrOff, 4},
			    {kCapDevice, kVirtioDeviceOff, kDeviceLen},
			    {kCapNotify, kVirtioNotifyOff, 0x1000}};
	for (const auto &c : caps) {
		unsigned len = c.type == kCapNotify ? 20 : 16;
		unsigned off = cfg_.add_capability(kCapVendor, len);
		cfg_.poke(off + 2, 1, len);
		cfg_.poke(off + 3, 1, c.type);
		cfg_.poke(off + 4, 1, 0); // BAR 0
		cfg_.poke(off + 8, 4, c.offset);
		cfg_.poke(off + 12, 4, c.length);
		if (c.type == kCapNotify)
			cfg_.poke(off + 16, 4, kVirtioNotifyMultiplier);
	}
	reset_transport();
}

void VirtioPci::use_vhost(std::unique_ptr<VhostWorker> dev, GuestMemory &mem, int backend_fd,
			  uint64_t worker_bits)
{
	vhost_ = std::make_unique<VhostQueues>(std::move(dev), mem, num_queues(), backend_fd);
	device_features_ = offer_with_worker(device_features_, worker_bits, vhost_->features());
}

void VirtioPci::start_vhost()
{
	try {
		if (!vhost_->start(negotiated(), queues_))
			return;
		for (unsigned q = 0; q < queues_.size(); q++)
			if (queues_[q].enabled)
				bind_doorbell(q, vhost_->kick_fd(q));
	} catch (const Error &e) {
		fail(e.what());
	}
}

void VirtioPci::bind_doorbell(unsigned q, int fd)
{
	// The address the driver reads from the capability: BAR 0 as it is now.
	// Linux does not move a BAR while its driver is bound; if a guest did,
	// the old address would just stop ringing and the new one would still
	// exit to the VMM, which forwards it.
	uint64_t gpa = cfg_.bar_address(0) + kVirtioNotifyOff + uint64_t{q} * kVirtioNotifyMultiplier;
	if (doorbell_fn_ && doorbell_fn_(gpa, fd, true))
		bound_.push_back({gpa, fd});
}

void VirtioPci::unbind_doorbells()
{
	for (const auto &b : bound_)
		doorbell_fn_(b.gpa, b.fd, false);
	bound_.clear();
}

void VirtioPci::reset_transport()
{
	driver_features_ = 0;
	device_feature_select_ = driver_feature_select_ = 0;
	status_ = isr_ = 0;
	queue_select_ = 0;
	config_vector_ = Msix::kNoVector;
	for (auto &q : queues_)
		q = VirtqState{max_queue_size_, false, 0, 0, 0, Msix::kNoVector};
	intx_.set(false);
}

void VirtioPci::interrupt_queue(unsigned q)
{
	if (msix_enabled()) {
		if (q < queues_.size())
			msix_.notify(queues_[q].vector);
		return;
	}
	isr_ |= 1;
	intx_.set(true);
}

void VirtioPci::route_calls_in_kernel(std::vector<int> call_fds, CallWatchFn watch)
{
	if (!msix_.sink() || call_fds.size() != queues_.size())
		return;
	call_fds_ = std::move(call_fds);
	call_watch_ = std::move(watch);
	call_gsi_.assign(queues_.size(), -1);
	vector_gsi_.assign(msix_.vectors(), std::nullopt);
	routed_.assign(msix_.vectors(), std::nullopt);
	msix_.on_change([this] { sync_call_irqfds(); });
	sync_call_irqfds();
}

void VirtioPci::sync_call_irqfds()
{
	if (!call_watch_)
		return;
	MsiSink &sink = *msix_.sink();
	for (unsigned q = 0; q < queues_.size(); q++) {
		uint16_t v = queues_[q].vector;
		int want = -1;
		if (auto msg = msix_.live_message(v)) {
			if (!vector_gsi_[v])
				vector_gsi_[v] = sink.add_msi_route();
			if (routed_[v] != msg) {
				// A message the hypervisor will not route (not an APIC
				// message) stays with the VMM, which drops it when sent.
				try {
					sink.set_msi_route(*vector_gsi_[v], msg->first, msg->second);
					routed_[v] = msg;
				} catch (const Error &) {
					routed_[v].reset();
				}
			}
			if (routed_[v] == msg)
				want = static_cast<int>(*vector_gsi_[v]);
		}
		int had = call_gsi_[q];
		if (want == had)
			continue;
		// Bind before the VMM stops watching, unbind before it starts
		// again: a signal in between reaches one of them.
		int fd = call_fds_[q];
		if (had >= 0)
			sink.bind_irqfd(static_cast<uint32_t>(had), fd, false);
		if (want >= 0)
			sink.bind_irqfd(static_cast<uint32_t>(want), fd, true);
		call_gsi_[q] = want;
		if ((had >= 0) != (want >= 0))
			call_watch_(q, want < 0);
	}
}

void VirtioPci::interrupt_config()
{
	if (msix_enabled()) {
		msix_.notify(config_vector_);
		return;
	}
	isr_ |= 2;
	intx_.set(true);
}

void VirtioPci::config_write(unsigned off, unsigned size, uint32_t v)
{
	cfg_.write(off, size, v);
	msix_.config_written();
	// No INTx while MSI-X is on (PCI 3.0 6.8.2): a level left up would
	// stay on a shared line.
	if (msix_enabled()) {
		isr_ = 0;
		intx_.set(false);
	}
}

void VirtioPci::fail(const std::string &why)
{
	if (status_ & kVirtioNeedsReset)
		return;
	std::cerr << "ringvm: virtio device " << std::hex << cfg_.read(2, 2) << std::dec
		  << " needs a reset: " << why << "\n";
	status_ |= kVirtioNeedsReset;
	if (status_ & kVirtioDriverOk)
		interrupt_config();
}

void VirtioPci::bar_read(unsigned, uint64_t off, std::span<uint8_t> data)
{
	le_store(data, 0);
	if (msix_.covers(off, data.size())) {
		msix_.read(off, data);
	} else if (off < kVirtioCommonOff + kCommonLen) {
		common_read(off, data);
	} else if (off == kVirtioIsrOff) {
		// Reading the ISR acknowledges it and lowers the line.
		data[0] = isr_;
		isr_ = 0;
		intx_.set(false);
	} else if (off >= kVirtioDeviceOff && off + data.size() <= kVirtioDeviceOff + kDeviceLen) {
		device_config_read(off - kVirtioDeviceOff, data);
	}
}

void VirtioPci::bar_write(unsigned, uint64_t off, std::span<const uint8_t> data)
{
	if (msix_.covers(off, data.size())) {
		msix_.write(off, data);
	} else if (off < kVirtioCommonOff + kCommonLen) {
		common_write(off, le_value(data), data.size());
	} else if (off >= kVirtioDeviceOff && off + data.size() <= kVirtioDeviceOff + kDeviceLen) {
		device_config_write(off - kVirtioDeviceOff, data);
	} else if (off >= kVirtioNotifyOff && off < kVirtioNotifyOff + 0x1000) {
		unsigned q = static_cast<unsigned>((off - kVirtioNotifyOff) / kVirtioNotifyMultiplier);
		if (q < queues_.size() && queues_[q].enabled && (status_ & kVirtioDriverOk) &&
		    !(status_ & kVirtioNeedsReset)) {
			if (vhost_)
				vhost_->kick(q);
			else
				queue_notify(q);
		}
	}
}

void VirtioPci::common_read(uint64_t off, std::span<uint8_t> data)
{
	std::array<uint8_t, kCommonLen> img{};
	put(img, kDeviceFeatureSelect, device_feature_select_, 4);
	put(img, kDeviceFeature,
	    device_feature_select_ < 2 ? device_features_ >> (32 * device_feature_select_) : 0, 4);
	put(img, kDriverFeatureSelect, driver_feature_select_, 4);
	put(img, kDriverFeature,
	    driver_feature_select_ < 2 ? driver_features_ >> (32 * driver_feature_select_) : 0, 4);
	put(img, kMsixConfig, config_vector_, 2);
	put(img, kNumQueues, queues_.size(), 2);
	put(img, kDeviceStatus, status_, 1);
	put(img, kConfigGeneration, config_generation_, 1);
	put(img, kQueueSelect, queue_select_, 2);
	put(img, kQueueMsixVector, kNoVector, 2);
	if (queue_select_ < queues_.size()) {
		const auto &q = queues_[queue_select_];
		put(img, kQueueMsixVector, q.vector, 2);
		put(img, kQueueSize, q.size, 2);
		put(img, kQueueEnable, q.enabled, 2);
		put(img, kQueueNotifyOff, queue_select_, 2);
		put(img, kQueueDesc, q.desc, 8);
		put(img, kQueueDriver, q.driver, 8);
		put(img, kQueueDevice, q.device, 8);
	}
	size_t n = std::min<size_t>(data.size(), kCommonLen - off);
	std::memcpy(data.data(), img.data() + off, n);
}

void VirtioPci::common_write(uint64_t off, uint64_t v, size_t size)
{
	VirtqState *q = queue_select_ < queues_.size() ? &queues_[queue_select_] : nullptr;
	// Queue registers are frozen once the queue is enabled (virtio 4.1.4.3.2).
	bool q_writable = q && !q->enabled;
	switch (off) {
	case kDeviceFeatureSelect:
		device_feature_select_ = static_cast<uint32_t>(v);
		break;
	case kDriverFeatureSelect:
		driver_feature_select_ = static_cast<uint32_t>(v);
		break;
	case kDriverFeature:
		if (driver_feature_select_ < 2 && !(status_ & kVirtioFeaturesOk))
			merge(driver_features_, 4 * driver_feature_select_, v, 4);
		break;
	case kDeviceStatus:
		write_status(static_cast<uint8_t>(v));
		break;
	case kQueueSelect:
		queue_select_ = static_cast<uint16_t>(v);
		break;
	// A vector past the table reads back as NO_VECTOR, which tells the
	// driver the device could not take it (virtio 4.1.4.3).
	case kMsixConfig:
		config_vector_ = v < msix_.vectors() ? static_cast<uint16_t>(v) : kNoVector;
		break;
	case kQueueMsixVector:
		if (q)
			q->vector = v < msix_.vectors() ? static_cast<uint16_t>(v) : kNoVector;
		sync_call_irqfds();
		break;
	case kQueueSize:
		// A power of two no larger than the maximum; anything else is ignored.
		if (q_writable && v && v <= max_queue_size_ && !(v & (v - 1)))
			q->size = static_cast<uint16_t>(v);
		break;
	case kQueueEnable:
		if (q_writable && v == 1)
			q->enabled = true;
		break;
	default:
		if (q_writable && off >= kQueueDesc && off < kQueueDevice + 8) {
			unsigned field = static_cast<unsigned>((off - kQueueDesc) / 8);
			unsigned at = static_cast<unsigned>((off - kQueueDesc) % 8);
			uint64_t *f = field == 0 ? &q->desc : field == 1 ? &q->driver : &q->device;
			merge(*f, at, v, std::min<size_t>(size, 8 - at));
		}
		break;
	}
}

void VirtioPci::write_status(uint8_t s)
{
	if (!s) {
		unbind_doorbells();
		try {
			if (vhost_)
				vhost_->stop();
			else
				device_reset();
		} catch (const Error &e) {
			fail(e.what());
		}
		reset_transport();
		sync_call_irqfds();
		return;
	}
	if ((s & kVirtioFeaturesOk) && !(status_ & kVirtioFeaturesOk)) {
		// Refuse bits we never offered and a driver without VERSION_1.
		if ((driver_features_ & ~device_features_) || !has(kVirtioFVersion1))
			s &= static_cast<uint8_t>(~kVirtioFeaturesOk);
	}
	bool starting = (s & kVirtioDriverOk) && !(status_ & kVirtioDriverOk);
	status_ = static_cast<uint8_t>(s | (status_ & kVirtioNeedsReset));
	if (starting && (status_ & kVirtioFeaturesOk)) {
		if (vhost_)
			start_vhost();
		else
			driver_ok();
	}
}

} // namespace ringvm
