// SPDX-License-Identifier: GPL-2.0
#include "vmm/io_bus.h"

#include <algorithm>
#include <sstream>

#include "vmm/error.h"

namespace ringvm {

void IoBus::add(uint64_t base, uint64_t len, IoDevice &dev, const std::string &what)
{
	if (len == 0 || base + len < base)
		throw Error("cannot register " + what + " on the " + name_ + " bus: empty range");
	auto next = ranges_.lower_bound(base);
	auto clash = [&](std::map<uint64_t, Range>::iterator it) {
		if (it == ranges_.end())
			return false;
		return it->first < base + len && base < it->first + it->second.len;
	};
	if (clash(next) || (next != ranges_.begin() && clash(std::prev(next)))) {
		auto &other = clash(next) ? next->second : std::prev(next)->second;
		std::ostringstream m;
		m << "cannot register " << what << " at 0x" << std::hex << base << " on the "
		  << name_ << " bus: it overlaps " << other.what;
		throw Error(m.str());
	}
	ranges_.emplace(base, Range{len, &dev, what});
}

IoDevice *IoBus::find(uint64_t addr)
{
	auto it = ranges_.upper_bound(addr);
	if (it == ranges_.begin())
		return nullptr;
	--it;
	return addr - it->first < it->second.len ? it->second.dev : nullptr;
}

bool IoBus::read(uint64_t addr, std::span<uint8_t> data)
{
	if (IoDevice *d = find(addr)) {
		d->io_read(addr, data);
		return true;
	}
	std::fill(data.begin(), data.end(), 0xff);
	return false;
}

bool IoBus::write(uint64_t addr, std::span<const uint8_t> data)
{
	if (IoDevice *d = find(addr)) {
		d->io_write(addr, data);
		return true;
	}
	return false;
}

} // namespace ringvm
