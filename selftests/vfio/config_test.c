// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vfio config space on a PCI Express function: QEMU's e1000e
 * (8086:10d3, alone in its IOMMU group in the test host, bound to nothing),
 * which has what edu lacks: power management, a PCI Express capability and
 * extended capabilities (AER).  Each write the broker must not let through
 * is made, then both views are read back: what userspace sees through the
 * node, and what the device holds (sysfs, bypassing the broker).
 */
#include "kselftest_harness.h"
#include "vfio_edu.h"

#define E1000E_VENDOR	0x8086
#define E1000E_DEVICE	0x10d3

FIXTURE(cfg) {
	char bdf[32];
	int fd, sysfs;
	unsigned int pm, exp;
};

static uint32_t node_read(int fd, unsigned int off, size_t len)
{
	uint32_t v = 0;

	return pread(fd, &v, len, rv_cfg(off)) == (ssize_t)len ? v : 0xdeadbeef;
}

static int node_write(int fd, unsigned int off, uint32_t v, size_t len)
{
	return pwrite(fd, &v, len, rv_cfg(off)) == (ssize_t)len ? 0 : -errno;
}

/* The device's own register, read through sysfs: the broker does not see it. */
static uint32_t dev_read(int sysfs, unsigned int off, size_t len)
{
	uint32_t v = 0;

	return pread(sysfs, &v, len, off) == (ssize_t)len ? v : 0xdeadbeef;
}

static unsigned int find_cap(int fd, uint8_t id)
{
	unsigned int pos = node_read(fd, PCI_CAPABILITY_LIST, 1), guard = 48;

	while (pos && guard--) {
		uint16_t hdr = node_read(fd, pos, 2);

		if ((hdr & 0xff) == id)
			return pos;
		pos = hdr >> 8;
	}
	return 0;
}

static unsigned int find_ext_cap(int fd, uint16_t id)
{
	unsigned int pos = 0x100, guard = 64;

	while (pos && guard--) {
		uint32_t hdr = node_read(fd, pos, 4);

		if ((hdr & 0xffff) == id)
			return pos;
		pos = hdr >> 20;
	}
	return 0;
}

FIXTURE_SETUP(cfg)
{
	char p[PATH_MAX];

	self->fd = self->sysfs = -1;
	ASSERT_EQ(0, rv_find_pci(E1000E_VENDOR, E1000E_DEVICE, self->bdf)) {
		TH_LOG("no e1000e (8086:10d3) in /sys/bus/pci");
	}
	ASSERT_EQ(0, rv_load_module("ringvm_vfio"));
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	self->fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s", self->bdf, strerror(errno));
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", self->bdf);
	self->sysfs = open(p, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->sysfs);
	self->pm = find_cap(self->fd, PCI_CAP_ID_PM);
	self->exp = find_cap(self->fd, PCI_CAP_ID_EXP);
	ASSERT_NE(0, self->pm);
	ASSERT_NE(0, self->exp);
}

FIXTURE_TEARDOWN(cfg)
{
	if (self->sysfs >= 0)
		close(self->sysfs);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, rv_pci_unbind(self->bdf));
	EXPECT_EQ(0, rv_unload_module("ringvm_vfio"));
}

/* Max Payload Size and phantom functions: userspace sees its value, the device keeps the host's. */
TEST_F(cfg, devctl_mps_and_phantom_are_virtual)
{
	unsigned int devctl = self->exp + PCI_EXP_DEVCTL;
	uint16_t dev = dev_read(self->sysfs, devctl, 2);
	uint16_t want = (dev & ~PCI_EXP_DEVCTL_PAYLOAD) | PCI_EXP_DEVCTL_PAYLOAD_512B |
			PCI_EXP_DEVCTL_PHANTOM;

	ASSERT_NE(dev, want);
	EXPECT_EQ(0, node_write(self->fd, devctl, want, 2));
	EXPECT_EQ(want, node_read(self->fd, devctl, 2));
	EXPECT_EQ(dev, dev_read(self->sysfs, devctl, 2));
}

/* Initiate-FLR is the broker's reset: config space comes back, the bit reads 0. */
TEST_F(cfg, flr_is_the_brokers_reset)
{
	unsigned int devctl = self->exp + PCI_EXP_DEVCTL;
	uint8_t cls = dev_read(self->sysfs, PCI_CACHE_LINE_SIZE, 1);
	uint16_t dev = dev_read(self->sysfs, devctl, 2);

	ASSERT_EQ(0, node_write(self->fd, PCI_CACHE_LINE_SIZE, cls ^ 0x20, 1));
	ASSERT_EQ(cls ^ 0x20, dev_read(self->sysfs, PCI_CACHE_LINE_SIZE, 1));
	EXPECT_EQ(0, node_write(self->fd, devctl, dev | PCI_EXP_DEVCTL_BCR_FLR, 2));
	EXPECT_EQ(cls, dev_read(self->sysfs, PCI_CACHE_LINE_SIZE, 1));
	EXPECT_EQ(cls, node_read(self->fd, PCI_CACHE_LINE_SIZE, 1));
	EXPECT_FALSE(node_read(self->fd, devctl, 2) & PCI_EXP_DEVCTL_BCR_FLR);
	EXPECT_EQ(dev, dev_read(self->sysfs, devctl, 2));
	EXPECT_TRUE(node_read(self->fd, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
}

/* D3hot is virtual: the device stays in D0 and its BAR keeps answering. */
TEST_F(cfg, power_state_is_virtual)
{
	unsigned int pmcsr = self->pm + PCI_PM_CTRL;
	uint16_t dev = dev_read(self->sysfs, pmcsr, 2);
	uint32_t v;

	ASSERT_EQ(0, dev & PCI_PM_CTRL_STATE_MASK);	/* D0 */
	EXPECT_EQ(0, node_write(self->fd, pmcsr, dev | 3, 2));
	EXPECT_EQ(3, node_read(self->fd, pmcsr, 2) & PCI_PM_CTRL_STATE_MASK);
	EXPECT_EQ(dev, dev_read(self->sysfs, pmcsr, 2));
	EXPECT_EQ(4, pread(self->fd, &v, 4, RINGVM_VFIO_REGION_OFFSET(0)));
	EXPECT_EQ(0, node_write(self->fd, pmcsr, dev, 2));
	EXPECT_EQ(0, node_read(self->fd, pmcsr, 2) & PCI_PM_CTRL_STATE_MASK);
}

/*
 * The whole extended space is read-only: AER here (in QEMU 7.2's e1000e
 * its correctable-error mask and uncorrectable severity are writable on
 * the device itself, so a write the broker let through would show).
 */
TEST_F(cfg, extended_caps_are_read_only)
{
	unsigned int aer = find_ext_cap(self->fd, PCI_EXT_CAP_ID_ERR), reg;
	uint32_t v;

	ASSERT_NE(0, aer);
	for (reg = PCI_ERR_UNCOR_SEVER; reg <= PCI_ERR_COR_MASK; reg += 8) {
		v = dev_read(self->sysfs, aer + reg, 4);
		EXPECT_EQ(0, node_write(self->fd, aer + reg, ~v, 4));
		EXPECT_EQ(v, dev_read(self->sysfs, aer + reg, 4));
		EXPECT_EQ(v, node_read(self->fd, aer + reg, 4));
	}
	/* The capability header cannot be rewritten either. */
	EXPECT_EQ(0, node_write(self->fd, aer, 0, 4));
	EXPECT_EQ(PCI_EXT_CAP_ID_ERR, node_read(self->fd, aer, 2));
}

TEST_HARNESS_MAIN
