// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the APIC bus and GSI routing (kmod/irqchip/irqchip.c),
 * with the real PIC, I/O APIC and local APIC models wired together as
 * ringvm.ko wires them: route validation, the default routing's fan-out,
 * I/O APIC and MSI messages reaching the right local APICs in physical,
 * logical and lowest-priority modes, IPIs between two APICs, and a level
 * interrupt's EOI travelling back to the I/O APIC.
 */
#include <assert.h>

#include "kselftest_harness.h"

#include <linux/err.h>

#include "../../kmod/irqchip/irqchip.h"

int rv_shim_rcu_depth;

struct vcpu {
	struct rv_lapic apic;
	u32 page[1024] __attribute__((aligned(4096)));
	int kicks;
};

static struct rv_irqchip chip;
static struct vcpu vcpus[2];

static int ioapic_deliver(void *ctx, const struct rv_apic_msg *msg)
{
	assert(ctx == &chip);
	return rv_irqchip_deliver(&chip, msg, NULL);
}

static void pic_output(void *ctx) { }

static const struct rv_ioapic_ops ioapic_ops = { .deliver = ioapic_deliver };
static const struct rv_pic_ops pic_ops = { .output = pic_output };

static void kick(void *ctx)
{
	struct vcpu *v = ctx;

	/* Interrupt sources run inside an RCU read-side section. */
	v->kicks++;
}

static void eoi_broadcast(void *ctx, u8 vector)
{
	rv_ioapic_eoi(&chip.ioapic, vector);
}

static void send_ipi(void *ctx, const struct rv_apic_msg *msg)
{
	struct vcpu *v = ctx;

	rv_irqchip_deliver(&chip, msg, &v->apic);
}

static void nop(void *ctx) { }
static void nop_sipi(void *ctx, u8 v) { }
static u64 zero(void *ctx) { return 0; }
static void nop_arm(void *ctx, u64 t) { }

static const struct rv_lapic_ops lapic_ops = {
	.kick = kick, .nmi = nop, .init = nop, .sipi = nop_sipi,
	.eoi_broadcast = eoi_broadcast, .send_ipi = send_ipi, .now_ns = zero,
	.guest_tsc = zero, .timer_arm = nop_arm, .timer_cancel = nop,
};

static void setup(struct rv_routing *routing)
{
	int i;

	if (IS_ERR(routing))
		abort();
	rv_irqchip_init(&chip, &pic_ops, &ioapic_ops, &chip, routing);
	for (i = 0; i < 2; i++) {
		memset(&vcpus[i], 0, sizeof(vcpus[i]));
		rv_lapic_init(&vcpus[i].apic, vcpus[i].page, i, i == 0, &lapic_ops, &vcpus[i]);
		assert(!rv_lapic_mmio_write(&vcpus[i].apic, APIC_SPIV, 4, 0x1ff));
		assert(!rv_irqchip_add_lapic(&chip, &vcpus[i].apic));
	}
}

static void teardown(void)
{
	rv_routing_free(rv_irqchip_swap_routing(&chip, NULL));
}

static void ioapic_redir(unsigned int pin, u64 e)
{
	assert(!rv_ioapic_mmio_write(&chip.ioapic, RV_IOAPIC_BASE, 4, 0x10 + 2 * pin));
	assert(!rv_ioapic_mmio_write(&chip.ioapic, RV_IOAPIC_BASE + 0x10, 4, (u32)e));
	assert(!rv_ioapic_mmio_write(&chip.ioapic, RV_IOAPIC_BASE, 4, 0x11 + 2 * pin));
	assert(!rv_ioapic_mmio_write(&chip.ioapic, RV_IOAPIC_BASE + 0x10, 4, e >> 32));
}

static struct rv_route pin_route(u32 gsi, u32 irqchip, u32 pin)
{
	struct rv_route r = { .gsi = gsi, .type = RV_ROUTE_IRQCHIP };

	r.irqchip.chip = irqchip;
	r.irqchip.pin = pin;
	return r;
}

static struct rv_route msi_route(u32 gsi, u64 address, u32 data)
{
	struct rv_route r = { .gsi = gsi, .type = RV_ROUTE_MSI };

	r.msi.address = address;
	r.msi.data = data;
	return r;
}

static bool refused(const struct rv_route *routes, u32 n)
{
	struct rv_routing *t = rv_routing_build(routes, n);

	if (!IS_ERR(t)) {
		rv_routing_free(t);
		return false;
	}
	return PTR_ERR(t) == -EINVAL;
}

TEST(route_validation)
{
	struct rv_route r[2];
	struct rv_routing *t;

	r[0] = pin_route(RV_IRQCHIP_MAX_GSI, RV_IRQCHIP_IOAPIC, 0);
	EXPECT_TRUE(refused(r, 1));
	r[0] = pin_route(1, 3, 0);
	EXPECT_TRUE(refused(r, 1));
	r[0] = pin_route(1, RV_IRQCHIP_IOAPIC, RV_IOAPIC_PINS);
	EXPECT_TRUE(refused(r, 1));
	r[0] = pin_route(1, RV_IRQCHIP_PIC_SLAVE, 8);
	EXPECT_TRUE(refused(r, 1));
	r[0] = msi_route(40, 0xfed00000, 0x30);
	EXPECT_TRUE(refused(r, 1));
	r[0] = msi_route(40, 0xfee00000, APIC_DM_SMI);
	EXPECT_TRUE(refused(r, 1));
	r[0] = pin_route(1, RV_IRQCHIP_IOAPIC, 1);
	r[0].type = 9;
	EXPECT_TRUE(refused(r, 1));
	/* One GSI may not drive a controller twice, nor share an MSI. */
	r[0] = pin_route(3, RV_IRQCHIP_IOAPIC, 3);
	r[1] = pin_route(3, RV_IRQCHIP_IOAPIC, 4);
	EXPECT_TRUE(refused(r, 2));
	r[1] = msi_route(3, 0xfee00000, 0x30);
	EXPECT_TRUE(refused(r, 2));
	r[1] = pin_route(3, RV_IRQCHIP_PIC_MASTER, 3);
	EXPECT_FALSE(refused(r, 2));
	t = rv_routing_default();
	ASSERT_FALSE(IS_ERR(t));
	EXPECT_EQ(24, t->nr_gsi);
	EXPECT_EQ(40, t->nr_routes);
	rv_routing_free(t);
}

TEST(default_routing_fans_out_to_pic_and_ioapic)
{
	setup(rv_routing_default());
	/* The I/O APIC pin is masked after reset; the PIC latches the edge. */
	EXPECT_EQ(1, rv_irqchip_set_irq(&chip, 4, true));
	EXPECT_TRUE(rv_pic_output(&chip.pic));
	/* Both refuse (PIC input masked, I/O APIC pin masked): -1. */
	assert(!rv_pic_pio_write(&chip.pic, 0x21, 0xff));
	EXPECT_EQ(-1, rv_irqchip_set_irq(&chip, 5, true));
	/* GSIs past the table, or without routes, reach nothing. */
	EXPECT_EQ(-1, rv_irqchip_set_irq(&chip, 24, true));
	EXPECT_EQ(-1, rv_irqchip_set_irq(&chip, 100000, true));
	EXPECT_EQ(0, rv_shim_rcu_depth);
	teardown();
}

TEST(ioapic_pin_reaches_its_lapic_and_eoi_comes_back)
{
	struct rv_route r = pin_route(9, RV_IRQCHIP_IOAPIC, 9);

	setup(rv_routing_build(&r, 1));
	ioapic_redir(9, 0x59 | (1ULL << 15) | (1ULL << 56));	/* level, physical dest 1 */
	EXPECT_EQ(1, rv_irqchip_set_irq(&chip, 9, true));
	EXPECT_EQ(0x59, rv_lapic_pending_vector(&vcpus[1].apic));
	EXPECT_EQ(-1, rv_lapic_pending_vector(&vcpus[0].apic));
	EXPECT_EQ(1, vcpus[1].kicks);
	/* Remote IRR: a second assertion is coalesced. */
	EXPECT_EQ(0, rv_irqchip_set_irq(&chip, 9, true));
	/* The guest takes it and EOIs with the line still high: delivered again. */
	rv_lapic_acknowledge(&vcpus[1].apic, 0x59);
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_EOI, 4, 0));
	EXPECT_EQ(0x59, rv_lapic_pending_vector(&vcpus[1].apic));
	EXPECT_EQ(2, vcpus[1].kicks);
	teardown();
}

TEST(msi_routes_and_destinations)
{
	struct rv_route r[2] = {
		msi_route(30, 0xfee01000, 0x61),		/* physical, APIC 1 */
		msi_route(31, 0xfee03004, 0x62),		/* logical 0x3 */
	};

	setup(rv_routing_build(r, 2));
	EXPECT_EQ(1, rv_irqchip_set_irq(&chip, 30, true));
	EXPECT_EQ(0x61, rv_lapic_pending_vector(&vcpus[1].apic));
	EXPECT_EQ(-1, rv_lapic_pending_vector(&vcpus[0].apic));
	/* De-asserting an MSI route delivers nothing. */
	EXPECT_EQ(1, rv_irqchip_set_irq(&chip, 30, false));
	/* Flat logical: LDR bits 0 and 1, both addressed. */
	assert(!rv_lapic_mmio_write(&vcpus[0].apic, APIC_LDR, 4, 0x01000000));
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_LDR, 4, 0x02000000));
	EXPECT_EQ(2, rv_irqchip_set_irq(&chip, 31, true));
	EXPECT_EQ(0x62, rv_lapic_pending_vector(&vcpus[0].apic));
	/* Nobody at APIC ID 7; an address outside the window is refused. */
	EXPECT_EQ(-1, rv_irqchip_signal_msi(&chip, 0xfee07000, 0x63));
	EXPECT_EQ(-EINVAL, rv_irqchip_signal_msi(&chip, 0xfef00000, 0x63));
	teardown();
}

TEST(lowest_priority_picks_the_lowest_ppr)
{
	setup(rv_routing_default());
	assert(!rv_lapic_mmio_write(&vcpus[0].apic, APIC_LDR, 4, 0x01000000));
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_LDR, 4, 0x02000000));
	assert(!rv_lapic_mmio_write(&vcpus[0].apic, APIC_TASKPRI, 4, 0x80));
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_TASKPRI, 4, 0x10));
	EXPECT_EQ(1, rv_irqchip_signal_msi(&chip, 0xfee03004, APIC_DM_LOWEST | 0x90));
	EXPECT_EQ(0x90, rv_lapic_pending_vector(&vcpus[1].apic));
	EXPECT_EQ(0, vcpus[0].kicks);
	/* A software-disabled APIC is never chosen, however idle. */
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_SPIV, 4, 0xff));
	EXPECT_EQ(1, rv_irqchip_signal_msi(&chip, 0xfee03004, APIC_DM_LOWEST | 0x91));
	EXPECT_EQ(0x91, rv_lapic_pending_vector(&vcpus[0].apic));
	teardown();
}

TEST(lowest_priority_ties_spread_by_vector)
{
	setup(rv_routing_default());
	assert(!rv_lapic_mmio_write(&vcpus[0].apic, APIC_LDR, 4, 0x01000000));
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_LDR, 4, 0x02000000));
	EXPECT_EQ(1, rv_irqchip_signal_msi(&chip, 0xfee03004, APIC_DM_LOWEST | 0x80));
	EXPECT_EQ(1, rv_irqchip_signal_msi(&chip, 0xfee03004, APIC_DM_LOWEST | 0x71));
	EXPECT_EQ(0x80, rv_lapic_pending_vector(&vcpus[0].apic));
	EXPECT_EQ(0x71, rv_lapic_pending_vector(&vcpus[1].apic));
	teardown();
}

TEST(unprogrammed_msi_route_is_taken_and_silent)
{
	struct rv_route r = msi_route(40, 0, 0);

	setup(rv_routing_build(&r, 1));
	EXPECT_EQ(-1, rv_irqchip_set_irq(&chip, 40, true));
	EXPECT_EQ(0, vcpus[0].kicks + vcpus[1].kicks);
	teardown();
}

/*
 * The irqfd wakeup's path: an MSI-only GSI is delivered with both pin
 * controllers' locks held by someone else (the shim aborts on a second
 * acquisition), a GSI with a pin route is left to process context and
 * touches nothing.
 */
TEST(msi_inatomic_takes_no_controller_lock)
{
	struct rv_route r[2] = {
		msi_route(40, 0xfee01000, 0x61),
		pin_route(41, RV_IRQCHIP_IOAPIC, 9),
	};

	setup(rv_routing_build(r, 2));
	ioapic_redir(9, 0x51);
	spin_lock(&chip.ioapic.lock);
	raw_spin_lock(&chip.pic.lock);
	EXPECT_EQ(1, rv_irqchip_set_msi_inatomic(&chip, 40));
	EXPECT_EQ(-EWOULDBLOCK, rv_irqchip_set_msi_inatomic(&chip, 41));
	EXPECT_EQ(-1, rv_irqchip_set_msi_inatomic(&chip, 42));
	EXPECT_EQ(-1, rv_irqchip_set_msi_inatomic(&chip, 5000));
	raw_spin_unlock(&chip.pic.lock);
	spin_unlock(&chip.ioapic.lock);
	EXPECT_EQ(0x61, rv_lapic_pending_vector(&vcpus[1].apic));
	EXPECT_EQ(-1, rv_lapic_pending_vector(&vcpus[0].apic));
	EXPECT_EQ(0, chip.ioapic.line) TH_LOG("the pin route was not driven");
	EXPECT_EQ(1, vcpus[1].kicks);
	teardown();
}

TEST(ipi_between_two_apics)
{
	setup(rv_routing_default());
	assert(!rv_lapic_mmio_write(&vcpus[0].apic, APIC_ICR2, 4, 1u << 24));
	assert(!rv_lapic_mmio_write(&vcpus[0].apic, APIC_ICR, 4, APIC_INT_ASSERT | 0xf3));
	EXPECT_EQ(0xf3, rv_lapic_pending_vector(&vcpus[1].apic));
	EXPECT_EQ(-1, rv_lapic_pending_vector(&vcpus[0].apic));
	/* All-but-self from APIC 1 reaches APIC 0 only. */
	assert(!rv_lapic_mmio_write(&vcpus[1].apic, APIC_ICR, 4,
				    APIC_DEST_ALLBUT | APIC_INT_ASSERT | 0xf4));
	EXPECT_EQ(0xf4, rv_lapic_pending_vector(&vcpus[0].apic));
	EXPECT_EQ(0xf3, rv_lapic_pending_vector(&vcpus[1].apic));
	teardown();
}

TEST(bus_capacity_and_routing_swap)
{
	static struct vcpu extra[RV_IRQCHIP_MAX_LAPICS];
	struct rv_route r = pin_route(2, RV_IRQCHIP_IOAPIC, 2);
	struct rv_routing *t, *old;
	int i, added = 0;

	setup(rv_routing_default());
	for (i = 0; i < RV_IRQCHIP_MAX_LAPICS; i++) {
		rv_lapic_init(&extra[i].apic, extra[i].page, 2 + i, false, &lapic_ops, &extra[i]);
		if (!rv_irqchip_add_lapic(&chip, &extra[i].apic))
			added++;
	}
	EXPECT_EQ(RV_IRQCHIP_MAX_LAPICS - 2, added);
	EXPECT_EQ(-ENOSPC, rv_irqchip_add_lapic(&chip, &extra[0].apic));
	t = rv_routing_build(&r, 1);
	ASSERT_FALSE(IS_ERR(t));
	old = rv_irqchip_swap_routing(&chip, t);
	EXPECT_EQ(24, old->nr_gsi);
	rv_routing_free(old);
	/* GSI 4 has no route any more. */
	EXPECT_EQ(-1, rv_irqchip_set_irq(&chip, 4, true));
	teardown();
}

TEST_HARNESS_MAIN
