// SPDX-License-Identifier: GPL-2.0
// ELF64 kernels (bare-metal test payloads): PT_LOAD segments at their
// physical addresses, entry in long mode with the first 4 GiB identity-mapped,
// RDI pointing at the command line and a 16 KiB stack, each at its preferred
// address (loaders/boot.h) unless a segment sits there.
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
	Placement pl(mem);
	load_elf_segments(mem, pl, image, elf);
	BootState st;
	uint64_t cmdline = pl.alloc_near(layout::kCmdline, cfg.cmdline.size() + 1, 1,
					 "the command line", 4ull << 30);
	mem.write(cmdline, {reinterpret_cast<const uint8_t *>(cfg.cmdline.c_str()),
			    cfg.cmdline.size() + 1});
	uint64_t stack = pl.alloc_near(layout::kBootStack - layout::kBootStackSize,
				       layout::kBootStackSize, 16, "the boot stack", 4ull << 30);
	place_common(mem, pl, st, true);
	st.format = "ELF64";
	st.mode = BootState::Mode::Long64;
	st.regs.rip = elf.entry;
	st.regs.rdi = cmdline;
	st.regs.rsp = stack + layout::kBootStackSize;
	return st;
}

} // namespace ringvm
