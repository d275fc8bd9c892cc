/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's two cascaded 8259A PICs and their edge/level control registers
 * (ELCR): the interface to the rest of ringvm.ko.  Vendor-neutral: the
 * master's INT output is reported through rv_pic_ops, and whoever owns
 * the CPU side (the boot vCPU's LINT0 in ExtINT mode) runs the INTA cycle
 * with rv_pic_ack().
 */
#ifndef RINGVM_PIC_H
#define RINGVM_PIC_H

#include <linux/spinlock.h>
#include <linux/types.h>

#define RV_PIC_PINS		16

struct rv_pic_ops {
	/*
	 * The master's INT output may have changed: the vCPU that takes the
	 * PIC's interrupts should look again (rv_pic_output(), and the INTA
	 * cycle rv_pic_ack() on its own thread when it can take one).  Only a
	 * kick: the level is sampled, never passed, so racing sources cannot
	 * report it out of order.  Called without the lock.
	 */
	void (*output)(void *ctx);
	/*
	 * The guest EOI'd @pin (0-15), the resample point of an irqfd.
	 * Called without the lock; it may set the pin's level.  May be NULL.
	 */
	void (*acked)(void *ctx, unsigned int pin);
};

/* One 8259A (datasheet terms: IRR, ISR, IMR; ICW1-4, OCW1-3). */
struct rv_8259 {
	u8 irr;			/* requests latched */
	u8 isr;			/* in service */
	u8 imr;			/* masked */
	u8 line;		/* level of each IR input (edge detection) */
	u8 elcr;		/* 1: level-triggered input */
	u8 elcr_mask;		/* inputs the ELCR may make level-triggered */
	u8 vector_base;		/* ICW2 */
	u8 highest;		/* the input with the highest priority (rotation moves it) */
	u8 init_step;		/* 0: initialised; 1-3: waiting for ICW2-4 */
	bool icw4_needed, single, auto_eoi, rotate_on_aeoi, sfnm;
	bool read_isr, poll, special_mask;
};

struct rv_pic {
	raw_spinlock_t lock;
	struct rv_8259 chip[2];	/* master, slave */
	bool output;		/* the master's INT line */
	unsigned int acked;	/* pins EOI'd, for ops->acked after unlock */
	const struct rv_pic_ops *ops;
	void *ctx;
};

void rv_pic_init(struct rv_pic *pic, const struct rv_pic_ops *ops, void *ctx);
void rv_pic_reset(struct rv_pic *pic);
int rv_pic_set_irq(struct rv_pic *pic, unsigned int pin, bool level);
bool rv_pic_output(struct rv_pic *pic);
void rv_pic_save(struct rv_pic *pic, unsigned int which, struct rv_8259 *out);
void rv_pic_restore(struct rv_pic *pic, unsigned int which, const struct rv_8259 *in);
int rv_pic_ack(struct rv_pic *pic);
bool rv_pic_port(unsigned int port);
int rv_pic_pio_read(struct rv_pic *pic, unsigned int port, u8 *val);
int rv_pic_pio_write(struct rv_pic *pic, unsigned int port, u8 val);

#endif /* RINGVM_PIC_H */
