// SPDX-License-Identifier: GPL-2.0
// Minimal kernel images built in memory for the loader tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace ringvm::test {

template <typename T> void put(std::vector<uint8_t> &b, size_t off, T v)
{
	if (b.size() < off + sizeof(v))
		b.resize(off + sizeof(v));
	std::memcpy(b.data() + off, &v, sizeof(v));
}

template <typename T> T get(const std::vector<uint8_t> &b, size_t off)
{
	T v;
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

// A bzImage whose protected-mode part is `payload` bytes of 0xcc.
inline std::vector<uint8_t> make_bzimage(size_t payload = 0x3000, uint32_t init_size = 0x400000)
{
	std::vector<uint8_t> b((4 + 1) * 512 + payload, 0);
	std::fill(b.begin() + 5 * 512, b.end(), 0xcc);
	b[0x1f1] = 4; // setup_sects
	put<uint16_t>(b, 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a; // jump over the header: it ends at 0x26c
	std::memcpy(b.data() + 0x202, "HdrS", 4);
	put<uint16_t>(b, 0x206, 0x020f);
	b[0x211] = 0x01;		     // LOADED_HIGH
	put<uint32_t>(b, 0x214, 0x100000);   // code32_start
	put<uint32_t>(b, 0x22c, 0x7fffffff); // initrd_addr_max
	put<uint32_t>(b, 0x230, 0x200000);   // kernel_alignment
	put<uint16_t>(b, 0x236, 0x0001);     // XLF_KERNEL_64
	put<uint32_t>(b, 0x238, 2047);	     // cmdline_size
	put<uint32_t>(b, 0x260, init_size);
	return b;
}

// An ELF executable with one PT_LOAD of `code` at paddr.
inline std::vector<uint8_t> make_elf(bool is64, uint64_t paddr, uint64_t entry,
				     const std::vector<uint8_t> &code, uint64_t bss = 0,
				     size_t code_offset = 0x1000)
{
	std::vector<uint8_t> b(code_offset, 0);
	b.insert(b.end(), code.begin(), code.end());
	std::memcpy(b.data(), "\x7f" "ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	put<uint16_t>(b, 16, 2); // ET_EXEC
	put<uint16_t>(b, 18, is64 ? 62 : 3);
	if (is64) {
		put<uint64_t>(b, 24, entry);
		put<uint64_t>(b, 32, 64);
		put<uint16_t>(b, 54, 56);
		put<uint16_t>(b, 56, 1);
		put<uint32_t>(b, 64, 1);
		put<uint64_t>(b, 64 + 8, code_offset);
		put<uint64_t>(b, 64 + 16, paddr);
		put<uint64_t>(b, 64 + 24, paddr);
		put<uint64_t>(b, 64 + 32, code.size());
		put<uint64_t>(b, 64 + 40, code.size() + bss);
	} else {
		put<uint32_t>(b, 24, static_cast<uint32_t>(entry));
		put<uint32_t>(b, 28, 52);
		put<uint16_t>(b, 42, 32);
		put<uint16_t>(b, 44, 1);
		put<uint32_t>(b, 52, 1);
		put<uint32_t>(b, 52 + 4, static_cast<uint32_t>(code_offset));
		put<uint32_t>(b, 52 + 8, static_cast<uint32_t>(paddr));
		put<uint32_t>(b, 52 + 12, static_cast<uint32_t>(paddr));
		put<uint32_t>(b, 52 + 16, static_cast<uint32_t>(code.size()));
		put<uint32_t>(b, 52 + 20, static_cast<uint32_t>(code.size() + bss));
	}
	return b;
}

// Puts a multiboot header at `off` with the given flags.
inline void add_multiboot_header(std::vector<uint8_t> &b, size_t off, uint32_t flags)
{
	put<uint32_t>(b, off, 0x1badb002);
	put<uint32_t>(b, off + 4, flags);
	put<uint32_t>(b, off + 8, 0u - 0x1badb002u - flags);
}

} // namespace ringvm::test
