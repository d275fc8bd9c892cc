// SPDX-License-Identifier: GPL-2.0
#include "vmm/virtqueue.h"

#include <linux/virtio_ring.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace ringvm {

namespace {

constexpr uint16_t kDescNext = VRING_DESC_F_NEXT, kDescWrite = VRING_DESC_F_WRITE,
		   kDescIndirect = VRING_DESC_F_INDIRECT;
constexpr uint16_t kAvailNoInterrupt = VRING_AVAIL_F_NO_INTERRUPT,
		   kUsedNoNotify = VRING_USED_F_NO_NOTIFY;
// A chain longer than this (indirect tables included) is a loop or an
// attack; Linux never builds one.
constexpr unsigned kMaxChain = 1024;

struct Desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
static_assert(sizeof(Desc) == 16);

template <typename T> T load(GuestMemory &m, uint64_t gpa)
{
	T v;
	std::memcpy(&v, m.span(gpa, sizeof(T)).data(), sizeof(T));
	return v;
}

template <typename T> void store(GuestMemory &m, uint64_t gpa, T v)
{
	std::memcpy(m.span(gpa, sizeof(T)).data(), &v, sizeof(T));
}

} // namespace

uint64_t Chain::readable_len() const
{
	uint64_t n = 0;
	for (auto s : readable)
		n += s.size();
	return n;
}

uint64_t Chain::writable_len() const
{
	uint64_t n = 0;
	for (auto s : writable)
		n += s.size();
	return n;
}

size_t ChainCursor::copy(uint8_t *p, size_t len, bool to_guest)
{
	size_t done = 0;
	while (done < len && i_ < bufs_.size()) {
		auto b = bufs_[i_];
		size_t n = std::min(len - done, b.size() - off_);
		if (p && to_guest)
			std::memcpy(b.data() + off_, p + done, n);
		else if (p)
			std::memcpy(p + done, b.data() + off_, n);
		done += n;
		off_ += n;
		if (off_ == b.size()) {
			i_++;
			off_ = 0;
		}
	}
	return done;
}

size_t ChainCursor::skip(size_t len)
{
	return copy(nullptr, len, false);
}

std::vector<iovec> ChainCursor::rest(size_t trim) const
{
	std::vector<iovec> v;
	for (size_t j = i_; j < bufs_.size(); j++) {
		size_t from = j == i_ ? off_ : 0;
		v.push_back({bufs_[j].data() + from, bufs_[j].size() - from});
	}
	while (trim && !v.empty()) {
		size_t n = std::min(trim, v.back().iov_len);
		v.back().iov_len -= n;
		trim -= n;
		if (!v.back().iov_len)
			v.pop_back();
	}
	return v;
}

SplitQueue::SplitQueue(GuestMemory &mem, const QueueLayout &layout) : mem_(mem), l_(layout)
{
	uint64_t n = l_.num;
	if (!n || (n & (n - 1)) || n > 32768)
		throw QueueError("queue size " + std::to_string(n) + " is not a power of two");
	if (!mem_.contains(l_.desc, 16 * n) || !mem_.contains(l_.avail, 6 + 2 * n) ||
	    !mem_.contains(l_.used, 6 + 8 * n))
		throw QueueError("a ring of the queue lies outside guest RAM");
	if ((l_.desc & 15) || (l_.avail & 1) || (l_.used & 3))
		throw QueueError("a ring of the queue is misaligned");
	used_idx_ = load<uint16_t>(mem_, l_.used + 2);
	last_avail_ = used_idx_;
}

uint16_t SplitQueue::avail_idx() const
{
	uint16_t idx = load<uint16_t>(mem_, l_.avail + 2);
	// The ring entries the index covers are read only after the index.
	std::atomic_thread_fence(std::memory_order_acquire);
	return idx;
}

void SplitQueue::walk(uint64_t table, uint32_t len, uint16_t first, bool indirect, Chain &c,
		      unsigned &count)
{
	uint32_t entries = indirect ? len / 16 : l_.num;
	uint16_t i = first;
	for (;;) {
		if (i >= entries)
			throw QueueError("descriptor index " + std::to_string(i) + " out of range");
		if (++count > kMaxChain || (!indirect && count > l_.num))
			throw QueueError("descriptor chain loops or is longer than the queue");
		Desc d = load<Desc>(mem_, table + 16ull * i);
		if (d.flags & kDescIndirect) {
			if (indirect || !l_.indirect || (d.flags & kDescNext) || !d.len ||
			    d.len % 16)
				throw QueueError("malformed indirect descriptor");
			if (!mem_.contains(d.addr, d.len))
				throw QueueError("indirect table outside guest RAM");
			walk(d.addr, d.len, 0, true, c, count);
			return;
		}
		if (d.len) {
			if (!mem_.contains(d.addr, d.len))
				throw QueueError("buffer outside guest RAM");
			auto s = mem_.span(d.addr, d.len);
			if (d.flags & kDescWrite)
				c.writable.push_back(s);
			else if (!c.writable.empty())
				throw QueueError("device-readable buffer after a writable one");
			else
				c.readable.push_back(s);
		}
		if (!(d.flags & kDescNext))
			return;
		i = d.next;
	}
}

std::optional<Chain> SplitQueue::pop()
{
	uint16_t avail = avail_idx();
	uint16_t pending = static_cast<uint16_t>(avail - last_avail_);
	if (pending > l_.num)
		throw QueueError("avail index jumped ahead by " + std::to_string(pending));
	if (!pending)
		return std::nullopt;
	Chain c;
	c.head = load<uint16_t>(mem_, l_.avail + 4 + 2ull * (last_avail_ % l_.num));
	unsigned count = 0;
	walk(l_.desc, 0, c.head, false, c, count);
	last_avail_++;
	if (l_.event_idx)
		store<uint16_t>(mem_, l_.used + 4 + 8ull * l_.num, last_avail_);
	return c;
}

void SplitQueue::push(const Chain &c, uint32_t written)
{
	uint64_t elem = l_.used + 4 + 8ull * (used_idx_ % l_.num);
	store<uint32_t>(mem_, elem, c.head);
	store<uint32_t>(mem_, elem + 4, written);
	// The element is visible before the index that publishes it.
	std::atomic_thread_fence(std::memory_order_release);
	used_idx_++;
	store<uint16_t>(mem_, l_.used + 2, used_idx_);
}

bool SplitQueue::need_interrupt()
{
	// The used index is published before the driver's wish is read.
	std::atomic_thread_fence(std::memory_order_seq_cst);
	if (!l_.event_idx)
		return !(load<uint16_t>(mem_, l_.avail) & kAvailNoInterrupt);
	uint16_t old = signalled_used_, now = used_idx_;
	bool valid = signalled_valid_;
	signalled_used_ = now;
	signalled_valid_ = true;
	if (!valid)
		return true;
	uint16_t event = load<uint16_t>(mem_, l_.avail + 4 + 2ull * l_.num);
	// virtio 1.x 2.7.7.2: interrupt when used_event lies in [old, now).
	return static_cast<uint16_t>(now - event - 1) < static_cast<uint16_t>(now - old);
}

void SplitQueue::enable_notify(bool on)
{
	if (l_.event_idx) {
		store<uint16_t>(mem_, l_.used + 4 + 8ull * l_.num, last_avail_);
	} else {
		uint16_t f = load<uint16_t>(mem_, l_.used);
		store<uint16_t>(mem_, l_.used,
				on ? f & ~kUsedNoNotify : f | kUsedNoNotify);
	}
	std::atomic_thread_fence(std::memory_order_seq_cst);
}

} // namespace ringvm
