// SPDX-License-Identifier: GPL-2.0
#include "loaders/elf.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

#include "loaders/boot.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

// One parser for both classes: the ELF32 and ELF64 headers differ in widths
// and field order, not in meaning.
template <typename Ehdr, typename Phdr>
ElfImage parse(std::span<const uint8_t> b, unsigned char cls, uint16_t machine)
{
	const char *kind = cls == ELFCLASS64 ? "ELF64" : "ELF32";
	if (b.size() < sizeof(Ehdr) || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0)
		throw Error(std::string("the kernel is not an ") + kind + " image");
	auto eh = read_at<Ehdr>(b, 0);
	if (eh.e_ident[EI_CLASS] != cls || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		throw Error(std::string("the kernel is not a little-endian ") + kind + " image");
	if (eh.e_machine != machine)
		throw Error(std::string("the ") + kind + " kernel is for machine " +
			    std::to_string(eh.e_machine) + ", not x86");
	if (eh.e_type != ET_EXEC)
		throw Error(std::string("the ") + kind +
			    " file is not a static executable (a kernel must have e_type EXEC)");
	ElfImage elf;
	elf.entry = eh.e_entry;
	uint64_t phoff = eh.e_phoff;
	if (eh.e_phnum == 0 || eh.e_phentsize < sizeof(Phdr) || phoff > b.size() ||
	    static_cast<uint64_t>(eh.e_phnum) * eh.e_phentsize > b.size() - phoff)
		throw Error(std::string("the ") + kind +
			    " kernel's program headers lie outside the file");
	for (uint16_t i = 0; i < eh.e_phnum; i++) {
		auto ph = read_at<Phdr>(b, phoff + static_cast<uint64_t>(i) * eh.e_phentsize);
		if (ph.p_type != PT_LOAD)
			continue;
		ElfSegment s{ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz};
		if (s.offset > b.size() || s.filesz > b.size() - s.offset || s.filesz > s.memsz)
			throw Error(std::string("the ") + kind + " kernel's segment " +
				    std::to_string(i) + " lies outside the file");
		elf.loads.push_back(s);
	}
	if (elf.loads.empty())
		throw Error(std::string("the ") + kind + " kernel has no loadable segment");
	return elf;
}

} // namespace

ElfImage parse_elf(std::span<const uint8_t> b, bool is64)
{
	if (is64)
		return parse<Elf64_Ehdr, Elf64_Phdr>(b, ELFCLASS64, EM_X86_64);
	return parse<Elf32_Ehdr, Elf32_Phdr>(b, ELFCLASS32, EM_386);
}

uint64_t load_elf_segments(GuestMemory &mem, Placement &pl, std::span<const uint8_t> b,
			   const ElfImage &elf)
{
	uint64_t end = 0;
	for (size_t i = 0; i < elf.loads.size(); i++) {
		const auto &s = elf.loads[i];
		pl.claim(s.paddr, s.memsz, "the kernel's segment " + std::to_string(i));
		mem.write(s.paddr, b.subspan(s.offset, s.filesz));
		auto bss = mem.span(s.paddr + s.filesz, s.memsz - s.filesz);
		std::fill(bss.begin(), bss.end(), 0);
		end = std::max(end, s.paddr + s.memsz);
	}
	return end;
}

} // namespace ringvm
