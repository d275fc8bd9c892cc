// SPDX-License-Identifier: GPL-2.0
// Multiboot v1 kernels: a 32-bit ELF (or the a.out-kludge address fields),
// entered in flat 32-bit protected mode without paging, EAX = 0x2badb002 and
// EBX = the info structure: memory sizes, an e820-style map, the command line
// and the --module files, each page-aligned after the kernel.
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

uint64_t page_up(uint64_t v)
{
	return (v + 0xfff) & ~0xfffull;
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

	uint64_t entry, end;
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
		end = load_addr + len;
		if (bss_end && bss_end > end)
			end = bss_end;
		if (!mem.contains(load_addr, end - load_addr))
			throw Error("guest memory too small for the kernel: it needs " +
				    std::to_string((end + (1 << 20) - 1) >> 20) + " MiB");
		mem.write(load_addr, b.subspan(file_off, len));
		auto bss = mem.span(load_addr + len, end - load_addr - len);
		std::fill(bss.begin(), bss.end(), 0);
	} else {
		ElfImage elf = parse_elf(b, false);
		entry = elf.entry;
		end = load_elf_segments(mem, b, elf);
	}

	// Strings: command line, then each module's name.
	uint64_t str = layout::kCmdline;
	auto put_string = [&](const std::string &s) {
		if (str + s.size() + 1 > layout::kCmdline + layout::kCmdlineMax)
			throw Error("the command line and module names exceed 64 KiB");
		mem.write(str, {reinterpret_cast<const uint8_t *>(s.c_str()), s.size() + 1});
		uint64_t at = str;
		str += s.size() + 1;
		return static_cast<uint32_t>(at);
	};
	uint32_t cmdline = put_string(cfg.cmdline);

	constexpr uint64_t kMmap = layout::kMultibootInfo + 0x100, kMods = layout::kMultibootInfo + 0x400;
	uint64_t next = page_up(end);
	for (size_t i = 0; i < cfg.modules.size(); i++) {
		const auto &m = cfg.modules[i];
		if (kMods + 16 * (i + 1) > layout::kCmdline)
			throw Error("too many multiboot modules");
		if (!mem.contains(next, m.bytes.size()) || next + m.bytes.size() > mem.low_end())
			throw Error("the module " + m.name + " (" + std::to_string(m.bytes.size()) +
				    " bytes) does not fit in guest memory after the kernel");
		mem.write(next, m.bytes);
		uint32_t rec[4] = {static_cast<uint32_t>(next),
				   static_cast<uint32_t>(next + m.bytes.size()), put_string(m.name), 0};
		mem.write(kMods + 16 * i, {reinterpret_cast<const uint8_t *>(rec), sizeof(rec)});
		next = page_up(next + m.bytes.size());
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
	mem.write(kMmap, {reinterpret_cast<const uint8_t *>(mmap), n * sizeof(mmap[0])});

	uint32_t info[13] = {};
	info[0] = kInfoMem | kInfoCmdline | kInfoMmap | (cfg.modules.empty() ? 0 : kInfoMods);
	info[1] = static_cast<uint32_t>(layout::kEbda >> 10);		 // mem_lower, KiB
	info[2] = static_cast<uint32_t>((mem.low_end() >> 10) - 1024); // mem_upper, KiB
	info[4] = cmdline;
	info[5] = static_cast<uint32_t>(cfg.modules.size());
	info[6] = static_cast<uint32_t>(kMods);
	info[11] = n * sizeof(mmap[0]);
	info[12] = static_cast<uint32_t>(kMmap);
	mem.write(layout::kMultibootInfo, {reinterpret_cast<const uint8_t *>(info), sizeof(info)});

	write_gdt(mem);
	BootState st;
	st.format = "multiboot";
	st.mode = BootState::Mode::Protected32;
	st.regs.rip = entry;
	st.regs.rax = kBootMagic;
	st.regs.rbx = layout::kMultibootInfo;
	st.regs.rsp = layout::kBootStack;
	return st;
}

} // namespace ringvm
