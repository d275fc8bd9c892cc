// SPDX-License-Identifier: GPL-2.0
#include "loaders/placement.h"

#include <algorithm>

#include "loaders/boot.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

// Interrupt vector table and BIOS data area: guests written for a PC read
// them, so no loader structure lands there.
constexpr uint64_t kBdaEnd = 0x500;
constexpr uint64_t kOneMiB = 0x100000;

std::string span_str(uint64_t start, uint64_t end)
{
	// append(), not "[" + hex(..): GCC 12 at -O2 warns about the latter
	// (a false -Wrestrict, GCC bug 105329).
	std::string s("[");
	s.append(hex(start)).append(", ").append(hex(end)).append(")");
	return s;
}

bool overlaps(const Range &r, uint64_t start, uint64_t end)
{
	return start < r.end && r.start < end;
}

} // namespace

Placement::Placement(const GuestMemory &mem)
{
	ram_.push_back({0, layout::kEbda, "conventional memory"});
	for (const auto &r : mem.regions()) {
		uint64_t start = std::max(r.gpa, kOneMiB);
		if (r.gpa + r.size > start)
			ram_.push_back({start, r.gpa + r.size, "RAM"});
	}
	used_.push_back({0, kBdaEnd, "the interrupt vector table and BIOS data area"});
}

void Placement::claim(uint64_t start, uint64_t size, const std::string &what)
{
	uint64_t end = start + size;
	if (end < start)
		throw Error(what + " at " + hex(start) + " wraps around the address space");
	for (const auto &r : ram_) {
		if (start >= r.start && end <= r.end) {
			used_.push_back({start, end, what});
			return;
		}
	}
	// Name the first gap the range runs into: a hole between RAM regions
	// or the end of RAM.
	uint64_t prev_end = 0;
	for (const auto &r : ram_) {
		if (start < r.start && end > prev_end)
			throw Error(what + " " + span_str(start, end) + " overlaps the memory hole " +
				    span_str(prev_end, r.start) +
				    (prev_end == layout::kEbda ? " (EBDA, VGA and BIOS area)" : ""));
		prev_end = r.end;
	}
	throw Error(what + " " + span_str(start, end) + " lies beyond guest RAM, which ends at " +
		    hex(prev_end) + " (give a larger --mem)");
}

bool Placement::is_free(uint64_t start, uint64_t size) const
{
	uint64_t end = start + size;
	if (end < start)
		return false;
	bool in_ram = std::any_of(ram_.begin(), ram_.end(), [&](const Range &r) {
		return start >= r.start && end <= r.end;
	});
	return in_ram && std::none_of(used_.begin(), used_.end(),
				      [&](const Range &u) { return overlaps(u, start, end); });
}

uint64_t Placement::alloc(uint64_t size, uint64_t align, const std::string &what, Prefer prefer,
			  uint64_t min, uint64_t max)
{
	if (size == 0)
		size = 1;
	const uint64_t mask = align - 1;
	// Candidates are the start of each RAM region and the end of each used
	// range (lowest first), or the end of each and the start of each used
	// range minus the size (highest first): a free range of minimal or
	// maximal address always begins or ends at one of them.
	std::vector<uint64_t> cands;
	for (const auto &r : ram_) {
		cands.push_back(r.start);
		cands.push_back(r.end);
	}
	for (const auto &u : used_) {
		cands.push_back(u.start);
		cands.push_back(u.end);
	}
	cands.push_back(min);
	cands.push_back(max);
	bool found = false;
	uint64_t best = 0;
	for (uint64_t c : cands) {
		uint64_t at;
		if (prefer == Prefer::Low) {
			if (c > ~0ull - mask)
				continue;
			at = (c + mask) & ~mask;
		} else {
			if (c < size)
				continue;
			at = (c - size) & ~mask;
		}
		if (at < min || at > max || size > max - at || !is_free(at, size))
			continue;
		if (!found || (prefer == Prefer::Low ? at < best : at > best))
			best = at;
		found = true;
	}
	if (!found)
		throw Error("no room for " + what + " (" + std::to_string(size) +
			    " bytes, aligned to " + hex(align) + ") in guest RAM " +
			    span_str(min, std::min(max, ram_.back().end)) +
			    " around what is already placed (give a larger --mem)");
	used_.push_back({best, best + size, what});
	return best;
}

uint64_t Placement::alloc_near(uint64_t preferred, uint64_t size, uint64_t align,
			       const std::string &what, uint64_t max)
{
	if (preferred % align == 0 && size <= max && preferred <= max - size &&
	    is_free(preferred, size)) {
		used_.push_back({preferred, preferred + size, what});
		return preferred;
	}
	return alloc(size, align, what, Prefer::Low, 0, max);
}

} // namespace ringvm
