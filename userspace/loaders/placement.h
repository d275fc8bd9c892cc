// SPDX-License-Identifier: GPL-2.0
// Where a loader's own structures go: the image takes the addresses it asks
// for, and every structure the loader adds (boot_params, command line,
// initrd, multiboot info and modules, GDT, page tables, later
// the board's ACPI tables) is placed in guest RAM around what is taken.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringvm {

class GuestMemory;

struct Range {
	uint64_t start, end; // [start, end)
	std::string what;
};

class Placement {
public:
	// RAM is conventional memory below the EBDA and every region of @mem
	// from 1 MiB; the real-mode IVT and BIOS data area are never handed out.
	explicit Placement(const GuestMemory &mem);

	// Takes [start, start + size) for the image. Throws Error naming the
	// range and the hole or the end of RAM it runs into; ranges the image
	// takes may overlap each other and the IVT (the image owns them).
	void claim(uint64_t start, uint64_t size, const std::string &what);

	enum class Prefer { Low, High };
	// A free range of @size bytes aligned to @align (a power of two) inside
	// [min, max), the lowest or the highest such one; throws Error naming
	// @what when there is none.
	uint64_t alloc(uint64_t size, uint64_t align, const std::string &what,
		       Prefer prefer = Prefer::Low, uint64_t min = 0, uint64_t max = ~0ull);
	// @preferred when it is free, else the lowest free range below @max.
	uint64_t alloc_near(uint64_t preferred, uint64_t size, uint64_t align,
			    const std::string &what, uint64_t max);

	bool is_free(uint64_t start, uint64_t size) const;
	const std::vector<Range> &used() const { return used_; }

private:
	std::vector<Range> ram_; // sorted, disjoint
	std::vector<Range> used_;
};

} // namespace ringvm
