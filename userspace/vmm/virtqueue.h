// SPDX-License-Identifier: GPL-2.0
// A split virtqueue served from the VMM (the `--vhost off` data path): the
// same ring rules ringvm_vhost enforces in the kernel, on GuestMemory. Every
// address and index comes from the guest, so each is checked; a malformed
// ring throws QueueError and the device marks itself as needing a reset.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

class QueueError : public Error {
public:
	using Error::Error;
};

struct QueueLayout {
	uint16_t num = 0; // a power of two
	uint64_t desc = 0, avail = 0, used = 0;
	bool event_idx = false;
	bool indirect = false;
};

// One descriptor chain: its buffers, device-readable ones first.
struct Chain {
	uint16_t head = 0;
	std::vector<std::span<uint8_t>> readable, writable;
	uint64_t readable_len() const;
	uint64_t writable_len() const;
};

// Walks one side of a chain (its readable or its writable buffers) as one
// byte stream, whatever way the driver split it across descriptors.
class ChainCursor {
public:
	explicit ChainCursor(const std::vector<std::span<uint8_t>> &bufs) : bufs_(bufs) {}
	// Copies up to @len bytes out of the chain (or into it, @to_guest) and
	// moves past them; returns how many.
	size_t copy(uint8_t *p, size_t len, bool to_guest);
	// Moves past up to @len bytes; returns how many.
	size_t skip(size_t len);
	// What is left, as iovecs, less @trim bytes at the end.
	std::vector<iovec> rest(size_t trim) const;

private:
	const std::vector<std::span<uint8_t>> &bufs_;
	size_t i_ = 0, off_ = 0;
};

class SplitQueue {
public:
	// Throws QueueError when a ring part is not inside guest RAM.
	SplitQueue(GuestMemory &mem, const QueueLayout &layout);

	// The next chain the driver made available, if any.
	std::optional<Chain> pop();
	// Returns @c to the driver with @written bytes put in its buffers.
	void push(const Chain &c, uint32_t written);
	// After a batch of push(): whether the driver wants an interrupt.
	bool need_interrupt();
	// Keeps notifications on or off while the device drains the ring.
	void enable_notify(bool on);
	uint16_t next_avail() const { return last_avail_; }

private:
	uint16_t avail_idx() const;
	void walk(uint64_t table, uint32_t len, uint16_t first, bool indirect, Chain &c,
		  unsigned &count);

	GuestMemory &mem_;
	QueueLayout l_;
	uint16_t last_avail_ = 0;
	uint16_t used_idx_ = 0;
	uint16_t signalled_used_ = 0;
	bool signalled_valid_ = false;
};

} // namespace ringvm
