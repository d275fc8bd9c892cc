// SPDX-License-Identifier: GPL-2.0
// Linux bzImage through the 64-bit boot protocol (Documentation/arch/x86/
// boot.rst): the protected-mode kernel at 1 MiB, boot_params ("zero page")
// with the setup header, an e820 map, the command line and the initrd, then
// entry at load address + 0x200 in long mode with identity-mapped paging.
#include <algorithm>
#include <cstring>

#include "loaders/boot.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

// Offsets in the image's setup header and in boot_params.
constexpr size_t kSetupSects = 0x1f1, kBootFlag = 0x1fe, kJump = 0x200, kVersion = 0x206,
		 kTypeOfLoader = 0x210, kLoadflags = 0x211, kCode32Start = 0x214,
		 kRamdiskImage = 0x218, kRamdiskSize = 0x21c, kCmdLinePtr = 0x228,
		 kInitrdAddrMax = 0x22c, kXloadflags = 0x236, kCmdlineSize = 0x238,
		 kInitSize = 0x260;
constexpr size_t kExtRamdiskImage = 0x0c0, kExtRamdiskSize = 0x0c4, kExtCmdLinePtr = 0x0c8,
		 kE820Entries = 0x1e8, kE820Table = 0x2d0;
constexpr unsigned kE820Max = 128;
constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint16_t kXlfKernel64 = 0x01;
constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;

template <typename T> T get(std::span<const uint8_t> b, size_t off)
{
	T v;
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

template <typename T> void set(std::vector<uint8_t> &b, size_t off, T v)
{
	std::memcpy(b.data() + off, &v, sizeof(v));
}

std::string mib(uint64_t bytes)
{
	return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

} // namespace

BootState load_bzimage(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg)
{
	if (image.size() < 0x264 || get<uint16_t>(image, kBootFlag) != 0xaa55 ||
	    std::memcmp(image.data() + 0x202, "HdrS", 4) != 0)
		throw Error("the kernel is not a bzImage: no setup header");
	uint16_t version = get<uint16_t>(image, kVersion);
	if (version < 0x20c)
		throw Error("the bzImage speaks boot protocol " + std::to_string(version >> 8) +
			    "." + std::to_string(version & 0xff) +
			    "; ringvm needs 2.12 or later (Linux 3.8+)");
	if (!(image[kLoadflags] & kLoadedHigh) || !(get<uint16_t>(image, kXloadflags) & kXlfKernel64))
		throw Error("the bzImage has no 64-bit entry point (not an x86-64 kernel?)");

	size_t setup_sects = image[kSetupSects] ? image[kSetupSects] : 4;
	size_t setup_size = (setup_sects + 1) * 512;
	if (setup_size >= image.size())
		throw Error("the bzImage is truncated: its setup code claims " +
			    std::to_string(setup_size) + " of its " +
			    std::to_string(image.size()) + " bytes");
	auto kernel = image.subspan(setup_size);
	uint64_t init_size = std::max<uint64_t>(get<uint32_t>(image, kInitSize), kernel.size());
	uint64_t kernel_end = layout::kKernel + init_size;
	if (kernel_end > mem.low_end())
		throw Error("guest memory too small for the kernel: it needs " +
			    mib(kernel_end) + " to decompress, --mem gives " +
			    mib(mem.low_end()));
	mem.write(layout::kKernel, kernel);

	// boot_params: zero, then the setup header exactly as the image has it.
	std::vector<uint8_t> zp(4096, 0);
	size_t hdr_end = std::min<size_t>(kJump + 2 + image[kJump + 1], 4096);
	hdr_end = std::min(hdr_end, image.size());
	std::copy(image.begin() + kSetupSects, image.begin() + hdr_end, zp.begin() + kSetupSects);
	zp[kTypeOfLoader] = 0xff; // undefined loader
	set<uint32_t>(zp, kCode32Start, static_cast<uint32_t>(layout::kKernel));

	uint32_t cmdline_max = get<uint32_t>(image, kCmdlineSize);
	if (cfg.cmdline.size() > cmdline_max || cfg.cmdline.size() >= layout::kCmdlineMax)
		throw Error("the command line is " + std::to_string(cfg.cmdline.size()) +
			    " bytes; this kernel takes at most " + std::to_string(cmdline_max));
	mem.write(layout::kCmdline, {reinterpret_cast<const uint8_t *>(cfg.cmdline.c_str()),
				     cfg.cmdline.size() + 1});
	set<uint32_t>(zp, kCmdLinePtr, static_cast<uint32_t>(layout::kCmdline));
	set<uint32_t>(zp, kExtCmdLinePtr, 0);

	if (cfg.has_initrd) {
		// As high as the kernel allows, so decompression never runs into it.
		uint64_t max = static_cast<uint64_t>(get<uint32_t>(image, kInitrdAddrMax)) + 1;
		uint64_t top = std::min(max, mem.low_end());
		uint64_t size = cfg.initrd.size();
		if (size > top || ((top - size) & ~0xfffull) < kernel_end)
			throw Error("the initrd (" + mib(size) + ") does not fit between the kernel (" +
				    mib(kernel_end) + ") and " + mib(top) +
				    ": give the guest more --mem");
		uint64_t addr = (top - size) & ~0xfffull;
		mem.write(addr, cfg.initrd);
		set<uint32_t>(zp, kRamdiskImage, static_cast<uint32_t>(addr));
		set<uint32_t>(zp, kRamdiskSize, static_cast<uint32_t>(size));
		set<uint32_t>(zp, kExtRamdiskImage, static_cast<uint32_t>(addr >> 32));
		set<uint32_t>(zp, kExtRamdiskSize, static_cast<uint32_t>(size >> 32));
	}

	// e820: conventional memory up to the EBDA, the BIOS area reserved,
	// then every RAM region from 1 MiB.
	struct {
		uint64_t addr, size;
		uint32_t type;
	} __attribute__((packed)) e820[kE820Max];
	unsigned n = 0;
	e820[n++] = {0, layout::kEbda, kE820Ram};
	e820[n++] = {layout::kEbda, 0x100000 - layout::kEbda, kE820Reserved};
	for (const auto &r : mem.regions()) {
		uint64_t start = std::max<uint64_t>(r.gpa, 0x100000);
		if (r.gpa + r.size > start)
			e820[n++] = {start, r.gpa + r.size - start, kE820Ram};
	}
	zp[kE820Entries] = static_cast<uint8_t>(n);
	std::memcpy(zp.data() + kE820Table, e820, n * sizeof(e820[0]));
	mem.write(layout::kZeroPage, zp);

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
