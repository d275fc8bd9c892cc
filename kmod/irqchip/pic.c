// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's 8259A pair: master at 0x20/0x21 (inputs 0-7), slave at
 * 0xa0/0xa1 (inputs 8-15) cascaded into the master's input 2, and the
 * PIIX edge/level control registers at 0x4d0/0x4d1.  Register semantics
 * are the 8259A datasheet's: ICW1-4 initialise, OCW1 masks, OCW2 ends
 * interrupts and rotates priorities, OCW3 selects IRR/ISR reads, polling
 * and special mask mode.
 *
 * An edge-triggered input latches a request on a rising edge of its line;
 * a level-triggered one (ELCR) requests while its line is high.  The
 * master's INT output is high while some request outranks everything in
 * service; rv_pic_ack() is the CPU's INTA cycle.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "pic.h"

#define PIC_MASTER_CMD	0x20
#define PIC_MASTER_DATA	0x21
#define PIC_SLAVE_CMD	0xa0
#define PIC_SLAVE_DATA	0xa1
#define PIC_ELCR1	0x4d0
#define PIC_ELCR2	0x4d1
#define PIC_CASCADE	2

#define ICW1		0x10
#define ICW1_ICW4	0x01
#define ICW1_SINGLE	0x02
#define OCW3		0x08
#define OCW3_POLL	0x04
#define OCW3_READ	0x02
#define OCW3_READ_ISR	0x01
#define OCW3_ESMM	0x40
#define OCW3_SMM	0x20
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10

/* OCW2's R/SL/EOI field (bits 7-5). */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

static void chip_reset(struct rv_8259 *c)
{
	u8 line = c->line, elcr = c->elcr, elcr_mask = c->elcr_mask;

	memset(c, 0, sizeof(*c));
	/* The input levels are wires, and the ELCR belongs to the chipset. */
	c->line = line;
	c->elcr = elcr;
	c->elcr_mask = elcr_mask;
	/* Edge requests are forgotten; a level input still high requests again. */
	c->irr = line & elcr;
}

/* The priority rank (0 highest) of the best input in @mask, or 8 for none. */
static unsigned int best_rank(const struct rv_8259 *c, u8 mask)
{
	unsigned int rank;

	for (rank = 0; rank < 8; rank++)
		if (mask & BIT((rank + c->highest) & 7))
			return rank;
	return 8;
}

/* The input this chip would raise INT for, or -1. */
static int pending_input(const struct rv_8259 *c, bool master)
{
	unsigned int rank = best_rank(c, c->irr & ~c->imr);
	u8 in_service = c->isr;

	if (rank == 8)
		return -1;
	/* Special mask mode: a masked input in service blocks nothing. */
	if (c->special_mask)
		in_service &= ~c->imr;
	/* Fully nested: the slave may interrupt its own cascade in service. */
	if (master && c->sfnm)
		in_service &= ~BIT(PIC_CASCADE);
	if (rank >= best_rank(c, in_service))
		return -1;
	return (rank + c->highest) & 7;
}

/* Drive input @irq of @c to @level.  Returns true when a new request was latched. */
static bool chip_set_input(struct rv_8259 *c, unsigned int irq, bool level)
{
	u8 bit = BIT(irq);
	bool latched = c->irr & bit, rising = level && !(c->line & bit);

	if (level)
		c->line |= bit;
	else
		c->line &= ~bit;
	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (rising) {
		c->irr |= bit;
	}
	return !latched && (c->irr & bit);
}

/*
 * Propagate the slave to the cascade input and recompute INT.  Lock held.
 * The slave's INT is pulsed into the master's (edge-triggered) input 2, so
 * that a second slave request is latched even while the first one's line
 * never dropped (a slave in auto-EOI mode has nothing in service to hold it).
 */
static void update(struct rv_pic *pic)
{
	if (pending_input(&pic->chip[1], false) >= 0) {
		chip_set_input(&pic->chip[0], PIC_CASCADE, true);
		chip_set_input(&pic->chip[0], PIC_CASCADE, false);
	}
	pic->output = pending_input(&pic->chip[0], true) >= 0;
}

/*
 * End a locked section: tell the sources of the pins it EOI'd first (a
 * resampled irqfd lowers its line there, so a level request that is gone
 * never raises INT again), then recompute INT and kick its owner if it
 * moved.  Called with the lock held; returns with it released.
 *
 * Like the I/O APIC, the PIC is never driven from hard-interrupt context.
 */
static void settle_and_unlock(struct rv_pic *pic, bool old_output)
{
	unsigned int acked = pic->acked, pin;
	bool output;

	pic->acked = 0;
	if (acked && pic->ops->acked) {
		raw_spin_unlock(&pic->lock);
		for (pin = 0; pin < RV_PIC_PINS; pin++)
			if (acked & BIT(pin))
				pic->ops->acked(pic->ctx, pin);
		raw_spin_lock(&pic->lock);
	}
	update(pic);
	output = pic->output;
	raw_spin_unlock(&pic->lock);
	if (output != old_output)
		pic->ops->output(pic->ctx);
}

void rv_pic_init(struct rv_pic *pic, const struct rv_pic_ops *ops, void *ctx)
{
	memset(pic, 0, sizeof(*pic));
	raw_spin_lock_init(&pic->lock);
	pic->ops = ops;
	pic->ctx = ctx;
	/* PIIX: inputs 0, 1, 2, 8 and 13 are always edge-triggered. */
	pic->chip[0].elcr_mask = 0xf8;
	pic->chip[1].elcr_mask = 0xde;
	rv_pic_reset(pic);
}

void rv_pic_reset(struct rv_pic *pic)
{
	bool old;

	raw_spin_lock(&pic->lock);
	old = pic->output;
	chip_reset(&pic->chip[0]);
	chip_reset(&pic->chip[1]);
	settle_and_unlock(pic, old);
}

/*
 * Set the level of input @pin (0-15).  Returns, as RINGVM_IRQ_LINE_STATUS
 * reports it: 1 when a new request was latched (and for a de-assertion),
 * 0 when it was not (already latched, or an edge input already high:
 * coalesced), -1 when the input is masked.
 */
int rv_pic_set_irq(struct rv_pic *pic, unsigned int pin, bool level)
{
	struct rv_8259 *c;
	bool old, latched;
	int r;

	if (pin >= RV_PIC_PINS)
		return -EINVAL;
	c = &pic->chip[pin >> 3];
	raw_spin_lock(&pic->lock);
	old = pic->output;
	latched = chip_set_input(c, pin & 7, level);
	r = !level ? 1 : (c->imr & BIT(pin & 7)) ? -1 : latched;
	settle_and_unlock(pic, old);
	return r;
}

/* A consistent copy of chip @which (0 master, 1 slave), for RINGVM_GET_IRQCHIP. */
void rv_pic_save(struct rv_pic *pic, unsigned int which, struct rv_8259 *out)
{
	raw_spin_lock(&pic->lock);
	*out = pic->chip[which & 1];
	raw_spin_unlock(&pic->lock);
}

/*
 * RINGVM_SET_IRQCHIP: replace chip @which with @in, then recompute INT.
 * The ELCR mask is the chipset's and stays; the caller checked that
 * @in's fields are in range (init_step <= 3, highest <= 7).
 */
void rv_pic_restore(struct rv_pic *pic, unsigned int which, const struct rv_8259 *in)
{
	struct rv_8259 *c = &pic->chip[which & 1];
	bool old;

	raw_spin_lock(&pic->lock);
	old = pic->output;
	*c = (struct rv_8259){ .elcr_mask = c->elcr_mask, .single = c->single };
	c->irr = in->irr;
	c->isr = in->isr;
	c->imr = in->imr;
	c->line = in->line;
	c->elcr = in->elcr & c->elcr_mask;
	c->vector_base = in->vector_base & 0xf8;
	c->highest = in->highest & 7;
	c->init_step = min_t(u8, in->init_step, 3);
	c->icw4_needed = in->icw4_needed;
	c->auto_eoi = in->auto_eoi;
	c->rotate_on_aeoi = in->rotate_on_aeoi;
	c->sfnm = in->sfnm;
	c->read_isr = in->read_isr;
	c->poll = in->poll;
	c->special_mask = in->special_mask;
	settle_and_unlock(pic, old);
}

bool rv_pic_output(struct rv_pic *pic)
{
	bool r;

	raw_spin_lock(&pic->lock);
	r = pic->output;
	raw_spin_unlock(&pic->lock);
	return r;
}

/* The INTA cycle on one chip for @irq: in service (unless AEOI), latch consumed. */
static void chip_acknowledge(struct rv_pic *pic, struct rv_8259 *c, unsigned int irq)
{
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->highest = (irq + 1) & 7;
		pic->acked |= BIT(irq + (c == &pic->chip[1] ? 8 : 0));
	} else {
		c->isr |= BIT(irq);
	}
	/* A level input stays requested while its line is high. */
	if (!(c->elcr & BIT(irq)))
		c->irr &= ~BIT(irq);
}

/*
 * The CPU acknowledges INT: returns the vector the PIC pair puts on the
 * bus.  Without a request (it went away since INT rose) the answer is the
 * spurious IRQ 7 of the chip asked, unrecorded, as on the 8259A.
 */
int rv_pic_ack(struct rv_pic *pic)
{
	struct rv_8259 *m = &pic->chip[0], *s = &pic->chip[1];
	int irq, irq2, vector;
	bool old;

	raw_spin_lock(&pic->lock);
	old = pic->output;
	irq = pending_input(m, true);
	if (irq < 0) {
		vector = m->vector_base + 7;
	} else if (irq != PIC_CASCADE || m->single) {
		chip_acknowledge(pic, m, irq);
		vector = m->vector_base + irq;
	} else {
		chip_acknowledge(pic, m, irq);
		irq2 = pending_input(s, false);
		if (irq2 >= 0) {
			chip_acknowledge(pic, s, irq2);
			vector = s->vector_base + irq2;
		} else {
			vector = s->vector_base + 7;
		}
	}
	settle_and_unlock(pic, old);
	return vector;
}

bool rv_pic_port(unsigned int port)
{
	return port == PIC_MASTER_CMD || port == PIC_MASTER_DATA || port == PIC_SLAVE_CMD ||
	       port == PIC_SLAVE_DATA || port == PIC_ELCR1 || port == PIC_ELCR2;
}

/* End the interrupt of @irq on @c, and note it for the acked hook. */
static void chip_eoi(struct rv_pic *pic, struct rv_8259 *c, unsigned int irq)
{
	c->isr &= ~BIT(irq);
	pic->acked |= BIT(irq + (c == &pic->chip[1] ? 8 : 0));
}

static void write_ocw2(struct rv_pic *pic, struct rv_8259 *c, u8 val)
{
	unsigned int rank, irq = val & 7;

	switch (val >> 5) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = val >> 7;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		rank = best_rank(c, c->isr);
		if (rank == 8)
			break;
		irq = (rank + c->highest) & 7;
		chip_eoi(pic, c, irq);
		if (val >> 5 == OCW2_ROTATE_EOI)
			c->highest = (irq + 1) & 7;
		break;
	case OCW2_SPECIFIC_EOI:
		chip_eoi(pic, c, irq);
		break;
	case OCW2_SET_PRIORITY:
		c->highest = (irq + 1) & 7;
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		chip_eoi(pic, c, irq);
		c->highest = (irq + 1) & 7;
		break;
	}
}

static void write_command(struct rv_pic *pic, struct rv_8259 *c, u8 val)
{
	if (val & ICW1) {
		/* What was in service ends here: tell the sources (resample). */
		pic->acked |= c->isr << (c == &pic->chip[1] ? 8 : 0);
		chip_reset(c);
		c->init_step = 1;
		c->icw4_needed = val & ICW1_ICW4;
		c->single = val & ICW1_SINGLE;
	} else if (val & OCW3) {
		if (val & OCW3_POLL)
			c->poll = true;
		if (val & OCW3_READ)
			c->read_isr = val & OCW3_READ_ISR;
		if (val & OCW3_ESMM)
			c->special_mask = val & OCW3_SMM;
	} else {
		write_ocw2(pic, c, val);
	}
}

static void write_data(struct rv_8259 *c, u8 val)
{
	switch (c->init_step) {
	case 0:
		c->imr = val;
		break;
	case 1:
		c->vector_base = val & 0xf8;
		c->init_step = !c->single ? 2 : c->icw4_needed ? 3 : 0;
		break;
	case 2:			/* ICW3: the cascade wiring is fixed */
		c->init_step = c->icw4_needed ? 3 : 0;
		break;
	case 3:
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_step = 0;
		break;
	}
}

/* The chip a port belongs to: the slave's command/data ports and ELCR2. */
static struct rv_8259 *port_chip(struct rv_pic *pic, unsigned int port)
{
	return &pic->chip[port >= PIC_SLAVE_CMD && port != PIC_ELCR1];
}

int rv_pic_pio_write(struct rv_pic *pic, unsigned int port, u8 val)
{
	struct rv_8259 *c = port_chip(pic, port);
	bool old;

	if (!rv_pic_port(port))
		return -ENOENT;
	raw_spin_lock(&pic->lock);
	old = pic->output;
	if (port == PIC_ELCR1 || port == PIC_ELCR2) {
		c->elcr = val & c->elcr_mask;
		/* A level input with its line high requests now; an edge one waits. */
		c->irr = (c->irr & ~c->elcr) | (c->line & c->elcr);
	} else if (port & 1) {
		write_data(c, val);
	} else {
		write_command(pic, c, val);
	}
	settle_and_unlock(pic, old);
	return 0;
}

/* OCW3 poll: the best request, acknowledged, with bit 7 set; 0 for none. */
static u8 poll(struct rv_pic *pic, struct rv_8259 *c)
{
	int irq = pending_input(c, c == &pic->chip[0]);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_acknowledge(pic, c, irq);
	return 0x80 | irq;
}

int rv_pic_pio_read(struct rv_pic *pic, unsigned int port, u8 *val)
{
	struct rv_8259 *c = port_chip(pic, port);
	bool old;

	if (!rv_pic_port(port))
		return -ENOENT;
	raw_spin_lock(&pic->lock);
	old = pic->output;
	if (port == PIC_ELCR1 || port == PIC_ELCR2)
		*val = c->elcr;
	else if (c->poll)
		*val = poll(pic, c);
	else if (port & 1)
		*val = c->imr;
	else
		*val = c->read_isr ? c->isr : c->irr;
	settle_and_unlock(pic, old);
	return 0;
}
