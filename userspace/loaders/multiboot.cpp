// SPDX-License-Identifier: GPL-2.0
// Multiboot v1 kernels: a 32-bit ELF (or the a.out-kludge address fields),
// entered in flat 32-bit protected mode without paging, EAX = 0x2badb002 and
// EBX = the info structure: memory sizes, an e820-style map, the command line
// and the --module files, each page-aligned from 1 MiB up. The image may sit
// anywhere in RAM (kernels for a PC often load at 0x8000 or 0x1000): the
// loader's structures are placed around it.
#include <algorithm>
#include <cstring>

#include "loaders/boot.h"
#include "loaders/elf.h"
#include "vmm/error.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

constexpr uint32_t kMagic = 0x1badb002, kBootMagic = 0x2badb002;
constexpr uint32_t kFlagPageAlign = 1u << 0, kFlagMemInfo = 1u << 1, kFlagVideo = 1u << 2,
		   kFlagAddresses = 1u << 16;
constexpr uint32_t kInfoMem = 1u << 0, kInfoCmdline = 1u << 2, kInfoMods = 1u << 3,
		   kInfoMmap = 1u << 6;
constexpr uint64_t kSearch = 8192;


// Offset of a valid header in the first 8 KiB, or -1.
int64_t find_header(std::span<const uint8_t> b)
{
	for (uint64_t off = 0; off + 12 <= std::min<uint64_t>(b.size(), kSearch); off += 4) {
		uint32_t magic = read_at<uint32_t>(b, off), flags = read_at<uint32_t>(b, off + 4),
			 sum = read_at<uint32_t>(b, off + 8);
		if (magic == kMagic && magic + flags + sum == 0)
			return static_cast<int64_t>(off);
	}
	return -1;
}

} // namespace

bool has_multiboot_header(std::span<const uint8_t> image)
{
	return find_header(image) >= 0;
}

BootState load_multiboot(GuestMemory &mem, std::span<const uint8_t> b, const BootConfig &cfg)
{
	int64_t h = find_header(b);
	if (h < 0)
		throw Error("the kernel has no multiboot header in its first 8 KiB");
	uint32_t flags = read_at<uint32_t>(b, h + 4);
	if (flags & kFlagVideo)
		throw Error("the multiboot kernel asks for a video mode; ringvm has no display");
	if ((flags & 0xffff) & ~(kFlagPageAlign | kFlagMemInfo | kFlagVideo))
		throw Error("the multiboot kernel requires features ringvm does not know "
			    "(header flags " + std::to_string(flags & 0xffff) + ")");

	Placement pl(mem);
	uint64_t entry;
	if (flags & kFlagAddresses) {
		if (static_cast<uint64_t>(h) + 32 > b.size())
			throw Error("the multiboot header is truncated");
		uint32_t header_addr = read_at<uint32_t>(b, h + 12), load_addr = read_at<uint32_t>(b, h + 16),
			 load_end = read_at<uint32_t>(b, h + 20), bss_end = read_at<uint32_t>(b, h + 24);
		entry = read_at<uint32_t>(b, h + 28);
		if (header_addr < load_addr || header_addr - load_addr > static_cast<uint64_t>(h))
			throw Error("the multiboot header's load address lies before the file");
		uint64_t file_off = h - (header_addr - load_addr);
		uint64_t len = load_end ? static_cast<uint64_t>(load_end) - load_addr
					: b.size() - file_off;
		if (load_end && load_end < load_addr)
			throw Error("the multiboot header's load_end_addr is below load_addr");
		if (len > b.size() - file_off)
			throw Error("the multiboot header asks for more bytes than the file has");
		uint64_t end = load_addr + len;
		if (bss_end && bss_end > end)
			end = bss_end;
		pl.claim(load_addr, end - load_addr, "the multiboot kernel");
		mem.write(load_addr, b.subspan(file_off, len));
		auto bss = mem.span(load_addr + len, end - load_addr - len);
		std::fill(bss.begin(), bss.end(), 0);
	} else {
		ElfImage elf = parse_elf(b, false);
		entry = elf.entry;
		load_elf_segments(mem, pl, b, elf);
	}

	// Strings: the command line, then each module's name, in one block.
	uint64_t strings_size = cfg.cmdline.size() + 1;
	for (const auto &m : cfg.modules)
		strings_size += m.name.size() + 1;
	uint64_t str = pl.alloc_near(layout::kCmdline, strings_size, 1,
				     "the command line and module names", 4ull << 30);
	auto put_string = [&](const std::string &s) {
		mem.write(str, {reinterpret_cast<const uint8_t *>(s.c_str()), s.size() + 1});
		uint64_t at = str;
		str += s.size() + 1;
		return static_cast<uint32_t>(at);
	};
	uint32_t cmdline = put_string(cfg.cmdline);

	// Info (0x58 bytes), the memory map and the module list in one block.
	constexpr uint64_t kMmapOff = 0x100, kModsOff = 0x400;
	const uint64_t info_at = pl.alloc_near(layout::kMultibootInfo,
					       kModsOff + 16 * cfg.modules.size(), 16,
					       "the multiboot info", 4ull << 30);
	const uint64_t mmap_at = info_at + kMmapOff, mods_at = info_at + kModsOff;
	for (size_t i = 0; i < cfg.modules.size(); i++) {
		const auto &m = cfg.modules[i];
		uint64_t at;
		try {
			at = pl.alloc(m.bytes.size(), 0x1000, "the module " + m.name,
				      Placement::Prefer::Low, 0x100000, 4ull << 30);
		} catch (const Error &e) {
			throw Error("the module " + m.name + " (" + std::to_string(m.bytes.size()) +
				    " bytes) does not fit in guest memory: " + e.what());
		}
		mem.write(at, m.bytes);
		uint32_t rec[4] = {static_cast<uint32_t>(at),
				   static_cast<uint32_t>(at + m.bytes.size()), put_string(m.name), 0};
		mem.write(mods_at + 16 * i, {reinterpret_cast<const uint8_t *>(rec), sizeof(rec)});
	}

	// Memory map, in the multiboot layout (size field first).
	struct {
		uint32_t size;
		uint64_t addr, len;
		uint32_t type;
	} __attribute__((packed)) mmap[8];
	unsigned n = 0;
	mmap[n++] = {20, 0, layout::kEbda, 1};
	mmap[n++] = {20, layout::kEbda, 0x100000 - layout::kEbda, 2};
	for (const auto &r : mem.regions()) {
		uint64_t start = std::max<uint64_t>(r.gpa, 0x100000);
		if (r.gpa + r.size > start)
			mmap[n++] = {20, start, r.gpa + r.size - start, 1};
	}
	mem.write(mmap_at, {reinterpret_cast<const uint8_t *>(mmap), n * sizeof(mmap[0])});

	uint32_t info[13] = {};
	info[0] = kInfoMem | kInfoCmdline | kInfoMmap | (cfg.modules.empty() ? 0 : kInfoMods);
	info[1] = static_cast<uint32_t>(layout::kEbda >> 10);		 // mem_lower, KiB
	info[2] = static_cast<uint32_t>((mem.low_end() >> 10) - 1024); // mem_upper, KiB
	info[4] = cmdline;
	info[5] = static_cast<uint32_t>(cfg.modules.size());
	info[6] = static_cast<uint32_t>(mods_at);
	info[11] = n * sizeof(mmap[0]);
	info[12] = static_cast<uint32_t>(mmap_at);
	mem.write(info_at, {reinterpret_cast<const uint8_t *>(info), sizeof(info)});

	uint64_t stack = pl.alloc_near(layout::kBootStack - layout::kBootStackSize,
				       layout::kBootStackSize, 16, "the boot stack", 4ull << 30);
	BootState st;
	place_common(mem, pl, st, false);
	st.format = "multiboot";
	st.mode = BootState::Mode::Protected32;
	st.regs.rip = entry;
	st.regs.rax = kBootMagic;
	st.regs.rbx = info_at;
	st.regs.rsp = stack + layout::kBootStackSize;
	return st;
}

} // namespace ringvm
