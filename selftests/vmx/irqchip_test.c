// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip at VM level, without a guest: RINGVM_CREATE_IRQCHIP
 * and its ordering rules, IRQ_LINE(_STATUS) on PIC and I/O APIC inputs,
 * GET/SET_IRQCHIP, and the argument checks.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define REDIR_MASKED	(1ull << 16)
#define REDIR_LEVEL	(1ull << 15)

FIXTURE(irqchip) {
	struct rv_vm vm;
};

FIXTURE_SETUP(irqchip)
{
	RV_FIXTURE_SETUP(&self->vm, 0);
}

FIXTURE_TEARDOWN(irqchip)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static int line_status(int vm, uint32_t gsi, uint32_t level)
{
	struct ringvm_irq_level il = { .irq = gsi, .level = level };

	if (ioctl(vm, RINGVM_IRQ_LINE_STATUS, &il))
		return -1000 - errno;
	return il.status;
}

static int get_chip(int vm, uint32_t id, struct ringvm_irqchip *c)
{
	memset(c, 0xa5, sizeof(*c));
	c->chip_id = id;
	return ioctl(vm, RINGVM_GET_IRQCHIP, c);
}

TEST_F(irqchip, caps)
{
	EXPECT_EQ(1, ioctl(self->vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_IRQCHIP));
	EXPECT_EQ(1, ioctl(self->vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_IRQ_INJECT_STATUS));
}

TEST_F(irqchip, none_before_create)
{
	struct ringvm_irq_level il = { .irq = 4, .level = 1 };
	struct ringvm_irqchip c;

	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_IRQ_LINE, &il));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &c));
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(irqchip, create_once)
{
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EEXIST, errno);
}

TEST_F(irqchip, create_after_vcpu)
{
	int vcpu = ioctl(self->vm.fd, RINGVM_CREATE_VCPU, 0);

	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EINVAL, errno);
	/* A vCPU that came and went still had no local APIC: still refused. */
	close(vcpu);
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(EINVAL, errno);
}

/* GSI 3 reaches master PIC input 3 (unmasked after reset, edge) and I/O APIC pin 3. */
TEST_F(irqchip, pic_input)
{
	struct ringvm_irqchip c;

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_PIC_MASTER, &c));
	EXPECT_EQ(0, c.chip.pic.irr & 0x08);

	/* The PIC latches the edge (1); the I/O APIC pin is masked (-1, not counted). */
	EXPECT_EQ(1, line_status(self->vm.fd, 3, 1));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_PIC_MASTER, &c));
	EXPECT_EQ(0x08, c.chip.pic.irr & 0x08);
	EXPECT_EQ(0x08, c.chip.pic.last_irr & 0x08);
	/* No new edge while the line stays high: coalesced. */
	EXPECT_EQ(0, line_status(self->vm.fd, 3, 1));
	EXPECT_LT(0, line_status(self->vm.fd, 3, 0));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_PIC_MASTER, &c));
	EXPECT_EQ(0, c.chip.pic.last_irr & 0x08);
	EXPECT_EQ(0x08, c.chip.pic.irr & 0x08) TH_LOG("an edge request stays latched");

	/* Masked at the PIC too: -1. */
	c.chip_id = RINGVM_IRQCHIP_PIC_MASTER;
	c.chip.pic.imr = 0x20;
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	EXPECT_EQ(-1, line_status(self->vm.fd, 5, 1));
	/* A GSI with no route: -1. */
	EXPECT_EQ(-1, line_status(self->vm.fd, 100, 1));
}

/* GSI 20 is I/O APIC pin 20 only. */
TEST_F(irqchip, ioapic_pin)
{
	struct ringvm_irq_level il = { .irq = 21, .level = 7 };
	struct ringvm_irqchip c;

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &c));
	EXPECT_EQ(0xfec00000ull, c.chip.ioapic.base_address);
	EXPECT_EQ(REDIR_MASKED, c.chip.ioapic.redirtbl[20]);
	EXPECT_EQ(0, c.chip.ioapic.irr);

	EXPECT_EQ(-1, line_status(self->vm.fd, 20, 1)) TH_LOG("masked");
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &c));
	EXPECT_EQ(1u << 20, c.chip.ioapic.irr);
	EXPECT_LT(0, line_status(self->vm.fd, 20, 0));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &c));
	EXPECT_EQ(0, c.chip.ioapic.irr);

	/* Plain IRQ_LINE sets the level too, any non-zero level is high. */
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_IRQ_LINE, &il));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &c));
	EXPECT_EQ(1u << 21, c.chip.ioapic.irr);
}

TEST_F(irqchip, set_get_roundtrip)
{
	struct ringvm_irqchip c, d;
	int i;

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));

	memset(&c, 0, sizeof(c));
	c.chip_id = RINGVM_IRQCHIP_IOAPIC;
	c.chip.ioapic.base_address = 0xfec00000;
	c.chip.ioapic.id = 5;
	c.chip.ioapic.ioregsel = 0x12;
	for (i = 0; i < RINGVM_IOAPIC_NUM_PINS; i++)
		c.chip.ioapic.redirtbl[i] = REDIR_MASKED | REDIR_LEVEL | (0x40 + i) |
					    ((uint64_t)i << 56);
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &d));
	EXPECT_EQ(5, d.chip.ioapic.id);
	EXPECT_EQ(0x12, d.chip.ioapic.ioregsel);
	EXPECT_EQ(0, memcmp(c.chip.ioapic.redirtbl, d.chip.ioapic.redirtbl,
			    sizeof(c.chip.ioapic.redirtbl)));

	memset(&c, 0, sizeof(c));
	c.chip_id = RINGVM_IRQCHIP_PIC_SLAVE;
	c.chip.pic.imr = 0xfd;
	c.chip.pic.irq_base = 0x70;
	c.chip.pic.priority_add = 3;
	c.chip.pic.auto_eoi = 1;
	c.chip.pic.init4 = 1;
	c.chip.pic.elcr = 0xff;
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_PIC_SLAVE, &d));
	EXPECT_EQ(0xfd, d.chip.pic.imr);
	EXPECT_EQ(0x70, d.chip.pic.irq_base);
	EXPECT_EQ(3, d.chip.pic.priority_add);
	EXPECT_EQ(1, d.chip.pic.auto_eoi);
	EXPECT_EQ(1, d.chip.pic.init4);
	/* The chipset fixes which slave inputs may be level-triggered (PIIX: not 8, 13). */
	EXPECT_EQ(0xde, d.chip.pic.elcr_mask);
	EXPECT_EQ(0xde, d.chip.pic.elcr);
	/* The master was left alone. */
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_PIC_MASTER, &d));
	EXPECT_EQ(0, d.chip.pic.imr);
}

TEST_F(irqchip, bad_arguments)
{
	struct ringvm_irq_level il = { .irq = 1024, .level = 1 };
	struct ringvm_irqchip c;

	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_IRQ_LINE, &il));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1000 - EINVAL, line_status(self->vm.fd, 0xffffffff, 1));

	EXPECT_EQ(-1, get_chip(self->vm.fd, 3, &c));
	EXPECT_EQ(EINVAL, errno);
	memset(&c, 0, sizeof(c));
	c.chip_id = 3;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	EXPECT_EQ(EINVAL, errno);

	c.chip_id = RINGVM_IRQCHIP_PIC_MASTER;
	c.chip.pic.priority_add = 8;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	EXPECT_EQ(EINVAL, errno);
	c.chip.pic.priority_add = 0;
	c.chip.pic.init_state = 4;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	EXPECT_EQ(EINVAL, errno);

	memset(&c, 0, sizeof(c));
	c.chip_id = RINGVM_IRQCHIP_IOAPIC;
	c.chip.ioapic.base_address = 0xfec00010;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_SET_IRQCHIP, &c));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was taken from the refused calls. */
	ASSERT_EQ(0, get_chip(self->vm.fd, RINGVM_IRQCHIP_IOAPIC, &c));
	EXPECT_EQ(0xfec00000ull, c.chip.ioapic.base_address);
}

/* Closing the VM with a chip holding raised lines frees it (KASAN/kmemleak runs see leaks). */
TEST_F(irqchip, destroy_with_state)
{
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	EXPECT_LE(-1, line_status(self->vm.fd, 9, 1));
	EXPECT_LE(-1, line_status(self->vm.fd, 22, 1));
}

TEST_HARNESS_MAIN
