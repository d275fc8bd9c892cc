// SPDX-License-Identifier: GPL-2.0
/*
 * RINGVM_SET_GSI_ROUTING and RINGVM_SIGNAL_MSI without a guest: the
 * capabilities, the argument rules of Documentation/irqchip.rst, and a
 * table that really replaces the default one.
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

FIXTURE(routing) {
	struct rv_vm vm;
	struct ringvm_irq_routing *rt;
};

FIXTURE_SETUP(routing)
{
	RV_FIXTURE_SETUP(&self->vm, 0);
	self->rt = calloc(1, sizeof(*self->rt) +
			  (RINGVM_MAX_IRQ_ROUTES + 1) * sizeof(self->rt->entries[0]));
	ASSERT_NE(NULL, self->rt);
}

FIXTURE_TEARDOWN(routing)
{
	free(self->rt);
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static void pin(struct ringvm_irq_routing *rt, uint32_t gsi, uint32_t chip, uint32_t p)
{
	struct ringvm_irq_routing_entry *e = &rt->entries[rt->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = RINGVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = p;
}

static void msi(struct ringvm_irq_routing *rt, uint32_t gsi, uint32_t addr, uint32_t data)
{
	struct ringvm_irq_routing_entry *e = &rt->entries[rt->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = RINGVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = addr;
	e->u.msi.data = data;
}

static int set_routing(int vm, struct ringvm_irq_routing *rt)
{
	return ioctl(vm, RINGVM_SET_GSI_ROUTING, rt) ? errno : 0;
}

static uint32_t ioapic_irr(struct __test_metadata *_metadata, int vm)
{
	struct ringvm_irqchip c = { .chip_id = RINGVM_IRQCHIP_IOAPIC };
	int r = ioctl(vm, RINGVM_GET_IRQCHIP, &c);

	EXPECT_EQ(0, r);
	return c.chip.ioapic.irr;
}

TEST_F(routing, caps)
{
	EXPECT_EQ(RINGVM_MAX_IRQ_ROUTES,
		  ioctl(self->vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_IRQ_ROUTING));
	EXPECT_EQ(1, ioctl(self->vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_SIGNAL_MSI));
}

TEST_F(routing, none_before_irqchip)
{
	struct ringvm_msi m = { .address_lo = 0xfee00000, .data = 0x30 };

	struct ringvm_irqfd f = { .fd = 0, .gsi = 5 };

	EXPECT_EQ(ENXIO, set_routing(self->vm.fd, self->rt));
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SIGNAL_MSI, &m));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_IRQFD, &f)) TH_LOG("irqfd before CREATE_IRQCHIP");
	EXPECT_EQ(ENXIO, errno);
}

/* Each rule of the table, one bad entry at a time after a good one. */
TEST_F(routing, invalid_tables)
{
	struct ringvm_irq_routing *rt = self->rt;
	struct ringvm_irq_level il = { .irq = 20, .level = 1 };

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));

	rt->flags = 1;
	EXPECT_EQ(EINVAL, set_routing(self->vm.fd, rt)) TH_LOG("header flags");
	rt->flags = 0;
	rt->nr = RINGVM_MAX_IRQ_ROUTES + 1;
	EXPECT_EQ(EINVAL, set_routing(self->vm.fd, rt)) TH_LOG("too many routes");

#define BAD(what, ...) do {						\
		rt->nr = 0;						\
		pin(rt, 3, RINGVM_IRQCHIP_IOAPIC, 3);			\
		__VA_ARGS__;						\
		EXPECT_EQ(EINVAL, set_routing(self->vm.fd, rt)) TH_LOG(what); \
	} while (0)
	BAD("entry flags", pin(rt, 4, RINGVM_IRQCHIP_IOAPIC, 4), rt->entries[1].flags = 1);
	BAD("unknown type", pin(rt, 4, RINGVM_IRQCHIP_IOAPIC, 4), rt->entries[1].type = 3);
	BAD("unknown chip", pin(rt, 4, 3, 4));
	BAD("I/O APIC pin 24", pin(rt, 4, RINGVM_IRQCHIP_IOAPIC, 24));
	BAD("PIC pin 8", pin(rt, 4, RINGVM_IRQCHIP_PIC_MASTER, 8));
	BAD("GSI 1024", pin(rt, 1024, RINGVM_IRQCHIP_IOAPIC, 4));
	BAD("one GSI, one chip twice", pin(rt, 3, RINGVM_IRQCHIP_IOAPIC, 5));
	BAD("MSI beside a pin", msi(rt, 3, 0xfee00000, 0x30));
	BAD("two MSIs on a GSI", msi(rt, 9, 0xfee00000, 0x30), msi(rt, 9, 0xfee00000, 0x31));
	BAD("MSI outside the window", msi(rt, 9, 0xfed00000, 0x30));
#undef BAD

	/* Nothing above replaced the default table: GSI 20 is pin 20. */
	EXPECT_EQ(0, ioapic_irr(_metadata, self->vm.fd));
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_IRQ_LINE, &il));
	EXPECT_EQ(1u << 20, ioapic_irr(_metadata, self->vm.fd));
}

TEST_F(routing, table_replaces_default)
{
	struct ringvm_irq_routing *rt = self->rt;
	struct ringvm_irq_level il = { .irq = 5, .level = 1 };

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	pin(rt, 5, RINGVM_IRQCHIP_IOAPIC, 9);
	msi(rt, 40, 0xfee00000, 0x30);
	ASSERT_EQ(0, set_routing(self->vm.fd, rt));

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_IRQ_LINE_STATUS, &il));
	EXPECT_EQ(1u << 9, ioapic_irr(_metadata, self->vm.fd)) TH_LOG("GSI 5 is pin 9 now");
	/* The status came back over the GSI: name it again. */
	il.irq = 5;
	il.level = 0;
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_IRQ_LINE_STATUS, &il));
	EXPECT_EQ(0, ioapic_irr(_metadata, self->vm.fd));

	/* GSI 20 lost its route: nothing moves, the status says "not routed". */
	il.irq = 20;
	il.level = 1;
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_IRQ_LINE_STATUS, &il));
	EXPECT_EQ(-1, il.status);
	EXPECT_EQ(0, ioapic_irr(_metadata, self->vm.fd));

	/* An empty table is allowed, and routes nothing. */
	rt->nr = 0;
	ASSERT_EQ(0, set_routing(self->vm.fd, rt));
	il.irq = 5;
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_IRQ_LINE_STATUS, &il));
	EXPECT_EQ(-1, il.status);
	EXPECT_EQ(0, ioapic_irr(_metadata, self->vm.fd));
}

TEST_F(routing, signal_msi_args)
{
	struct ringvm_msi m = { .address_lo = 0xfee00000, .data = 0x30 };

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	/* No local APIC exists yet: accepted, delivered to none. */
	EXPECT_EQ(0, ioctl(self->vm.fd, RINGVM_SIGNAL_MSI, &m));
	m.flags = 1;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SIGNAL_MSI, &m));
	EXPECT_EQ(EINVAL, errno);
	m.flags = 0;
	m.devid = 1;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SIGNAL_MSI, &m));
	EXPECT_EQ(EINVAL, errno);
	m.devid = 0;
	m.address_lo = 0xfed00000;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SIGNAL_MSI, &m));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
