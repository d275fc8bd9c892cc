// SPDX-License-Identifier: GPL-2.0
#include "loaders/elf.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "loaders/boot.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

constexpr uint32_t kPtLoad = 1;
constexpr uint16_t kEm386 = 3, kEmX8664 = 62;

template <typename T> T get(std::span<const uint8_t> b, uint64_t off)
{
	T v;
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

} // namespace

ElfImage parse_elf(std::span<const uint8_t> b, bool is64)
{
	const char *kind = is64 ? "ELF64" : "ELF32";
	size_t ehsize = is64 ? 64 : 52;
	if (b.size() < ehsize || std::memcmp(b.data(), "\x7f" "ELF", 4) != 0)
		throw Error(std::string("the kernel is not an ") + kind + " image");
	if (b[4] != (is64 ? 2 : 1) || b[5] != 1)
		throw Error(std::string("the kernel is not a little-endian ") + kind + " image");
	uint16_t machine = get<uint16_t>(b, 18);
	if (machine != (is64 ? kEmX8664 : kEm386))
		throw Error(std::string("the ") + kind + " kernel is for machine " +
			    std::to_string(machine) + ", not x86");
	if (get<uint16_t>(b, 16) != 2)
		throw Error(std::string("the ") + kind +
			    " file is not a static executable (a kernel must have e_type EXEC)");
	ElfImage elf;
	uint64_t phoff;
	uint16_t phentsize, phnum;
	if (is64) {
		elf.entry = get<uint64_t>(b, 24);
		phoff = get<uint64_t>(b, 32);
		phentsize = get<uint16_t>(b, 54);
		phnum = get<uint16_t>(b, 56);
	} else {
		elf.entry = get<uint32_t>(b, 24);
		phoff = get<uint32_t>(b, 28);
		phentsize = get<uint16_t>(b, 42);
		phnum = get<uint16_t>(b, 44);
	}
	size_t want = is64 ? 56 : 32;
	if (phnum == 0 || phentsize < want || phoff > b.size() ||
	    static_cast<uint64_t>(phnum) * phentsize > b.size() - phoff)
		throw Error(std::string("the ") + kind +
			    " kernel's program headers lie outside the file");
	for (uint16_t i = 0; i < phnum; i++) {
		uint64_t p = phoff + static_cast<uint64_t>(i) * phentsize;
		if (get<uint32_t>(b, p) != kPtLoad)
			continue;
		ElfSegment s;
		if (is64) {
			s.offset = get<uint64_t>(b, p + 8);
			s.paddr = get<uint64_t>(b, p + 24);
			s.filesz = get<uint64_t>(b, p + 32);
			s.memsz = get<uint64_t>(b, p + 40);
		} else {
			s.offset = get<uint32_t>(b, p + 4);
			s.paddr = get<uint32_t>(b, p + 12);
			s.filesz = get<uint32_t>(b, p + 16);
			s.memsz = get<uint32_t>(b, p + 20);
		}
		if (s.offset > b.size() || s.filesz > b.size() - s.offset || s.filesz > s.memsz)
			throw Error(std::string("the ") + kind + " kernel's segment " +
				    std::to_string(i) + " lies outside the file");
		elf.loads.push_back(s);
	}
	if (elf.loads.empty())
		throw Error(std::string("the ") + kind + " kernel has no loadable segment");
	return elf;
}

uint64_t load_elf_segments(GuestMemory &mem, std::span<const uint8_t> b, const ElfImage &elf)
{
	uint64_t end = 0;
	for (const auto &s : elf.loads) {
		if (s.paddr < layout::kKernel / 2)
			throw Error("the kernel's segment at " + hex(s.paddr) +
				    " overlaps the boot structures below 512 KiB; link it at 1 MiB");
		if (!mem.contains(s.paddr, s.memsz))
			throw Error("guest memory too small for the kernel: a segment needs [" +
				    hex(s.paddr) + ", " + hex(s.paddr + s.memsz) +
				    "), and RAM ends at " + hex(mem.low_end()));
		mem.write(s.paddr, b.subspan(s.offset, s.filesz));
		auto bss = mem.span(s.paddr + s.filesz, s.memsz - s.filesz);
		std::fill(bss.begin(), bss.end(), 0);
		end = std::max(end, s.paddr + s.memsz);
	}
	return end;
}

} // namespace ringvm
