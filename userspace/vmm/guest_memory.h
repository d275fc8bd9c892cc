// SPDX-License-Identifier: GPL-2.0
// Guest RAM: one anonymous mapping, shown to the guest below the 32-bit PCI
// hole (3 GiB) and, for the rest, from 4 GiB up. Every access from the VMM
// is bounds-checked: loaders and devices take guest-controlled addresses.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ringvm {

class Vm;

struct MemRegion {
	uint64_t gpa;
	uint64_t size;
	uint64_t offset; // into the mapping
};

class GuestMemory {
public:
	static constexpr uint64_t kPciHoleStart = 0xc0000000ull;
	static constexpr uint64_t kHighStart = 0x100000000ull;

	explicit GuestMemory(uint64_t size);
	~GuestMemory();
	GuestMemory(const GuestMemory &) = delete;
	GuestMemory &operator=(const GuestMemory &) = delete;

	uint64_t size() const { return size_; }
	// End of the RAM below 4 GiB.
	uint64_t low_end() const { return regions_.front().size; }
	const std::vector<MemRegion> &regions() const { return regions_; }

	// Host view of [gpa, gpa + len); throws Error unless all of it is RAM.
	std::span<uint8_t> span(uint64_t gpa, uint64_t len);
	bool contains(uint64_t gpa, uint64_t len) const;
	void write(uint64_t gpa, std::span<const uint8_t> bytes);
	template <typename T> void put(uint64_t gpa, const T &v)
	{
		write(gpa, {reinterpret_cast<const uint8_t *>(&v), sizeof(v)});
	}

	void map_into(Vm &vm);

private:
	uint64_t size_;
	uint8_t *base_ = nullptr;
	std::vector<MemRegion> regions_;
};

} // namespace ringvm
