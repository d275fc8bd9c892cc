// SPDX-License-Identifier: GPL-2.0
#include "devices/virtio_net.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <linux/ringvm_vhost.h>
#include <linux/virtio_ids.h>

namespace ringvm {

namespace {

constexpr uint32_t kClassEthernet = 0x020000;
// Without offloads a frame is at most an Ethernet frame with a VLAN tag;
// the tap may still hand us more (a larger MTU), which is dropped.
constexpr size_t kFrameMax = 65536;

} // namespace

// What the worker must implement too, when it serves the queues: the ring
// formats, and VERSION_1, which sets the header size both ends of the tap use.
constexpr uint64_t kWorkerBits = (1ull << kVirtioFIndirectDesc) | (1ull << kVirtioFEventIdx) |
				 (1ull << kVirtioFVersion1);

VirtioNet::VirtioNet(GuestMemory &mem, int tap_fd, uint64_t mac,
		     std::unique_ptr<VhostWorker> vhost)
	: VirtioPci(VIRTIO_ID_NET, kClassEthernet, 2, kVirtioNetQueueSize,
		    kWorkerBits | (1ull << kVirtioNetFMac)),
	  mem_(mem), tap_(tap_fd), mac_(mac)
{
	if (vhost)
		use_vhost(std::move(vhost), mem_, tap_, kWorkerBits);
}

void VirtioNet::device_config_read(uint64_t off, std::span<uint8_t> data)
{
	// struct virtio_net_config: the MAC, most significant byte first.
	uint8_t img[8] = {};
	for (int i = 0; i < 6; i++)
		img[i] = static_cast<uint8_t>(mac_ >> (8 * (5 - i)));
	for (size_t i = 0; i < data.size(); i++)
		data[i] = off + i < sizeof(img) ? img[off + i] : 0;
}

void VirtioNet::driver_ok()
{
	try {
		for (unsigned q = 0; q < 2; q++) {
			const VirtqState &s = queue(q);
			if (!s.enabled)
				continue;
			(q == kVirtioNetRx ? rxq_ : txq_)
				.emplace(mem_, QueueLayout{s.size, s.desc, s.driver, s.device,
							   has(kVirtioFEventIdx),
							   has(kVirtioFIndirectDesc)});
		}
	} catch (const QueueError &e) {
		rxq_.reset();
		txq_.reset();
		fail(e.what());
	}
}

void VirtioNet::device_reset()
{
	rxq_.reset();
	txq_.reset();
}

void VirtioNet::queue_notify(unsigned q)
{
	try {
		if (q == kVirtioNetTx)
			transmit();
		else
			on_tap_readable(); // new receive buffers: frames may be waiting
	} catch (const QueueError &e) {
		rxq_.reset();
		txq_.reset();
		fail(e.what());
	}
}

void VirtioNet::transmit()
{
	if (!txq_)
		return;
	bool done = false;
	while (auto c = txq_->pop()) {
		// The header (no offloads negotiated) is skipped; the rest is the frame.
		ChainCursor frame(c->readable);
		if (frame.skip(kVirtioNetHdrLen) != kVirtioNetHdrLen)
			throw QueueError("transmit buffer shorter than the virtio-net header");
		auto iov = frame.rest(0);
		// A tap that cannot take the frame now drops it, as a busy link would.
		if (!iov.empty() &&
		    ::writev(tap_, iov.data(), static_cast<int>(iov.size())) < 0)
			tx_dropped_++;
		txq_->push(*c, 0);
		done = true;
	}
	if (done && txq_->need_interrupt())
		interrupt_queue(kVirtioNetTx);
}

void VirtioNet::on_tap_readable()
{
	auto &frame = rx_buf_;
	frame.resize(kFrameMax);
	bool done = false;
	try {
		for (;;) {
			ssize_t n = ::read(tap_, frame.data(), frame.size());
			if (n <= 0)
				break; // EAGAIN: drained
			if (!rxq_) {
				rx_dropped_++;
				continue;
			}
			auto c = rxq_->pop();
			if (!c || c->writable_len() < kVirtioNetHdrLen + static_cast<size_t>(n)) {
				// No buffer, or one too small: the frame is lost, as on a NIC.
				rx_dropped_++;
				if (c) {
					rxq_->push(*c, 0);
					done = true;
				}
				continue;
			}
			uint8_t hdr[kVirtioNetHdrLen] = {};
			hdr[10] = 1; // num_buffers
			ChainCursor out(c->writable);
			out.copy(hdr, sizeof(hdr), true);
			out.copy(frame.data(), static_cast<size_t>(n), true);
			rxq_->push(*c, static_cast<uint32_t>(sizeof(hdr) + static_cast<size_t>(n)));
			done = true;
		}
	} catch (const QueueError &e) {
		rxq_.reset();
		txq_.reset();
		fail(e.what());
		return;
	}
	if (done && rxq_ && rxq_->need_interrupt())
		interrupt_queue(kVirtioNetRx);
}

} // namespace ringvm
