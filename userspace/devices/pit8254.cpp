// SPDX-License-Identifier: GPL-2.0
#include "devices/pit8254.h"

#include <ctime>

namespace ringvm {

uint64_t monotonic_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

namespace {

constexpr uint64_t kNsPerSec = 1000000000ull;

uint64_t ns_to_ticks(uint64_t ns)
{
	return static_cast<uint64_t>((static_cast<unsigned __int128>(ns) * Pit8254::kHz) /
				     kNsPerSec);
}

uint64_t ticks_to_ns(uint64_t t)
{
	// Round up so the deadline is never before the tick it names.
	return static_cast<uint64_t>((static_cast<unsigned __int128>(t) * kNsPerSec +
				      Pit8254::kHz - 1) /
				     Pit8254::kHz);
}

} // namespace

void Pit8254::attach(IoBus &pio)
{
	pio.add(0x40, 4, *this, "8254 PIT");
	pio.add(0x61, 1, *this, "system control port B");
}

uint64_t Pit8254::ticks(const Channel &c, uint64_t now) const
{
	if (!c.armed)
		return 0;
	if (!c.gate)
		return c.frozen_ticks;
	return c.frozen_ticks + ns_to_ticks(now - c.start);
}

uint32_t Pit8254::current(const Channel &c, uint64_t now) const
{
	if (!c.armed)
		return c.reload & 0xffff;
	uint64_t t = ticks(c, now);
	switch (c.mode) {
	case 2:
		return c.reload - t % c.reload;
	case 3: {
		// Square wave: counts down by two, twice per period.
		uint64_t half = (c.reload + 1) / 2, p = t % c.reload;
		uint64_t in_half = p < half ? p : p - half;
		return static_cast<uint32_t>((c.reload - 2 * in_half) & 0xfffe);
	}
	default: // 0, 1, 4, 5: one pass down, then wrap past zero
		return static_cast<uint32_t>((c.reload - t) & 0xffff);
	}
}

bool Pit8254::output(const Channel &c, uint64_t now) const
{
	if (!c.armed)
		return c.mode != 0;
	uint64_t t = ticks(c, now);
	switch (c.mode) {
	case 0:
		return t >= c.reload;
	case 1:
		return t >= c.reload;
	case 2:
		return t % c.reload != c.reload - 1;
	case 3:
		return t % c.reload < (c.reload + 1) / 2;
	case 4:
	case 5:
		return t != c.reload;
	default:
		return true;
	}
}

void Pit8254::load(Channel &c, uint32_t value)
{
	c.reload = value ? value : 0x10000;
	c.armed = true;
	c.start = clock_();
	c.frozen_ticks = 0;
	c.fired = 0;
	if (&c == &ch_[0] && c.mode == 0)
		irq0_.set(false); // mode 0: OUT falls when a count is written
}

void Pit8254::control(uint8_t v)
{
	int sel = v >> 6;
	if (sel == 3) { // read-back
		for (int i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			Channel &c = ch_[i];
			uint64_t now = clock_();
			if (!(v & 0x20) && !c.latched) {
				c.latched = true;
				c.latch = static_cast<uint16_t>(current(c, now));
			}
			if (!(v & 0x10) && !c.status_latched) {
				c.status_latched = true;
				c.status = (output(c, now) ? 0x80 : 0) | (c.access << 4) |
					   (c.mode << 1);
			}
		}
		return;
	}
	Channel &c = ch_[sel];
	uint8_t access = (v >> 4) & 3;
	if (access == 0) { // counter latch
		if (!c.latched) {
			c.latched = true;
			c.latch = static_cast<uint16_t>(current(c, clock_()));
		}
		return;
	}
	c.access = access;
	c.mode = (v >> 1) & 7;
	if (c.mode > 5)
		c.mode -= 4; // 6 and 7 alias 2 and 3
	c.armed = false;
	c.latched = c.status_latched = false;
	c.read_msb = c.write_msb = false;
	if (sel == 0)
		irq0_.set(c.mode != 0);
}

void Pit8254::io_read(uint64_t addr, std::span<uint8_t> data)
{
	uint8_t v = 0xff;
	if (addr == 0x61) {
		// Bit 4 toggles with DRAM refresh; some delay loops watch it.
		refresh_ = !refresh_;
		v = (port61_ & 0x0f) | (refresh_ ? 0x10 : 0) | (output(ch_[2], clock_()) ? 0x20 : 0);
	} else if (addr < 0x43) {
		Channel &c = ch_[addr - 0x40];
		if (c.status_latched) {
			c.status_latched = false;
			v = c.status;
		} else {
			uint16_t n = c.latched ? c.latch : static_cast<uint16_t>(current(c, clock_()));
			switch (c.access) {
			case 1:
				v = n & 0xff;
				c.latched = false;
				break;
			case 2:
				v = n >> 8;
				c.latched = false;
				break;
			default:
				v = c.read_msb ? n >> 8 : n & 0xff;
				if (c.read_msb)
					c.latched = false;
				c.read_msb = !c.read_msb;
				break;
			}
		}
	}
	le_store(data, v);
}

void Pit8254::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	write_port(addr, static_cast<uint8_t>(le_value(data)));
	// Any write may load a count, change a mode or move channel 2's gate.
	rearm();
}

void Pit8254::write_port(uint64_t addr, uint8_t v)
{
	if (addr == 0x61) {
		Channel &c = ch_[2];
		bool gate = v & 1;
		uint64_t now = clock_();
		if (gate && !c.gate) {
			// A rising gate restarts modes 1, 2, 3 and 5; mode 0 resumes.
			if (c.mode == 0 || c.mode == 4)
				c.start = now;
			else
				c.start = now, c.frozen_ticks = 0;
		} else if (!gate && c.gate) {
			c.frozen_ticks = ticks(c, now);
		}
		c.gate = gate;
		port61_ = v & 0x0f;
		return;
	}
	if (addr == 0x43) {
		control(v);
		return;
	}
	Channel &c = ch_[addr - 0x40];
	switch (c.access) {
	case 1:
		load(c, v);
		break;
	case 2:
		load(c, static_cast<uint32_t>(v) << 8);
		break;
	default:
		if (!c.write_msb) {
			c.write_lsb = v;
			c.write_msb = true;
		} else {
			c.write_msb = false;
			load(c, c.write_lsb | (static_cast<uint32_t>(v) << 8));
		}
		break;
	}
}

uint64_t Pit8254::deadline_after(const Channel &c, uint64_t n) const
{
	return c.start + ticks_to_ns((n + 1) * c.reload);
}

std::optional<uint64_t> Pit8254::next_deadline()
{
	const Channel &c = ch_[0];
	if (!c.armed || !c.gate)
		return std::nullopt;
	if (c.mode == 0 || c.mode == 1 || c.mode == 4 || c.mode == 5)
		return c.fired ? std::nullopt : std::optional<uint64_t>(deadline_after(c, 0));
	return deadline_after(c, c.fired);
}

void Pit8254::expire(uint64_t now)
{
	Channel &c = ch_[0];
	auto d = next_deadline();
	if (!d || now < *d)
		return;
	if (c.mode == 2 || c.mode == 3) {
		// Periods missed while the host was busy collapse into one tick:
		// an interrupt storm would not give the guest its time back.
		c.fired = ticks(c, now) / c.reload;
		irq0_.pulse();
	} else if (c.mode == 0) {
		c.fired = 1;
		irq0_.set(true); // OUT stays high until the next count
	} else {
		// Modes 1, 4 and 5 (Linux's oneshot clockevent uses 4): OUT idles
		// high and dips for one tick at terminal count; the edge is on
		// its way back up.
		c.fired = 1;
		irq0_.pulse();
	}
}

} // namespace ringvm
