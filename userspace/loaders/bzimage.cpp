// SPDX-License-Identifier: GPL-2.0
// Linux bzImage, every boot protocol from 2.02 (Documentation/arch/x86/
// boot.rst): the protected-mode kernel at 1 MiB, boot_params ("zero page")
// with the setup header, an e820 map, the command line and the initrd. A
// kernel with XLF_KERNEL_64 (2.12+) is entered at load address + 0x200 in
// long mode with identity-mapped paging, as today's loaders do; any other is
// entered at code32_start in flat 32-bit protected mode without paging (the
// 32-bit boot protocol), as QEMU and kvmtool boot old kernels.
#include <asm/bootparam.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "loaders/boot.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

// Where the setup header sits, in the image as in boot_params.
constexpr size_t kHdrOff = offsetof(boot_params, hdr);
static_assert(sizeof(boot_params) == 4096 && kHdrOff == 0x1f1);
constexpr uint32_t kHdrS = 0x53726448; // "HdrS"
constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;

std::string mib(uint64_t bytes)
{
	return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

} // namespace

BootState load_bzimage(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg)
{
	if (image.size() < kHdrOff + sizeof(setup_header))
		throw Error("the kernel is not a bzImage: no setup header");
	const auto hdr = read_at<setup_header>(image, kHdrOff);
	if (hdr.boot_flag != 0xaa55 || hdr.header != kHdrS)
		throw Error("the kernel is not a bzImage: no setup header");
	// Fields past a protocol's header are setup code, not header: each is
	// read only from the version that defines it.
	const uint16_t ver = hdr.version;
	if (ver < 0x202)
		throw Error("the bzImage speaks boot protocol " + std::to_string(ver >> 8) + "." +
			    std::to_string(ver & 0xff) +
			    "; ringvm needs 2.02 or later (Linux 2.4+): older ones take the "
			    "command line at 0x90020");
	if (!(hdr.loadflags & LOADED_HIGH))
		throw Error("the kernel is a zImage (loaded at 0x10000); ringvm boots only "
			    "bzImages, loaded at 1 MiB");
	const bool entry64 = ver >= 0x20c && (hdr.xloadflags & XLF_KERNEL_64);

	size_t setup_sects = hdr.setup_sects ? hdr.setup_sects : 4;
	size_t setup_size = (setup_sects + 1) * 512;
	if (setup_size >= image.size())
		throw Error("the bzImage is truncated: its setup code claims " +
			    std::to_string(setup_size) + " of its " +
			    std::to_string(image.size()) + " bytes");
	auto kernel = image.subspan(setup_size);

	// The kernel decompresses at its runtime start: 1 MiB rounded up to
	// kernel_alignment when relocatable (2.05+), pref_address when not
	// (2.10+), and needs init_size bytes from there (2.10+; before, only
	// its own size is known).
	uint64_t run_start = layout::kKernel;
	if (ver >= 0x205 && hdr.relocatable_kernel && hdr.kernel_alignment &&
	    !(hdr.kernel_alignment & (hdr.kernel_alignment - 1)))
		run_start = (run_start + hdr.kernel_alignment - 1) &
			    ~static_cast<uint64_t>(hdr.kernel_alignment - 1);
	else if (ver >= 0x20a && !hdr.relocatable_kernel && hdr.pref_address)
		run_start = hdr.pref_address;
	uint64_t kernel_end = layout::kKernel + kernel.size();
	if (ver >= 0x20a)
		kernel_end = std::max(kernel_end, run_start + hdr.init_size);
	if (kernel_end > mem.low_end())
		throw Error("guest memory too small for the kernel: it needs " +
			    mib(kernel_end) + " to decompress, --mem gives " +
			    mib(mem.low_end()));
	Placement pl(mem);
	pl.claim(layout::kKernel, kernel_end - layout::kKernel, "the kernel");
	mem.write(layout::kKernel, kernel);

	// boot_params: zero, then the setup header exactly as the image has it
	// (it ends where the jump at its start, 0x200, lands: 0x202 + its byte).
	boot_params bp{};
	auto *zp = reinterpret_cast<uint8_t *>(&bp);
	size_t hdr_end = std::min<size_t>(offsetof(boot_params, hdr.jump) + 2 + (hdr.jump >> 8),
					  sizeof(bp));
	hdr_end = std::min(hdr_end, image.size());
	std::copy(image.begin() + kHdrOff, image.begin() + hdr_end, zp + kHdrOff);
	bp.hdr.type_of_loader = 0xff; // undefined loader
	bp.hdr.code32_start = static_cast<uint32_t>(layout::kKernel);

	// The command line (2.02+) must lie below 0xa0000; cmdline_size is
	// known from 2.06, 255 bytes before.
	uint32_t cmdline_max = ver >= 0x206 ? hdr.cmdline_size : 255;
	if (cfg.cmdline.size() > cmdline_max || cfg.cmdline.size() >= layout::kCmdlineMax)
		throw Error("the command line is " + std::to_string(cfg.cmdline.size()) +
			    " bytes; this kernel takes at most " + std::to_string(cmdline_max));
	uint64_t cmdline = pl.alloc_near(layout::kCmdline, cfg.cmdline.size() + 1, 16,
					 "the command line", layout::kEbda);
	mem.write(cmdline, {reinterpret_cast<const uint8_t *>(cfg.cmdline.c_str()),
			    cfg.cmdline.size() + 1});
	bp.hdr.cmd_line_ptr = static_cast<uint32_t>(cmdline);
	bp.ext_cmd_line_ptr = 0;

	if (cfg.has_initrd) {
		// As high as the kernel allows (initrd_addr_max from 2.03, else
		// 0x37ffffff), so decompression never runs into it.
		uint64_t max = (ver >= 0x203 ? static_cast<uint64_t>(hdr.initrd_addr_max)
					     : 0x37ffffffull) + 1;
		uint64_t top = std::min(max, mem.low_end());
		uint64_t size = cfg.initrd.size();
		uint64_t addr;
		try {
			addr = pl.alloc(size, 0x1000, "the initrd", Placement::Prefer::High,
					kernel_end, top);
		} catch (const Error &) {
			throw Error("the initrd (" + mib(size) + ") does not fit between the kernel (" +
				    mib(kernel_end) + ") and " + mib(top) +
				    ": give the guest more --mem");
		}
		mem.write(addr, cfg.initrd);
		bp.hdr.ramdisk_image = static_cast<uint32_t>(addr);
		bp.hdr.ramdisk_size = static_cast<uint32_t>(size);
		bp.ext_ramdisk_image = static_cast<uint32_t>(addr >> 32);
		bp.ext_ramdisk_size = static_cast<uint32_t>(size >> 32);
	}

	// e820: conventional memory up to the EBDA, the BIOS area reserved,
	// then every RAM region from 1 MiB.
	unsigned n = 0;
	bp.e820_table[n++] = {0, layout::kEbda, kE820Ram};
	bp.e820_table[n++] = {layout::kEbda, 0x100000 - layout::kEbda, kE820Reserved};
	for (const auto &r : mem.regions()) {
		uint64_t start = std::max<uint64_t>(r.gpa, 0x100000);
		if (r.gpa + r.size > start && n < E820_MAX_ENTRIES_ZEROPAGE)
			bp.e820_table[n++] = {start, r.gpa + r.size - start, kE820Ram};
	}
	bp.e820_entries = static_cast<uint8_t>(n);
	uint64_t zero_page = pl.alloc_near(layout::kZeroPage, sizeof(bp), 0x1000,
					   "boot_params", layout::kEbda);
	mem.write(zero_page, {zp, sizeof(bp)});

	BootState st;
	st.format = "bzImage";
	st.linux32 = !entry64;
	place_common(mem, pl, st, entry64);
	st.regs.rsi = zero_page;
	st.regs.rflags = 2;
	if (entry64) {
		st.mode = BootState::Mode::Long64;
		st.regs.rip = layout::kKernel + 0x200;
	} else {
		st.mode = BootState::Mode::Protected32;
		st.regs.rip = bp.hdr.code32_start;
	}
	return st;
}

} // namespace ringvm
