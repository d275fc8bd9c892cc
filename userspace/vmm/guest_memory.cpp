// SPDX-License-Identifier: GPL-2.0
#include "vmm/guest_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "vmm/backend.h"
#include "vmm/error.h"

namespace ringvm {

GuestMemory::GuestMemory(uint64_t size) : size_(size)
{
	if (size < (1u << 20) || size % 4096)
		throw Error("cannot create guest memory of " + std::to_string(size) +
			    " bytes: need a multiple of 4 KiB, at least 1 MiB");
	void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		throw sys_error("allocate " + std::to_string(size >> 20) + " MiB of guest memory",
				errno);
	base_ = static_cast<uint8_t *>(p);
	uint64_t low = std::min(size, kPciHoleStart);
	regions_.push_back({0, low, 0});
	if (size > low)
		regions_.push_back({kHighStart, size - low, low});
}

GuestMemory::~GuestMemory()
{
	::munmap(base_, size_);
}

bool GuestMemory::contains(uint64_t gpa, uint64_t len) const
{
	for (const auto &r : regions_)
		if (gpa >= r.gpa && len <= r.size && gpa - r.gpa <= r.size - len)
			return true;
	return false;
}

std::span<uint8_t> GuestMemory::span(uint64_t gpa, uint64_t len)
{
	for (const auto &r : regions_)
		if (gpa >= r.gpa && len <= r.size && gpa - r.gpa <= r.size - len)
			return {base_ + r.offset + (gpa - r.gpa), len};
	throw Error("guest range [" + std::to_string(gpa) + ", +" + std::to_string(len) +
		    ") is not RAM");
}

void GuestMemory::write(uint64_t gpa, std::span<const uint8_t> bytes)
{
	auto dst = span(gpa, bytes.size());
	if (!bytes.empty())
		std::memcpy(dst.data(), bytes.data(), bytes.size());
}

void GuestMemory::map_into(Vm &vm)
{
	uint32_t slot = 0;
	for (const auto &r : regions_)
		vm.map_memory(slot++, r.gpa, r.size, base_ + r.offset);
}

} // namespace ringvm
