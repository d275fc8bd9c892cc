// SPDX-License-Identifier: GPL-2.0
#include "devices/pic8259.h"

namespace ringvm {

namespace {

// Position of the highest-priority bit of mask, counted from priority_add
// (the chip's current lowest-numbered priority after rotation); 8 if none.
int priority(uint8_t mask, uint8_t add)
{
	if (!mask)
		return 8;
	int p = 0;
	while (!(mask & (1u << ((p + add) & 7))))
		p++;
	return p;
}

} // namespace

void Pic8259::Chip::set_line(int irq, bool level)
{
	uint8_t m = 1u << irq;
	if (elcr & m) {
		// Level-triggered: IRR follows the line.
		irr = level ? (irr | m) : (irr & ~m);
	} else if (level && !(last_level & m)) {
		irr |= m;
	}
	last_level = level ? (last_level | m) : (last_level & ~m);
}

int Pic8259::Chip::highest_request() const
{
	int pr = priority(irr & ~imr, priority_add);
	if (pr == 8)
		return -1;
	// In special mask mode a masked in-service line does not block others.
	uint8_t in_service = special_mask ? (isr & ~imr) : isr;
	if (pr < priority(in_service, priority_add))
		return (pr + priority_add) & 7;
	return -1;
}

void Pic8259::Chip::intack(int irq)
{
	uint8_t m = 1u << irq;
	if (auto_eoi) {
		if (rotate_on_aeoi)
			priority_add = (irq + 1) & 7;
	} else {
		isr |= m;
	}
	// An edge request is consumed; a level one stays while the line is high.
	if (!(elcr & m))
		irr &= ~m;
}

void Pic8259::Chip::write_cmd(uint8_t v)
{
	if (v & 0x10) {
		// ICW1 restarts initialisation; the vector base survives.
		irr &= elcr;
		last_level = 0;
		isr = imr = 0;
		priority_add = 0;
		read_isr = poll = special_mask = auto_eoi = rotate_on_aeoi = false;
		init4 = v & 1;
		single = v & 2;
		init_state = 1;
		return;
	}
	if (v & 0x08) { // OCW3
		if (v & 0x04)
			poll = true;
		if (v & 0x02)
			read_isr = v & 1;
		if (v & 0x40)
			special_mask = (v >> 5) & 1;
		return;
	}
	// OCW2
	int irq;
	switch (v >> 5) {
	case 0:
	case 4:
		rotate_on_aeoi = v >> 7;
		break;
	case 1: // non-specific EOI
	case 5: // ... and rotate
		irq = priority(isr, priority_add);
		if (irq == 8)
			break;
		irq = (irq + priority_add) & 7;
		isr &= ~(1u << irq);
		if ((v >> 5) == 5)
			priority_add = (irq + 1) & 7;
		break;
	case 3: // specific EOI
		isr &= ~(1u << (v & 7));
		break;
	case 6: // set priority
		priority_add = (v + 1) & 7;
		break;
	case 7: // specific EOI and rotate
		isr &= ~(1u << (v & 7));
		priority_add = ((v & 7) + 1) & 7;
		break;
	default: // 2: no operation
		break;
	}
}

void Pic8259::Chip::write_data(uint8_t v)
{
	switch (init_state) {
	case 0: // OCW1
		imr = v;
		break;
	case 1: // ICW2
		base = v & 0xf8;
		init_state = single ? (init4 ? 3 : 0) : 2;
		break;
	case 2: // ICW3: the cascade wiring is fixed here
		init_state = init4 ? 3 : 0;
		break;
	default: // ICW4
		auto_eoi = (v >> 1) & 1;
		init_state = 0;
		break;
	}
}

void Pic8259::attach(IoBus &pio)
{
	pio.add(0x20, 2, *this, "8259 PIC (master)");
	pio.add(0xa0, 2, *this, "8259 PIC (slave)");
	pio.add(0x4d0, 2, *this, "8259 ELCR");
}

void Pic8259::update()
{
	// The slave's INTR is master line 2.
	chips_[0].set_line(2, chips_[1].highest_request() >= 0);
	bool was = intr_;
	intr_ = chips_[0].highest_request() >= 0;
	if (intr_ && !was && on_intr_)
		on_intr_();
}

void Pic8259::set_irq(unsigned line, bool level)
{
	if (line >= 16)
		return;
	chips_[line >> 3].set_line(line & 7, level);
	update();
}

uint8_t Pic8259::ack()
{
	Chip &m = chips_[0], &s = chips_[1];
	int irq = m.highest_request();
	uint8_t vector;
	if (irq < 0) {
		vector = m.base + 7;
	} else {
		m.intack(irq);
		if (irq == 2) {
			int irq2 = s.highest_request();
			if (irq2 >= 0)
				s.intack(irq2);
			else
				irq2 = 7;
			vector = s.base + irq2;
		} else {
			vector = m.base + irq;
		}
		// In auto-EOI mode the acknowledge ends the service.
		if (irq == 2 && s.auto_eoi)
			notify_ready(ready_lines() & (1u << (8 + ((vector - s.base) & 7))));
		else if (irq != 2 && m.auto_eoi)
			notify_ready(ready_lines() & (1u << irq));
	}
	update();
	return vector;
}

uint8_t Pic8259::poll_read(int chip)
{
	Chip &c = chips_[chip];
	c.poll = false;
	int irq = c.highest_request();
	if (irq < 0)
		return 0;
	c.intack(irq);
	update();
	return 0x80 | irq;
}

void Pic8259::io_read(uint64_t addr, std::span<uint8_t> data)
{
	uint8_t v;
	if (addr == 0x4d0 || addr == 0x4d1) {
		v = chips_[addr & 1].elcr;
	} else {
		int chip = addr >= 0xa0;
		Chip &c = chips_[chip];
		if (addr & 1)
			v = c.imr;
		else if (c.poll)
			v = poll_read(chip);
		else
			v = c.read_isr ? c.isr : c.irr;
	}
	le_store(data, v);
}

void Pic8259::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	uint8_t v = static_cast<uint8_t>(le_value(data));
	if (addr == 0x4d0 || addr == 0x4d1) {
		// Lines 0-2 of the master and 0 and 5 of the slave are edge-only.
		chips_[addr & 1].elcr = v & (addr & 1 ? 0xde : 0xf8);
	} else {
		Chip &c = chips_[addr >= 0xa0];
		uint16_t was = ready_lines();
		if (addr & 1)
			c.write_data(v);
		else
			c.write_cmd(v);
		notify_ready(ready_lines() & ~was);
	}
	update();
}

uint16_t Pic8259::ready_lines() const
{
	auto ready = [](const Chip &c) { return static_cast<uint8_t>(~(c.isr | c.imr)); };
	return static_cast<uint16_t>(ready(chips_[0]) | (ready(chips_[1]) << 8));
}

void Pic8259::notify_ready(uint16_t lines)
{
	for (unsigned line = 0; lines && line < 16; line++)
		if (lines & (1u << line))
			for (auto &cb : ready_cbs_)
				cb(line);
}

} // namespace ringvm
