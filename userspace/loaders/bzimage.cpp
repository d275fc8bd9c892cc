// SPDX-License-Identifier: GPL-2.0
// Linux bzImage through the 64-bit boot protocol (Documentation/arch/x86/
// boot.rst): the protected-mode kernel at 1 MiB, boot_params ("zero page")
// with the setup header, an e820 map, the command line and the initrd, then
// entry at load address + 0x200 in long mode with identity-mapped paging.
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
	if (hdr.version < 0x20c)
		throw Error("the bzImage speaks boot protocol " + std::to_string(hdr.version >> 8) +
			    "." + std::to_string(hdr.version & 0xff) +
			    "; ringvm needs 2.12 or later (Linux 3.8+)");
	if (!(hdr.loadflags & LOADED_HIGH) || !(hdr.xloadflags & XLF_KERNEL_64))
		throw Error("the bzImage has no 64-bit entry point (not an x86-64 kernel?)");

	size_t setup_sects = hdr.setup_sects ? hdr.setup_sects : 4;
	size_t setup_size = (setup_sects + 1) * 512;
	if (setup_size >= image.size())
		throw Error("the bzImage is truncated: its setup code claims " +
			    std::to_string(setup_size) + " of its " +
			    std::to_string(image.size()) + " bytes");
	auto kernel = image.subspan(setup_size);
	uint64_t init_size = std::max<uint64_t>(hdr.init_size, kernel.size());
	uint64_t kernel_end = layout::kKernel + init_size;
	if (kernel_end > mem.low_end())
		throw Error("guest memory too small for the kernel: it needs " +
			    mib(kernel_end) + " to decompress, --mem gives " +
			    mib(mem.low_end()));
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

	uint32_t cmdline_max = hdr.cmdline_size;
	if (cfg.cmdline.size() > cmdline_max || cfg.cmdline.size() >= layout::kCmdlineMax)
		throw Error("the command line is " + std::to_string(cfg.cmdline.size()) +
			    " bytes; this kernel takes at most " + std::to_string(cmdline_max));
	mem.write(layout::kCmdline, {reinterpret_cast<const uint8_t *>(cfg.cmdline.c_str()),
				     cfg.cmdline.size() + 1});
	bp.hdr.cmd_line_ptr = static_cast<uint32_t>(layout::kCmdline);
	bp.ext_cmd_line_ptr = 0;

	if (cfg.has_initrd) {
		// As high as the kernel allows, so decompression never runs into it.
		uint64_t max = static_cast<uint64_t>(hdr.initrd_addr_max) + 1;
		uint64_t top = std::min(max, mem.low_end());
		uint64_t size = cfg.initrd.size();
		if (size > top || ((top - size) & ~0xfffull) < kernel_end)
			throw Error("the initrd (" + mib(size) + ") does not fit between the kernel (" +
				    mib(kernel_end) + ") and " + mib(top) +
				    ": give the guest more --mem");
		uint64_t addr = (top - size) & ~0xfffull;
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
	mem.write(layout::kZeroPage, {zp, sizeof(bp)});
	write_gdt(mem);
	write_identity_page_tables(mem);

	BootState st;
	st.format = "bzImage";
	st.mode = BootState::Mode::Long64;
	st.regs.rip = layout::kKernel + 0x200;
	st.regs.rsi = layout::kZeroPage;
	st.regs.rflags = 2;
	return st;
}

} // namespace ringvm
