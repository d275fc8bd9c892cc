// SPDX-License-Identifier: GPL-2.0
// ELF64 kernels (bare-metal test payloads): PT_LOAD segments at their
// physical addresses, entry in long mode with the first 4 GiB identity-mapped,
// RDI pointing at the command line, a stack below 0x7000.
#include "loaders/boot.h"
#include "loaders/elf.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

BootState load_elf64(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg)
{
	ElfImage elf = parse_elf(image, true);
	if (elf.entry >= (4ull << 30))
		throw Error("the ELF64 kernel's entry point is above 4 GiB, outside the "
			    "identity map it starts with");
	if (cfg.cmdline.size() >= layout::kCmdlineMax)
		throw Error("the command line is longer than 64 KiB");
	load_elf_segments(mem, image, elf);
	mem.write(layout::kCmdline, {reinterpret_cast<const uint8_t *>(cfg.cmdline.c_str()),
				     cfg.cmdline.size() + 1});
	write_gdt(mem);
	write_identity_page_tables(mem);
	BootState st;
	st.format = "ELF64";
	st.mode = BootState::Mode::Long64;
	st.regs.rip = elf.entry;
	st.regs.rdi = layout::kCmdline;
	st.regs.rsp = layout::kBootStack;
	return st;
}

} // namespace ringvm
