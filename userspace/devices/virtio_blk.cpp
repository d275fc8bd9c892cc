// SPDX-License-Identifier: GPL-2.0
#include "devices/virtio_blk.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <linux/ringvm_vhost.h>
#include <linux/virtio_ids.h>

namespace ringvm {

namespace {

constexpr uint32_t kClassStorageOther = 0x018000;
constexpr uint32_t kReqIn = VIRTIO_BLK_T_IN, kReqOut = VIRTIO_BLK_T_OUT,
		   kReqFlush = VIRTIO_BLK_T_FLUSH, kReqGetId = VIRTIO_BLK_T_GET_ID;
constexpr uint8_t kStatusOk = VIRTIO_BLK_S_OK, kStatusIoErr = VIRTIO_BLK_S_IOERR,
		  kStatusUnsupp = VIRTIO_BLK_S_UNSUPP;
constexpr uint32_t kSectorSize = 512, kIdBytes = VIRTIO_BLK_ID_BYTES;
// Segments per request: the queue size less the header and status.
constexpr uint32_t kSegMax = kVirtioBlkQueueSize - 2;

uint64_t iov_len(const std::vector<iovec> &v)
{
	uint64_t n = 0;
	for (auto &i : v)
		n += i.iov_len;
	return n;
}

// preadv/pwritev until done; false on an error or a short transfer.
bool transfer(int fd, std::vector<iovec> iov, uint64_t pos, bool write)
{
	size_t first = 0;
	while (first < iov.size()) {
		int cnt = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
		ssize_t n = write ? ::pwritev(fd, &iov[first], cnt, static_cast<off_t>(pos))
				  : ::preadv(fd, &iov[first], cnt, static_cast<off_t>(pos));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		pos += static_cast<uint64_t>(n);
		while (n > 0 && first < iov.size()) {
			size_t k = std::min<size_t>(static_cast<size_t>(n), iov[first].iov_len);
			iov[first].iov_base = static_cast<uint8_t *>(iov[first].iov_base) + k;
			iov[first].iov_len -= k;
			n -= static_cast<ssize_t>(k);
			if (!iov[first].iov_len)
				first++;
		}
	}
	return true;
}

} // namespace

// What the worker must implement too, when it serves the queue.
constexpr uint64_t kWorkerBits =
	(1ull << kVirtioFIndirectDesc) | (1ull << kVirtioFEventIdx) | (1ull << kVirtioBlkFFlush);

uint64_t VirtioBlk::offered(bool read_only)
{
	return kWorkerBits | (1ull << kVirtioBlkFSegMax) | (read_only ? 1ull << kVirtioBlkFRo : 0);
}

VirtioBlk::VirtioBlk(GuestMemory &mem, Fd disk, uint64_t bytes, bool read_only, std::string id,
		     std::unique_ptr<VhostDevice> vhost)
	: VirtioPci(VIRTIO_ID_BLOCK, kClassStorageOther, 1, kVirtioBlkQueueSize,
		    offered(read_only)),
	  mem_(mem), disk_(std::move(disk)), bytes_(bytes), read_only_(read_only),
	  id_(std::move(id))
{
	if (vhost) {
		// The worker answers GET_ID: the same serial as on the VMM's path.
		vhost->set_blk_id(id_);
		use_vhost(std::move(vhost), mem_, disk_.get(), kWorkerBits);
	}
}

DiskOptions parse_disk_option(const std::string &spec)
{
	DiskOptions o;
	size_t comma = spec.find(',');
	o.path = spec.substr(0, comma);
	if (o.path.empty())
		throw Error("invalid --disk '" + spec + "': give a path, such as disk.img,ro");
	while (comma != std::string::npos) {
		size_t next = spec.find(',', comma + 1);
		std::string item = spec.substr(comma + 1, next == std::string::npos
								  ? std::string::npos
								  : next - comma - 1);
		comma = next;
		if (item == "ro") {
			o.read_only = true;
		} else if (item.rfind("serial=", 0) == 0) {
			o.serial = item.substr(7);
			// virtio-blk's GET_ID answer is 20 bytes, unterminated when full.
			if (o.serial.empty() || o.serial.size() > kIdBytes)
				throw Error("invalid --disk serial '" + o.serial + "': give 1 to " +
					    std::to_string(kIdBytes) + " characters");
			for (char c : o.serial)
				if (c < 0x21 || c > 0x7e)
					throw Error("invalid --disk serial '" + o.serial +
						    "': printable ASCII without spaces only");
		} else {
			throw Error("invalid --disk '" + spec + "': unknown option '" + item +
				    "' (ro, serial=S)");
		}
	}
	return o;
}

DiskImage open_disk_image(const DiskOptions &o)
{
	DiskImage img;
	img.read_only = o.read_only;
	int fd = ::open(o.path.c_str(), (o.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0 && !o.read_only && (errno == EACCES || errno == EROFS)) {
		img.read_only = true;
		fd = ::open(o.path.c_str(), O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		throw sys_error("open the disk image " + o.path, errno);
	img.fd = Fd(fd);
	struct stat st{};
	if (::fstat(fd, &st) < 0)
		throw sys_error("stat the disk image " + o.path, errno);
	if (S_ISREG(st.st_mode)) {
		img.bytes = static_cast<uint64_t>(st.st_size);
	} else if (S_ISBLK(st.st_mode)) {
		if (::ioctl(fd, BLKGETSIZE64, &img.bytes) < 0)
			throw sys_error("read the size of the block device " + o.path, errno);
	} else {
		throw Error("cannot use " + o.path +
			    " as a disk: not a regular file or block device");
	}
	if (img.bytes < kSectorSize)
		throw Error("cannot use " + o.path + " as a disk: smaller than one 512-byte sector");
	img.serial = o.serial;
	if (img.serial.empty()) {
		auto slash = o.path.find_last_of('/');
		img.serial = "ringvm-" +
			     (slash == std::string::npos ? o.path : o.path.substr(slash + 1));
		img.serial.resize(std::min<size_t>(img.serial.size(), kIdBytes));
	}
	return img;
}

std::unique_ptr<VirtioBlk> VirtioBlk::create(GuestMemory &mem, DiskImage image, bool use_vhost)
{
	auto vhost = use_vhost ? std::make_unique<VhostDevice>(RINGVM_VHOST_DEV_BLK) : nullptr;
	return std::make_unique<VirtioBlk>(mem, std::move(image.fd), image.bytes, image.read_only,
					   std::move(image.serial), std::move(vhost));
}

void VirtioBlk::device_config_read(uint64_t off, std::span<uint8_t> data)
{
	// struct virtio_blk_config up to seg_max: capacity, size_max, seg_max.
	uint8_t img[16] = {};
	uint64_t sectors = bytes_ / kSectorSize;
	std::memcpy(img, &sectors, 8);
	std::memcpy(img + 12, &kSegMax, 4);
	for (size_t i = 0; i < data.size(); i++)
		data[i] = off + i < sizeof(img) ? img[off + i] : 0;
}

void VirtioBlk::driver_ok()
{
	const VirtqState &q = queue(0);
	if (!q.enabled)
		return;
	try {
		vq_.emplace(mem_, QueueLayout{q.size, q.desc, q.driver, q.device,
					      has(kVirtioFEventIdx), has(kVirtioFIndirectDesc)});
	} catch (const QueueError &e) {
		fail(e.what());
	}
}

void VirtioBlk::device_reset()
{
	vq_.reset();
}

void VirtioBlk::queue_notify(unsigned)
{
	if (!vq_)
		return;
	try {
		serve();
	} catch (const QueueError &e) {
		vq_.reset();
		fail(e.what());
	}
}

void VirtioBlk::serve()
{
	bool completed = false;
	for (;;) {
		vq_->enable_notify(false);
		while (auto c = vq_->pop()) {
			vq_->push(*c, handle(*c));
			completed = true;
		}
		// Look once more after re-arming, or a request posted in between waits.
		vq_->enable_notify(true);
		if (auto c = vq_->pop()) {
			vq_->push(*c, handle(*c));
			completed = true;
			continue;
		}
		break;
	}
	if (completed && vq_->need_interrupt())
		interrupt_queue(0);
}

uint32_t VirtioBlk::handle(const Chain &c)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr{};
	ChainCursor in(c.readable);
	if (in.copy(reinterpret_cast<uint8_t *>(&hdr), sizeof(hdr), false) != sizeof(hdr) ||
	    c.writable_len() < 1)
		throw QueueError("block request without a header or a status byte");
	ChainCursor out(c.writable);
	uint8_t status = kStatusOk;
	uint32_t written = 0;
	uint64_t pos = hdr.sector * kSectorSize;
	bool in_range = hdr.sector <= bytes_ / kSectorSize;
	switch (hdr.type) {
	case kReqIn: {
		auto iov = out.rest(1);
		uint64_t len = iov_len(iov);
		if (!in_range || len > bytes_ - pos || len % kSectorSize)
			status = kStatusIoErr;
		else if (!transfer(disk_.get(), iov, pos, false))
			status = kStatusIoErr;
		else
			written = static_cast<uint32_t>(len);
		break;
	}
	case kReqOut: {
		auto iov = in.rest(0);
		uint64_t len = iov_len(iov);
		if (read_only_ || !in_range || len > bytes_ - pos || len % kSectorSize ||
		    !transfer(disk_.get(), iov, pos, true))
			status = kStatusIoErr;
		break;
	}
	case kReqFlush:
		if (::fdatasync(disk_.get()) < 0)
			status = kStatusIoErr;
		else
			flushes_++;
		break;
	case kReqGetId: {
		uint8_t id[kIdBytes] = {};
		std::memcpy(id, id_.data(), std::min<size_t>(id_.size(), kIdBytes));
		// Whatever fits before the status byte.
		written = static_cast<uint32_t>(
			out.copy(id, std::min<uint64_t>(kIdBytes, c.writable_len() - 1), true));
		break;
	}
	default:
		status = kStatusUnsupp;
		break;
	}
	// The status is the chain's last writable byte.
	auto &last = c.writable.back();
	last[last.size() - 1] = status;
	return written + 1;
}

} // namespace ringvm
