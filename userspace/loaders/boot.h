// SPDX-License-Identifier: GPL-2.0
// What every loader shares: where things go in low memory, the state the
// boot vCPU starts in, and the format detection behind `ringvm run --kernel`.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "loaders/placement.h"
#include "vmm/backend.h"

namespace ringvm {

class GuestMemory;

// Low-memory layout (below the EBDA at 0x9fc00, which stays reserved).
// A T stored at @off of an image (host byte order, any alignment); the
// caller has checked that it lies inside.
template <typename T> T read_at(std::span<const uint8_t> image, uint64_t off)
{
	static_assert(std::is_trivially_copyable_v<T>);
	T v;
	std::memcpy(&v, image.data() + off, sizeof(v));
	return v;
}

// Preferred addresses: a loader puts each structure here when the image
// leaves it free, and elsewhere (loaders/placement.h) when it does not.
namespace layout {
constexpr uint64_t kGdt = 0x500;	    // boot GDT, 5 entries
constexpr uint64_t kBootStack = 0x7000;	    // ELF64 / multiboot stack top
constexpr uint64_t kBootStackSize = 0x4000;
constexpr uint64_t kZeroPage = 0x7000;	    // Linux boot_params
constexpr uint64_t kPml4 = 0x9000;	    // identity page tables...
constexpr uint64_t kPdpt = 0xa000;
constexpr uint64_t kPd = 0xb000;	    // ...four PDs of 2 MiB pages: 4 GiB
constexpr uint64_t kPageTablesSize = 0x6000;
constexpr uint64_t kMultibootInfo = 0x10000; // info, mmap, module list
constexpr uint64_t kCmdline = 0x20000;
constexpr uint64_t kCmdlineMax = 0x10000;
constexpr uint64_t kKernel = 0x100000;
constexpr uint64_t kEbda = 0x9fc00;
constexpr uint64_t kGdtSize = 5 * 8;
// GDT selectors: Linux's __BOOT_CS / __BOOT_DS, and a 32-bit code segment.
constexpr uint16_t kCode64 = 0x10, kData = 0x18, kCode32 = 0x20;
constexpr uint16_t kBootCs = 0x10; // __BOOT_CS: 32-bit code when BootState::linux32
} // namespace layout

struct BootState {
	enum class Mode { Long64, Protected32 } mode = Mode::Long64;
	Regs regs;
	std::string format; // "bzImage", "multiboot", "ELF64"
	uint64_t gdt = layout::kGdt;
	uint64_t cr3 = layout::kPml4;	     // Long64 only
	// Linux's 32-bit boot protocol wants CS = __BOOT_CS (0x10) as a 32-bit
	// code segment; everything else enters 32-bit code through kCode32.
	bool linux32 = false;
	// Every range the image and the loader took: where the board places
	// what it adds (ACPI tables) with a Placement built from it.
	std::vector<Range> used;
};

struct BootConfig {
	std::string cmdline;
	std::vector<uint8_t> initrd; // empty: none
	bool has_initrd = false;
	struct Module {
		std::string name;
		std::vector<uint8_t> bytes;
	};
	std::vector<Module> modules; // multiboot only
};

// Reads a whole file of at most @max bytes (the guest's memory: nothing
// larger can be loaded); throws Error naming the file, and both sizes when
// it is larger.
std::vector<uint8_t> read_file(const std::string &path, const char *what, uint64_t max);

// Detects bzImage, multiboot (v1) or ELF64 and loads it; throws Error for
// anything else or anything that does not fit.
BootState load_kernel(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg);

BootState load_bzimage(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg);
BootState load_multiboot(GuestMemory &mem, std::span<const uint8_t> image,
			 const BootConfig &cfg);
BootState load_elf64(GuestMemory &mem, std::span<const uint8_t> image, const BootConfig &cfg);
bool has_multiboot_header(std::span<const uint8_t> image);

// Shared pieces.
// Writes the boot GDT at @at; with @linux32 its 0x10 entry is 32-bit code.
void write_gdt(GuestMemory &mem, uint64_t at, bool linux32 = false);
// Four GiB identity-mapped with 2 MiB pages: kPageTablesSize bytes at @at.
void write_identity_page_tables(GuestMemory &mem, uint64_t at);
// Puts the boot vCPU (registers, segments, paging) in state's mode.
void enter(Vcpu &vcpu, const BootState &state);
// Places the GDT, and with @paging the identity page
// tables, writes them and records them in @st.
void place_common(GuestMemory &mem, Placement &pl, BootState &st, bool paging);

} // namespace ringvm
