// SPDX-License-Identifier: GPL-2.0
#include "devices/msix.h"

#include "vmm/error.h"

namespace ringvm {

namespace {

constexpr uint8_t kCapMsix = 0x11;
constexpr uint16_t kCtrlEnable = 1u << 15, kCtrlFunctionMask = 1u << 14;
constexpr uint32_t kEntryMasked = 1;

} // namespace

Msix::Msix(PciConfig &cfg, unsigned vectors, unsigned bar, uint32_t table_off,
	   uint32_t pba_off)
	: cfg_(cfg), table_off_(table_off), pba_off_(pba_off), entries_(vectors)
{
	if (!vectors || vectors > 2048 || bar >= kPciNumBars || (table_off & 7) || (pba_off & 7))
		throw Error("bad MSI-X layout");
	cap_ = cfg_.add_capability(kCapMsix, 12);
	cfg_.poke(cap_ + 2, 2, vectors - 1);
	cfg_.poke(cap_ + 4, 4, table_off | bar);
	cfg_.poke(cap_ + 8, 4, pba_off | bar);
	cfg_.set_writable(cap_ + 2, 2, kCtrlEnable | kCtrlFunctionMask);
}

Msix::Msix(PciConfig &cfg, Existing at, unsigned vectors)
	: cfg_(cfg), cap_(at.cap), table_off_(0), pba_off_(kEntrySize * vectors),
	  entries_(vectors)
{
	if (!vectors || vectors > 2048 || at.cap < 0x40 || at.cap + 12 > 256)
		throw Error("bad MSI-X capability");
	cfg_.poke(cap_ + 2, 2, vectors - 1);
	cfg_.set_writable(cap_ + 2, 2, kCtrlEnable | kCtrlFunctionMask);
}

void Msix::reset()
{
	cfg_.poke(cap_ + 2, 2, control() & ~(kCtrlEnable | kCtrlFunctionMask));
	for (Entry &e : entries_)
		e = Entry{};
}

bool Msix::enabled() const
{
	return control() & kCtrlEnable;
}

bool Msix::masked(const Entry &e) const
{
	return (control() & kCtrlFunctionMask) || (e.ctrl & kEntryMasked);
}

std::optional<Msix::Message> Msix::live_message(uint16_t v) const
{
	if (!enabled() || v >= entries_.size() || masked(entries_[v]))
		return std::nullopt;
	const Entry &e = entries_[v];
	return Message{uint64_t{e.addr_hi} << 32 | e.addr_lo, e.data};
}

void Msix::notify(uint16_t v)
{
	if (v >= entries_.size())
		return;
	Entry &e = entries_[v];
	if (masked(e)) {
		e.pending = true;
		return;
	}
	if (sink_)
		sink_->signal_msi(uint64_t{e.addr_hi} << 32 | e.addr_lo, e.data);
}

void Msix::deliver_pending()
{
	if (!enabled())
		return;
	for (uint16_t v = 0; v < entries_.size(); v++) {
		Entry &e = entries_[v];
		if (e.pending && !masked(e)) {
			e.pending = false;
			notify(v);
		}
	}
}

void Msix::config_written()
{
	deliver_pending();
	if (on_change_)
		on_change_();
}

bool Msix::covers(uint64_t off, size_t len) const
{
	uint64_t table_end = table_off_ + uint64_t{kEntrySize} * entries_.size();
	uint64_t pba_end = pba_off_ + (entries_.size() + 63) / 64 * 8;
	return (off >= table_off_ && off + len <= table_end) ||
	       (off >= pba_off_ && off + len <= pba_end);
}

uint8_t Msix::byte(uint64_t off) const
{
	if (off >= pba_off_ && off < pba_off_ + (entries_.size() + 63) / 64 * 8) {
		uint64_t first = (off - pba_off_) * 8;
		uint8_t b = 0;
		for (unsigned i = 0; i < 8 && first + i < entries_.size(); i++)
			b |= static_cast<uint8_t>(entries_[first + i].pending) << i;
		return b;
	}
	uint64_t rel = off - table_off_;
	const Entry &e = entries_[rel / kEntrySize];
	const uint32_t words[4] = {e.addr_lo, e.addr_hi, e.data, e.ctrl};
	return static_cast<uint8_t>(words[rel % kEntrySize / 4] >> (8 * (rel % 4)));
}

void Msix::set_byte(uint64_t off, uint8_t v)
{
	if (off < table_off_ || off >= table_off_ + uint64_t{kEntrySize} * entries_.size())
		return; // the PBA is read-only
	uint64_t rel = off - table_off_;
	Entry &e = entries_[rel / kEntrySize];
	uint32_t *words[4] = {&e.addr_lo, &e.addr_hi, &e.data, &e.ctrl};
	uint32_t &w = *words[rel % kEntrySize / 4];
	unsigned shift = 8 * (rel % 4);
	w = (w & ~(0xffu << shift)) | (uint32_t{v} << shift);
}

void Msix::read(uint64_t off, std::span<uint8_t> data) const
{
	for (size_t i = 0; i < data.size(); i++)
		data[i] = byte(off + i);
}

void Msix::write(uint64_t off, std::span<const uint8_t> data)
{
	for (size_t i = 0; i < data.size(); i++)
		set_byte(off + i, data[i]);
	// Only the mask bit of vector control is defined; the rest reads 0.
	for (auto &e : entries_)
		e.ctrl &= kEntryMasked;
	deliver_pending();
	if (on_change_)
		on_change_();
}

} // namespace ringvm
