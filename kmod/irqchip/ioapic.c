// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC: 24 input pins, each routed by a redirection entry to an
 * APIC message (82093AA datasheet, section 3.2.4).  Registers are reached
 * through IOREGSEL/IOWIN at the MMIO base.
 *
 * Pin semantics are the hardware's, not a counter's: an edge-triggered
 * pin delivers on a 0 -> 1 transition of its line (a source pulses it:
 * assert, then de-assert), and an edge while the pin is masked is lost, as
 * the datasheet says.  A level-triggered pin delivers while its line is
 * high, unmasked and its remote IRR clear; the remote IRR is set on
 * delivery and cleared by the EOI of its vector, after which a line still
 * high delivers again.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "ioapic.h"

/* Indirect registers (IOREGSEL values). */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10

/* Direct registers (offsets from the base). */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40

/* Redirection entry fields. */
#define REDIR_VECTOR		0xffULL
#define REDIR_DM		0x700ULL
#define REDIR_DEST_LOGICAL	BIT_ULL(11)
#define REDIR_DELIVERY_STATUS	BIT_ULL(12)
#define REDIR_POLARITY_LOW	BIT_ULL(13)
#define REDIR_REMOTE_IRR	BIT_ULL(14)
#define REDIR_LEVEL		BIT_ULL(15)
#define REDIR_MASKED		BIT_ULL(16)
#define REDIR_DEST_SHIFT	56
/* What the guest may write; delivery status and remote IRR are read-only. */
#define REDIR_WRITABLE		(REDIR_VECTOR | REDIR_DM | REDIR_DEST_LOGICAL | \
				 REDIR_POLARITY_LOW | REDIR_LEVEL | REDIR_MASKED | \
				 (0xffULL << REDIR_DEST_SHIFT))

void rv_ioapic_init(struct rv_ioapic *io, const struct rv_ioapic_ops *ops, void *ctx)
{
	spin_lock_init(&io->lock);
	io->ops = ops;
	io->ctx = ctx;
	io->base = RV_IOAPIC_BASE;
	rv_ioapic_reset(io);
}

/* Every entry masked, edge, vector 0; the lines keep their levels. */
void rv_ioapic_reset(struct rv_ioapic *io)
{
	unsigned int i;

	spin_lock(&io->lock);
	io->ioregsel = 0;
	io->id = 0;
	for (i = 0; i < RV_IOAPIC_PINS; i++)
		io->redir[i] = REDIR_MASKED;
	spin_unlock(&io->lock);
}

/* Deliver @pin's entry; the caller checked mask and remote IRR.  Lock held. */
static int service(struct rv_ioapic *io, unsigned int pin)
{
	u64 e = io->redir[pin];
	struct rv_apic_msg msg = {
		.dest_id = e >> REDIR_DEST_SHIFT,
		.delivery_mode = e & REDIR_DM,
		.vector = e & REDIR_VECTOR,
		.dest_logical = e & REDIR_DEST_LOGICAL,
		.level_trig = e & REDIR_LEVEL,
		.assert = true,
		.shorthand = RV_APIC_DEST_NOSHORT,
	};

	int r = io->ops->deliver(io->ctx, &msg);

	/*
	 * Accepted by some local APIC: a level interrupt now waits for its
	 * EOI.  Only fixed and lowest-priority messages have one; an NMI,
	 * INIT or ExtINT entry would hold its remote IRR forever.
	 */
	if (r > 0 && msg.level_trig &&
	    (msg.delivery_mode == APIC_DM_FIXED || msg.delivery_mode == APIC_DM_LOWEST))
		io->redir[pin] |= REDIR_REMOTE_IRR;
	return r;
}

/* A level pin whose line is high and nothing holds it back: deliver.  Lock held. */
static void service_if_pending(struct rv_ioapic *io, unsigned int pin)
{
	u64 e = io->redir[pin];

	if ((e & REDIR_LEVEL) && (io->line & BIT(pin)) &&
	    !(e & (REDIR_MASKED | REDIR_REMOTE_IRR)))
		service(io, pin);
}

/*
 * Set the level of input @pin.  Returns, as RINGVM_IRQ_LINE_STATUS reports
 * it: > 0 the number of local APICs that took the interrupt; 0 when it
 * was not delivered: already in service (level, remote IRR set), an edge
 * pin already high (no new edge), or no APIC accepted it (coalesced); -1
 * when the pin is masked; 1 for a de-assertion, which loses nothing.
 *
 * Not from hard-interrupt context: the lock is taken with interrupts on.
 * An irqfd on an irqchip route defers to a workqueue, as KVM's does.
 */
int rv_ioapic_set_irq(struct rv_ioapic *io, unsigned int pin, bool level)
{
	bool old;
	u64 e;
	int r = 1;

	if (pin >= RV_IOAPIC_PINS)
		return -EINVAL;
	spin_lock(&io->lock);
	old = io->line & BIT(pin);
	if (level)
		io->line |= BIT(pin);
	else
		io->line &= ~BIT(pin);
	e = io->redir[pin];
	if (!level)
		goto out;
	if (old && !(e & REDIR_LEVEL))
		r = 0;			/* no new edge: coalesced */
	else if (e & REDIR_MASKED)
		r = -1;
	else if ((e & REDIR_LEVEL) && (e & REDIR_REMOTE_IRR))
		r = 0;
	else
		r = service(io, pin);
out:
	spin_unlock(&io->lock);
	return r;
}

/*
 * A local APIC EOI'd a level-triggered @vector and broadcasts it: every
 * level entry of that vector with its remote IRR set is released, its
 * source told (irqfd resample), and a line still high delivers again.
 *
 * The source hears of it first, with the remote IRR still set, as KVM
 * does: until it has lowered its line (or not), nothing else can deliver
 * the pin again, so a resampled interrupt that is gone never comes twice.
 */
void rv_ioapic_eoi(struct rv_ioapic *io, u8 vector)
{
	unsigned long acked = 0;
	unsigned int pin;

	spin_lock(&io->lock);
	for (pin = 0; pin < RV_IOAPIC_PINS; pin++) {
		u64 e = io->redir[pin];

		if ((e & REDIR_VECTOR) == vector && (e & REDIR_LEVEL) &&
		    (e & REDIR_REMOTE_IRR))
			__set_bit(pin, &acked);
	}
	spin_unlock(&io->lock);
	if (!acked)
		return;

	if (io->ops->acked) {
		for_each_set_bit(pin, &acked, RV_IOAPIC_PINS)
			io->ops->acked(io->ctx, pin);
	}

	spin_lock(&io->lock);
	for_each_set_bit(pin, &acked, RV_IOAPIC_PINS) {
		io->redir[pin] &= ~REDIR_REMOTE_IRR;
		service_if_pending(io, pin);
	}
	spin_unlock(&io->lock);
}

/* A consistent copy of the registers, for RINGVM_GET_IRQCHIP. */
void rv_ioapic_save(struct rv_ioapic *io, struct rv_ioapic *out)
{
	spin_lock(&io->lock);
	out->base = io->base;
	out->ioregsel = io->ioregsel;
	out->id = io->id;
	out->line = io->line;
	memcpy(out->redir, io->redir, sizeof(out->redir));
	spin_unlock(&io->lock);
}

/*
 * RINGVM_SET_IRQCHIP: take @in's registers and line levels, remote IRRs
 * included, then deliver every level pin that is high and not held back,
 * as KVM does after a restore.  The caller checked @in->base.
 */
void rv_ioapic_restore(struct rv_ioapic *io, const struct rv_ioapic *in)
{
	unsigned int pin;

	spin_lock(&io->lock);
	io->base = in->base;
	io->ioregsel = in->ioregsel;
	io->id = in->id & 0xf;
	io->line = in->line & (BIT(RV_IOAPIC_PINS) - 1);
	for (pin = 0; pin < RV_IOAPIC_PINS; pin++)
		io->redir[pin] = in->redir[pin] &
				 (REDIR_WRITABLE | REDIR_REMOTE_IRR);
	for (pin = 0; pin < RV_IOAPIC_PINS; pin++)
		service_if_pending(io, pin);
	spin_unlock(&io->lock);
}

static u32 read_indirect(struct rv_ioapic *io)
{
	u32 reg = io->ioregsel;
	unsigned int pin;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (io->id & 0xf) << 24;
	case IOAPIC_REG_VERSION:
		return ((RV_IOAPIC_PINS - 1) << 16) | RV_IOAPIC_VERSION;
	}
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (reg < IOAPIC_REG_REDIR || pin >= RV_IOAPIC_PINS)
		return ~0u;		/* no register there: reads float high */
	return reg & 1 ? io->redir[pin] >> 32 : (u32)io->redir[pin];
}

static void write_indirect(struct rv_ioapic *io, u32 val)
{
	u32 reg = io->ioregsel;
	unsigned int pin;
	u64 e;

	if (reg == IOAPIC_REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (reg < IOAPIC_REG_REDIR || pin >= RV_IOAPIC_PINS)
		return;			/* version, arbitration: read-only */
	e = io->redir[pin];
	if (reg & 1)
		e = (e & 0xffffffffULL) | ((u64)val << 32);
	else
		e = (e & ~0xffffffffULL) | val;
	e = (io->redir[pin] & ~REDIR_WRITABLE) | (e & REDIR_WRITABLE);
	/* An edge entry has no EOI to wait for. */
	if (!(e & REDIR_LEVEL))
		e &= ~REDIR_REMOTE_IRR;
	io->redir[pin] = e;
	/* Unmasking a level pin whose line is high delivers it now. */
	service_if_pending(io, pin);
}

bool rv_ioapic_in_range(const struct rv_ioapic *io, u64 gpa)
{
	return gpa >= io->base && gpa < io->base + RV_IOAPIC_SIZE;
}

/*
 * Registers are 32 bits wide at 16-byte strides.  Reads of 1, 2, 4 or 8
 * bytes return the bytes of the register the access starts in; writes
 * take the low 32 bits of a 4- or 8-byte access at the register's start
 * and ignore anything else, as the 82093AA does.
 */
int rv_ioapic_mmio_read(struct rv_ioapic *io, u64 gpa, unsigned int len, u64 *val)
{
	unsigned int off = gpa - io->base, shift = (off & 3) * 8;
	u32 v;

	if (!rv_ioapic_in_range(io, gpa) || !len || len > 8)
		return -EINVAL;
	spin_lock(&io->lock);
	switch (off & ~0xf) {
	case IOAPIC_IOREGSEL:
		v = io->ioregsel;
		break;
	case IOAPIC_IOWIN:
		v = read_indirect(io);
		break;
	default:
		v = 0;
		break;
	}
	spin_unlock(&io->lock);
	v = (off & 0xc) ? 0 : v >> shift;
	*val = len >= 4 ? v : v & ((1u << (len * 8)) - 1);
	return 0;
}

int rv_ioapic_mmio_write(struct rv_ioapic *io, u64 gpa, unsigned int len, u64 val)
{
	unsigned int off = gpa - io->base;
	u8 eoi_vector = 0;
	bool eoi = false;

	if (!rv_ioapic_in_range(io, gpa) || !len || len > 8)
		return -EINVAL;
	if ((off & 0xf) || (len != 4 && len != 8))
		return 0;
	spin_lock(&io->lock);
	switch (off) {
	case IOAPIC_IOREGSEL:
		io->ioregsel = val & 0xff;
		break;
	case IOAPIC_IOWIN:
		write_indirect(io, val);
		break;
	case IOAPIC_EOI:
		eoi = true;
		eoi_vector = val;
		break;
	}
	spin_unlock(&io->lock);
	if (eoi)
		rv_ioapic_eoi(io, eoi_vector);
	return 0;
}
