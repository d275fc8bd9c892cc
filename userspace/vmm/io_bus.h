// SPDX-License-Identifier: GPL-2.0
// Port-I/O and MMIO buses (kvmtool style): a device claims a range and gets
// every access inside it with the absolute address, so one device can own
// several ranges (the PIT owns 0x40-0x43 and 0x61).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace ringvm {

class IoDevice {
public:
	virtual ~IoDevice() = default;
	// data.size() is the access width (1, 2, 4 or 8). Reads fill all of data.
	virtual void io_read(uint64_t addr, std::span<uint8_t> data) = 0;
	virtual void io_write(uint64_t addr, std::span<const uint8_t> data) = 0;
};

class IoBus {
public:
	explicit IoBus(std::string name) : name_(std::move(name)) {}
	// Throws Error if the range overlaps one already claimed.
	void add(uint64_t base, uint64_t len, IoDevice &dev, const std::string &what);
	// False when no device claims addr: reads then return all ones.
	bool read(uint64_t addr, std::span<uint8_t> data);
	bool write(uint64_t addr, std::span<const uint8_t> data);

private:
	struct Range {
		uint64_t len;
		IoDevice *dev;
		std::string what;
	};
	IoDevice *find(uint64_t addr);
	std::string name_;
	std::map<uint64_t, Range> ranges_; // keyed by base
};

// Little-endian helpers for device code.
inline uint64_t le_value(std::span<const uint8_t> d)
{
	uint64_t v = 0;
	for (size_t i = 0; i < d.size() && i < 8; i++)
		v |= static_cast<uint64_t>(d[i]) << (8 * i);
	return v;
}

inline void le_store(std::span<uint8_t> d, uint64_t v)
{
	for (size_t i = 0; i < d.size(); i++)
		d[i] = i < 8 ? static_cast<uint8_t>(v >> (8 * i)) : 0;
}

} // namespace ringvm
