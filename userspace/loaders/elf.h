// SPDX-License-Identifier: GPL-2.0
// Program headers of ELF32 and ELF64 images, bounds-checked against the file.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ringvm {

struct ElfSegment {
	uint64_t paddr, offset, filesz, memsz;
};

struct ElfImage {
	uint64_t entry;
	std::vector<ElfSegment> loads; // PT_LOAD only
};

// Throws Error if the image is not an x86 ELF of that class or a header or
// segment points outside the file.
ElfImage parse_elf(std::span<const uint8_t> image, bool is64);

// Claims every PT_LOAD in @pl and copies it into guest memory (zero-filling
// .bss); throws Error when a segment lands in a hole or outside RAM.
// Returns the end of the highest segment.
class GuestMemory;
class Placement;
uint64_t load_elf_segments(GuestMemory &mem, Placement &pl, std::span<const uint8_t> image,
			   const ElfImage &elf);

} // namespace ringvm
