// SPDX-License-Identifier: GPL-2.0
#include "loaders/boot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "vmm/error.h"
#include "vmm/fd.h"
#include "vmm/guest_memory.h"

namespace ringvm {

namespace {

constexpr uint64_t kCr0Pe = 1ull << 0, kCr0Et = 1ull << 4, kCr0Ne = 1ull << 5,
		   kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kEferLme = 1ull << 8, kEferLma = 1ull << 10;

Segment flat(uint16_t sel, uint8_t type, bool code64)
{
	Segment s;
	s.base = 0;
	s.limit = 0xffffffff;
	s.selector = sel;
	s.type = type;
	s.present = 1;
	s.s = 1;
	s.g = 1;
	s.l = code64;
	s.db = !code64;
	return s;
}

} // namespace

std::vector<uint8_t> read_file(const std::string &path, const char *what, uint64_t max)
{
	std::string name = std::string(what) + " " + path;
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw sys_error("read the " + name, errno);
	auto too_big = [&](const std::string &size) {
		return Error("cannot load the " + name + ": " + size +
			     " is more than the guest's memory of " + std::to_string(max) +
			     " bytes (give a larger --mem)");
	};
	struct stat st{};
	std::vector<uint8_t> v;
	if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
		if (static_cast<uint64_t>(st.st_size) > max)
			throw too_big(std::to_string(st.st_size) + " bytes");
		v.reserve(static_cast<size_t>(st.st_size));
	}
	// Chunk by chunk, so a device or pipe that never ends (/dev/zero)
	// stops at the bound instead of exhausting the host's memory.
	constexpr size_t kChunk = 1 << 20;
	for (;;) {
		size_t at = v.size();
		v.resize(at + kChunk);
		ssize_t n = ::read(fd.get(), v.data() + at, kChunk);
		v.resize(at + static_cast<size_t>(std::max<ssize_t>(n, 0)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw sys_error("read the " + name, errno);
		if (n == 0)
			return v;
		if (v.size() > max)
			throw too_big("more than " + std::to_string(max) + " bytes");
	}
}

void write_gdt(GuestMemory &mem, uint64_t at, bool linux32)
{
	const uint64_t gdt[5] = {
		0,
		0,
		linux32 ? 0x00cf9b000000ffffull : 0x00af9b000000ffffull, // 0x10
		0x00cf93000000ffffull, // 0x18: flat data
		0x00cf9b000000ffffull, // 0x20: 32-bit code
	};
	static_assert(sizeof(gdt) == layout::kGdtSize);
	mem.write(at, {reinterpret_cast<const uint8_t *>(gdt), sizeof(gdt)});
}

void write_identity_page_tables(GuestMemory &mem, uint64_t at)
{
	constexpr uint64_t kPresentRw = 0x3, kHuge = 0x80;
	const uint64_t pml4 = at, pdpt = at + 0x1000, pd = at + 0x2000;
	mem.put<uint64_t>(pml4, pdpt | kPresentRw);
	for (uint64_t i = 1; i < 512; i++)
		mem.put<uint64_t>(pml4 + 8 * i, 0);
	for (uint64_t i = 0; i < 512; i++)
		mem.put<uint64_t>(pdpt + 8 * i, i < 4 ? (pd + 0x1000 * i) | kPresentRw : 0);
	for (uint64_t i = 0; i < 4 * 512; i++)
		mem.put<uint64_t>(pd + 8 * i, (i << 21) | kPresentRw | kHuge);
}

void place_common(GuestMemory &mem, Placement &pl, BootState &st, bool paging)
{
	// The GDT and page tables stay below 1 MiB when they can, where
	// kernels expect a loader's leftovers.
	st.gdt = pl.alloc_near(layout::kGdt, layout::kGdtSize, 8, "the boot GDT", ~0ull);
	write_gdt(mem, st.gdt, st.linux32);
	if (paging) {
		st.cr3 = pl.alloc_near(layout::kPml4, layout::kPageTablesSize, 0x1000,
				       "the identity page tables", 4ull << 30);
		write_identity_page_tables(mem, st.cr3);
	}
	st.used = pl.used();
}

void enter(Vcpu &vcpu, const BootState &state)
{
	Sregs s = vcpu.get_sregs();
	bool lm = state.mode == BootState::Mode::Long64;
	uint16_t cs32 = state.linux32 ? layout::kBootCs : layout::kCode32;
	s.cs = lm ? flat(layout::kCode64, 0xb, true) : flat(cs32, 0xb, false);
	s.ds = s.es = s.fs = s.gs = s.ss = flat(layout::kData, 0x3, false);
	s.gdt = {state.gdt, layout::kGdtSize - 1};
	s.cr0 = kCr0Pe | kCr0Et | kCr0Ne;
	s.cr4 = 0;
	s.efer = 0;
	if (lm) {
		s.cr0 |= kCr0Pg;
		s.cr3 = state.cr3;
		s.cr4 = kCr4Pae;
		s.efer = kEferLme | kEferLma;
	}
	vcpu.set_sregs(s);
	vcpu.set_regs(state.regs);
	vcpu.reset_fpu();
}

BootState load_kernel(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg)
{
	if (image.size() >= 0x206 && std::memcmp(image.data() + 0x202, "HdrS", 4) == 0)
		return load_bzimage(mem, image, cfg);
	if (has_multiboot_header(image))
		return load_multiboot(mem, image, cfg);
	if (image.size() >= 5 && std::memcmp(image.data(), "\x7f" "ELF", 4) == 0) {
		if (image[4] == 2)
			return load_elf64(mem, image, cfg);
		throw Error("cannot boot a 32-bit ELF kernel without a multiboot header");
	}
	throw Error("the kernel is not a bzImage, ELF64 or multiboot image");
}

} // namespace ringvm
