// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the 8259A pair (kmod/irqchip/pic.c), built for userspace
 * by run_unit.sh: initialisation as Linux and BIOSes do it, priorities and
 * rotation, the cascade, edge and level inputs (ELCR), masking, EOI forms,
 * auto-EOI, polling, spurious interrupts, and the output/acked hooks
 * (called without the lock, which the stand-in spinlock checks).
 */
#include "kselftest_harness.h"

#include "../../kmod/irqchip/pic.h"

static struct {
	struct rv_pic *pic;
	int kicks;
	unsigned int acked;	/* pins, as a mask */
	bool lower_on_ack;
} fake;

static void fake_output(void *ctx)
{
	assert(ctx == &fake);
	assert(!spin_is_locked(&fake.pic->lock));
	fake.kicks++;
}

static void fake_acked(void *ctx, unsigned int pin)
{
	assert(!spin_is_locked(&fake.pic->lock));
	fake.acked |= 1u << pin;
	if (fake.lower_on_ack)
		rv_pic_set_irq(fake.pic, pin, false);
}

static const struct rv_pic_ops fake_ops = { .output = fake_output, .acked = fake_acked };

static void out(struct rv_pic *pic, unsigned int port, u8 v)
{
	assert(!rv_pic_pio_write(pic, port, v));
}

static u8 in(struct rv_pic *pic, unsigned int port)
{
	u8 v = 0;

	assert(!rv_pic_pio_read(pic, port, &v));
	return v;
}

/* What Linux's init_8259A() does: vectors 0x30 and 0x38, all masked. */
static struct rv_pic *linux_pic(bool aeoi)
{
	static struct rv_pic pic;

	memset(&fake, 0, sizeof(fake));
	fake.pic = &pic;
	rv_pic_init(&pic, &fake_ops, &fake);
	out(&pic, 0x21, 0xff);
	out(&pic, 0xa1, 0xff);
	out(&pic, 0x20, 0x11);
	out(&pic, 0x21, 0x30);
	out(&pic, 0x21, 0x04);
	out(&pic, 0x21, aeoi ? 0x03 : 0x01);
	out(&pic, 0xa0, 0x11);
	out(&pic, 0xa1, 0x38);
	out(&pic, 0xa1, 0x02);
	out(&pic, 0xa1, 0x01);
	out(&pic, 0x21, 0x00);
	out(&pic, 0xa1, 0x00);
	return &pic;
}

TEST(edge_request_ack_eoi)
{
	struct rv_pic *pic = linux_pic(false);

	EXPECT_FALSE(rv_pic_output(pic));
	EXPECT_EQ(1, rv_pic_set_irq(pic, 0, true));
	EXPECT_TRUE(rv_pic_output(pic));
	EXPECT_EQ(1, fake.kicks);
	EXPECT_EQ(0x30, rv_pic_ack(pic));
	EXPECT_FALSE(rv_pic_output(pic));
	EXPECT_EQ(2, fake.kicks);
	out(pic, 0x20, 0x0b);		/* read ISR */
	EXPECT_EQ(0x01, in(pic, 0x20));
	out(pic, 0x20, 0x0a);		/* read IRR: the edge was consumed */
	EXPECT_EQ(0x00, in(pic, 0x20));
	/* Still high: no new edge, no new request (coalesced). */
	EXPECT_EQ(0, rv_pic_set_irq(pic, 0, true));
	out(pic, 0x20, 0x0a);
	EXPECT_EQ(0x00, in(pic, 0x20));
	out(pic, 0x20, 0x20);		/* non-specific EOI */
	out(pic, 0x20, 0x0b);
	EXPECT_EQ(0x00, in(pic, 0x20));
	EXPECT_EQ(0x1, fake.acked);
	EXPECT_FALSE(rv_pic_output(pic));
	/* A pulse is a new request. */
	EXPECT_EQ(1, rv_pic_set_irq(pic, 0, false));
	EXPECT_EQ(1, rv_pic_set_irq(pic, 0, true));
	EXPECT_TRUE(rv_pic_output(pic));
}

TEST(priorities_and_nesting)
{
	struct rv_pic *pic = linux_pic(false);

	rv_pic_set_irq(pic, 5, true);
	rv_pic_set_irq(pic, 3, true);
	EXPECT_EQ(0x33, rv_pic_ack(pic));
	/* 5 ranks below 3, which is in service: no INT. */
	EXPECT_FALSE(rv_pic_output(pic));
	/* 1 outranks 3: INT again, nested. */
	rv_pic_set_irq(pic, 1, true);
	EXPECT_TRUE(rv_pic_output(pic));
	EXPECT_EQ(0x31, rv_pic_ack(pic));
	out(pic, 0x20, 0x20);		/* ends 1, the highest in service */
	EXPECT_FALSE(rv_pic_output(pic));
	out(pic, 0x20, 0x20);		/* ends 3 */
	EXPECT_TRUE(rv_pic_output(pic));
	EXPECT_EQ(0x35, rv_pic_ack(pic));
	EXPECT_EQ((1u << 1) | (1u << 3), fake.acked);
}

TEST(slave_through_the_cascade)
{
	struct rv_pic *pic = linux_pic(false);

	EXPECT_EQ(1, rv_pic_set_irq(pic, 12, true));
	EXPECT_TRUE(rv_pic_output(pic));
	EXPECT_EQ(0x3c, rv_pic_ack(pic));
	out(pic, 0x20, 0x0b);
	EXPECT_EQ(0x04, in(pic, 0x20));
	out(pic, 0xa0, 0x0b);
	EXPECT_EQ(0x10, in(pic, 0xa0));
	out(pic, 0xa0, 0x64);		/* specific EOI 4 on the slave */
	out(pic, 0x20, 0x62);		/* specific EOI 2 on the master */
	EXPECT_EQ(1u << 12, fake.acked & (1u << 12));
	EXPECT_EQ(1u << 2, fake.acked & (1u << 2));
	out(pic, 0xa0, 0x0b);
	EXPECT_EQ(0, in(pic, 0xa0));
}

TEST(level_input_requests_while_high)
{
	struct rv_pic *pic = linux_pic(false);

	out(pic, 0x4d1, 0x08);		/* input 11 level-triggered */
	EXPECT_EQ(0x08, in(pic, 0x4d1));
	rv_pic_set_irq(pic, 11, true);
	EXPECT_EQ(0x3b, rv_pic_ack(pic));
	out(pic, 0xa0, 0x20);
	out(pic, 0x20, 0x20);
	/* The line is still high: it requests again. */
	EXPECT_TRUE(rv_pic_output(pic));
	EXPECT_EQ(0x3b, rv_pic_ack(pic));
	rv_pic_set_irq(pic, 11, false);
	out(pic, 0xa0, 0x20);
	out(pic, 0x20, 0x20);
	EXPECT_FALSE(rv_pic_output(pic));
	/* A source that lowers its line at the EOI (resample) is not asked again. */
	rv_pic_set_irq(pic, 11, true);
	EXPECT_EQ(0x3b, rv_pic_ack(pic));
	fake.lower_on_ack = true;
	out(pic, 0xa0, 0x20);
	out(pic, 0x20, 0x20);
	EXPECT_FALSE(rv_pic_output(pic));
}

TEST(elcr_keeps_legacy_inputs_edge)
{
	struct rv_pic *pic = linux_pic(false);

	out(pic, 0x4d0, 0xff);
	out(pic, 0x4d1, 0xff);
	EXPECT_EQ(0xf8, in(pic, 0x4d0));
	EXPECT_EQ(0xde, in(pic, 0x4d1));
}

TEST(masked_request_waits_in_irr)
{
	struct rv_pic *pic = linux_pic(false);

	out(pic, 0x21, 0x10);		/* mask 4 */
	EXPECT_EQ(-1, rv_pic_set_irq(pic, 4, true));
	EXPECT_FALSE(rv_pic_output(pic));
	out(pic, 0x20, 0x0a);
	EXPECT_EQ(0x10, in(pic, 0x20));
	out(pic, 0x21, 0x00);		/* unmask: the latched edge is served */
	EXPECT_TRUE(rv_pic_output(pic));
	EXPECT_EQ(0x34, rv_pic_ack(pic));
	EXPECT_EQ(0x00, in(pic, 0x21) & 0x10);
}

TEST(auto_eoi_and_rotation)
{
	struct rv_pic *pic = linux_pic(true);

	rv_pic_set_irq(pic, 6, true);
	EXPECT_EQ(0x36, rv_pic_ack(pic));
	out(pic, 0x20, 0x0b);
	EXPECT_EQ(0x00, in(pic, 0x20));	/* AEOI: never in service */
	EXPECT_EQ(1u << 6, fake.acked);
	/* Rotate on AEOI: 6 just served becomes the lowest, 7 the highest. */
	out(pic, 0x20, 0x80);
	rv_pic_set_irq(pic, 6, false);
	rv_pic_set_irq(pic, 6, true);
	EXPECT_EQ(0x36, rv_pic_ack(pic));
	rv_pic_set_irq(pic, 1, true);
	rv_pic_set_irq(pic, 7, true);
	EXPECT_EQ(0x37, rv_pic_ack(pic));
	EXPECT_EQ(0x31, rv_pic_ack(pic));
}

TEST(rotate_on_eoi_and_set_priority)
{
	struct rv_pic *pic = linux_pic(false);

	rv_pic_set_irq(pic, 3, true);
	EXPECT_EQ(0x33, rv_pic_ack(pic));
	out(pic, 0x20, 0xa0);		/* rotate on non-specific EOI */
	rv_pic_set_irq(pic, 1, true);
	rv_pic_set_irq(pic, 5, true);
	EXPECT_EQ(0x35, rv_pic_ack(pic));	/* 4 is now the highest */
	out(pic, 0x20, 0xc4);		/* set priority: 4 lowest, 5 highest */
	out(pic, 0x20, 0x65);		/* specific EOI 5 */
	EXPECT_EQ(0x31, rv_pic_ack(pic));
}

TEST(poll_mode)
{
	struct rv_pic *pic = linux_pic(false);

	out(pic, 0x20, 0x0c);
	EXPECT_EQ(0x00, in(pic, 0x20));	/* nothing pending */
	rv_pic_set_irq(pic, 5, true);
	out(pic, 0x20, 0x0c);
	EXPECT_EQ(0x85, in(pic, 0x20));
	out(pic, 0x20, 0x0b);
	EXPECT_EQ(0x20, in(pic, 0x20));	/* the poll acknowledged it */
}

TEST(spurious_interrupt)
{
	struct rv_pic *pic = linux_pic(false);

	out(pic, 0x4d0, 0x80);		/* input 7 level */
	rv_pic_set_irq(pic, 7, true);
	EXPECT_TRUE(rv_pic_output(pic));
	rv_pic_set_irq(pic, 7, false);	/* gone before the INTA cycle */
	EXPECT_EQ(0x37, rv_pic_ack(pic));
	out(pic, 0x20, 0x0b);
	EXPECT_EQ(0x00, in(pic, 0x20));	/* a spurious 7 is not in service */
}

TEST(bounds)
{
	struct rv_pic *pic = linux_pic(false);
	u8 v;

	EXPECT_EQ(-EINVAL, rv_pic_set_irq(pic, 16, true));
	EXPECT_EQ(-ENOENT, rv_pic_pio_read(pic, 0x22, &v));
	EXPECT_EQ(-ENOENT, rv_pic_pio_write(pic, 0x4d2, 0));
	EXPECT_TRUE(rv_pic_port(0x4d1));
	EXPECT_FALSE(rv_pic_port(0x60));
}

TEST_HARNESS_MAIN
