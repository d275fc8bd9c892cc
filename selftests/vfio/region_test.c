// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vfio regions: BAR and config space info, BAR mmap and pread/pwrite
 * within bounds only, config writes to registers the broker owns refused,
 * and RESET putting config space back.
 */
#include "kselftest_harness.h"
#include "vfio_edu.h"

EDU_FIXTURE(region);

static int region_info(int fd, uint32_t index, struct ringvm_vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->index = index;
	return ioctl(fd, RINGVM_VFIO_GET_REGION_INFO, ri) ? -errno : 0;
}

TEST_F(region, info_describes_edu)
{
	struct ringvm_vfio_device_info di;
	struct ringvm_vfio_region_info ri;
	uint32_t i;

	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VFIO_GET_DEVICE_INFO, &di));
	EXPECT_EQ(EDU_VENDOR, di.vendor);
	EXPECT_EQ(EDU_DEVICE, di.device);
	EXPECT_EQ(RINGVM_VFIO_NUM_REGIONS, di.num_regions);
	EXPECT_EQ(RINGVM_VFIO_NUM_IRQS, di.num_irqs);
	EXPECT_TRUE(di.iova_pgsizes & PAGE);
	EXPECT_LE(0x10000000ULL, di.iova_end);

	ASSERT_EQ(0, region_info(self->fd, 0, &ri));
	EXPECT_EQ(EDU_BAR_SIZE, ri.size);
	EXPECT_EQ(RINGVM_VFIO_REGION_OFFSET(0), ri.offset);
	EXPECT_EQ(RINGVM_VFIO_REGION_READ | RINGVM_VFIO_REGION_WRITE |
		  RINGVM_VFIO_REGION_MMAP, ri.flags);
	for (i = 1; i <= RINGVM_VFIO_REGION_BAR5; i++) {
		ASSERT_EQ(0, region_info(self->fd, i, &ri));
		EXPECT_EQ(0, ri.size);
		EXPECT_EQ(0, ri.flags);
	}
	ASSERT_EQ(0, region_info(self->fd, RINGVM_VFIO_REGION_CONFIG, &ri));
	EXPECT_LE(256, ri.size);
	EXPECT_EQ(RINGVM_VFIO_REGION_READ | RINGVM_VFIO_REGION_WRITE, ri.flags);
	EXPECT_EQ(-EINVAL, region_info(self->fd, RINGVM_VFIO_NUM_REGIONS, &ri));
	EXPECT_EQ(-1, ioctl(self->fd, RINGVM_VFIO_GET_REGION_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* The mapped BAR is the real device: edu's liveness register inverts. */
TEST_F(region, bar_mmap_and_rw)
{
	off_t bar0 = RINGVM_VFIO_REGION_OFFSET(0);
	uint32_t v = 0;

	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_ID) & 0xff);
	edu_wr(self->bar, EDU_LIVENESS, 0x12345678);
	EXPECT_EQ(~0x12345678u, edu_rd(self->bar, EDU_LIVENESS));

	ASSERT_EQ(4, pread(self->fd, &v, 4, bar0 + EDU_ID));
	EXPECT_EQ(edu_rd(self->bar, EDU_ID), v);
	v = 0xcafe0000;
	ASSERT_EQ(4, pwrite(self->fd, &v, 4, bar0 + EDU_LIVENESS));
	EXPECT_EQ(~0xcafe0000u, edu_rd(self->bar, EDU_LIVENESS));
}

TEST_F(region, bar_access_out_of_bounds)
{
	off_t bar0 = RINGVM_VFIO_REGION_OFFSET(0);
	uint32_t v;
	void *p;

	/* mmap: past the end, at the end, the config region, an absent BAR, private */
	p = mmap(NULL, EDU_BAR_SIZE + PAGE, PROT_READ, MAP_SHARED, self->fd, bar0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd, bar0 + EDU_BAR_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->fd,
		 bar0 + EDU_BAR_SIZE - PAGE);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd,
		 RINGVM_VFIO_REGION_OFFSET(RINGVM_VFIO_REGION_CONFIG));
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd, RINGVM_VFIO_REGION_OFFSET(1));
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, self->fd, bar0);
	EXPECT_EQ(MAP_FAILED, p);
	/* The last page alone is fine. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd, bar0 + EDU_BAR_SIZE - PAGE);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, PAGE);

	/* pread/pwrite: past the end, straddling it, odd sizes, misaligned, no region */
	EXPECT_EQ(-1, pread(self->fd, &v, 4, bar0 + EDU_BAR_SIZE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(self->fd, &v, 4, bar0 + EDU_BAR_SIZE - 2));
	EXPECT_EQ(-1, pread(self->fd, &v, 3, bar0));
	EXPECT_EQ(-1, pread(self->fd, &v, 4, bar0 + 2));
	EXPECT_EQ(-1, pwrite(self->fd, &v, 4, RINGVM_VFIO_REGION_OFFSET(2)));
	EXPECT_EQ(-1, pwrite(self->fd, &v, 4, RINGVM_VFIO_REGION_OFFSET(9)));
	EXPECT_EQ(EINVAL, errno);
}

static int cfg_write(int fd, unsigned int off, uint32_t val, size_t len)
{
	return pwrite(fd, &val, len, rv_cfg(off)) == (ssize_t)len ? 0 : -errno;
}

static uint32_t cfg_read32(int fd, unsigned int off)
{
	uint32_t v = 0;

	return pread(fd, &v, 4, rv_cfg(off)) == 4 ? v : 0xdeadbeef;
}

static unsigned int find_cap(int fd, uint8_t id)
{
	uint8_t pos = 0, hdr[2];

	if (pread(fd, &pos, 1, rv_cfg(PCI_CAPABILITY_LIST)) != 1)
		return 0;
	while (pos) {
		if (pread(fd, hdr, 2, rv_cfg(pos)) != 2)
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

TEST_F(region, config_writes_to_protected_registers_refused)
{
	uint32_t bar0 = cfg_read32(self->fd, PCI_BASE_ADDRESS_0);
	uint32_t rom = cfg_read32(self->fd, PCI_ROM_ADDRESS);
	uint16_t cmd = rv_cfg_read16(self->fd, PCI_COMMAND);
	unsigned int msi = find_cap(self->fd, PCI_CAP_ID_MSI);
	uint32_t msi_hdr;

	ASSERT_NE(0, msi);
	msi_hdr = cfg_read32(self->fd, msi);
	ASSERT_TRUE(cmd & PCI_COMMAND_MASTER);	/* the broker turned it on */

	EXPECT_EQ(-EPERM, cfg_write(self->fd, PCI_BASE_ADDRESS_0, 0xffffffff, 4));
	EXPECT_EQ(-EPERM, cfg_write(self->fd, PCI_BASE_ADDRESS_0 + 2, 0xffff, 2));
	EXPECT_EQ(-EPERM, cfg_write(self->fd, PCI_BASE_ADDRESS_5, 0, 4));
	EXPECT_EQ(-EPERM, cfg_write(self->fd, PCI_ROM_ADDRESS, 0xfffff801, 4));
	EXPECT_EQ(-EPERM, cfg_write(self->fd, msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 2));
	EXPECT_EQ(-EPERM, cfg_write(self->fd, msi + PCI_MSI_ADDRESS_LO, 0xfee00000, 4));
	/* Bus master and INTx disable are the broker's: writes keep the device's. */
	EXPECT_EQ(0, cfg_write(self->fd, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2));
	EXPECT_EQ(cmd, rv_cfg_read16(self->fd, PCI_COMMAND));
	EXPECT_EQ(0, cfg_write(self->fd, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE, 2));
	EXPECT_EQ(cmd, rv_cfg_read16(self->fd, PCI_COMMAND));
	EXPECT_EQ(0, cfg_write(self->fd, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 1));
	EXPECT_EQ(0, cfg_write(self->fd, PCI_COMMAND + 1, (cmd | 0x400) >> 8, 1));
	EXPECT_EQ(0, cfg_write(self->fd, PCI_COMMAND,
			       (cmd & ~PCI_COMMAND_MASTER) | PCI_COMMAND_INTX_DISABLE, 4));
	/* malformed accesses */
	EXPECT_EQ(-EINVAL, cfg_write(self->fd, PCI_COMMAND + 1, 0, 2));
	EXPECT_EQ(-1, pwrite(self->fd, &(uint64_t){ 0 }, 8, rv_cfg(0)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, cfg_write(self->fd, 4096, 0, 4));

	/* nothing changed */
	EXPECT_EQ(bar0, cfg_read32(self->fd, PCI_BASE_ADDRESS_0));
	EXPECT_EQ(rom, cfg_read32(self->fd, PCI_ROM_ADDRESS));
	EXPECT_EQ(cmd, rv_cfg_read16(self->fd, PCI_COMMAND));
	EXPECT_EQ(msi_hdr, cfg_read32(self->fd, msi));
	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_ID) & 0xff);	/* BAR still decodes */

	/* Writes to the rest go through: the command word with owned bits kept... */
	EXPECT_EQ(0, cfg_write(self->fd, PCI_COMMAND, cmd, 2));
	/* ...and a plain register. */
	EXPECT_EQ(0, cfg_write(self->fd, PCI_CACHE_LINE_SIZE, 0x10, 1));
	EXPECT_EQ(0x10, rv_cfg_read16(self->fd, PCI_CACHE_LINE_SIZE) & 0xff);
}

/* Reads edu's id through @bar in a child: true if the child died of SIGBUS. */
static bool bar_read_sigbus(volatile uint8_t *bar)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit((edu_rd(bar, EDU_ID) & 0xff) == 0xed ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/*
 * Memory decode off: the broker must not touch the BAR (an Unsupported
 * Request on real hardware): pread/pwrite fail with EIO, the owner's
 * mapping is zapped and faults with SIGBUS, a new mapping too; with
 * decode back on, everything works again.
 */
TEST_F(region, bar_refused_while_decode_off)
{
	off_t bar0 = RINGVM_VFIO_REGION_OFFSET(0);
	uint16_t cmd = rv_cfg_read16(self->fd, PCI_COMMAND);
	char sys[PATH_MAX];
	volatile uint8_t *late;
	uint32_t v = 0;
	uint16_t dev = 0;
	int sfd;

	ASSERT_TRUE(cmd & PCI_COMMAND_MEMORY);
	edu_wr(self->bar, EDU_LIVENESS, 0x1234);	/* the page is mapped now */
	ASSERT_FALSE(bar_read_sigbus(self->bar));

	ASSERT_EQ(0, cfg_write(self->fd, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2));
	snprintf(sys, sizeof(sys), "/sys/bus/pci/devices/%s/config", self->bdf);
	sfd = open(sys, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(2, pread(sfd, &dev, 2, PCI_COMMAND));
	EXPECT_FALSE(dev & PCI_COMMAND_MEMORY);		/* the device holds it */
	EXPECT_EQ(-1, pread(self->fd, &v, 4, bar0 + EDU_ID));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pwrite(self->fd, &v, 4, bar0 + EDU_LIVENESS));
	EXPECT_EQ(EIO, errno);
	EXPECT_TRUE(bar_read_sigbus(self->bar));
	late = rv_map_bar0(self->fd);
	ASSERT_NE(NULL, late);
	EXPECT_TRUE(bar_read_sigbus(late));

	ASSERT_EQ(0, cfg_write(self->fd, PCI_COMMAND, cmd, 2));
	EXPECT_EQ(4, pread(self->fd, &v, 4, bar0 + EDU_ID));
	EXPECT_EQ(0xed, v & 0xff);
	EXPECT_FALSE(bar_read_sigbus(late));
	edu_wr(self->bar, EDU_LIVENESS, 0x4321);
	EXPECT_EQ(~0x4321u, edu_rd(late, EDU_LIVENESS));
	munmap((void *)late, EDU_BAR_SIZE);
	close(sfd);
}

/* Reset undoes what userspace programmed in config space and turns irqs off. */
TEST_F(region, reset_restores_config)
{
	uint8_t cls = rv_cfg_read16(self->fd, PCI_CACHE_LINE_SIZE) & 0xff;
	unsigned int msi = find_cap(self->fd, PCI_CAP_ID_MSI);
	struct ringvm_vfio_device_info di;
	int32_t efd = eventfd(0, EFD_CLOEXEC);
	int kind;

	ASSERT_LE(0, efd);
	ASSERT_NE(0, msi);
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VFIO_GET_DEVICE_INFO, &di));
	ASSERT_EQ(0, cfg_write(self->fd, PCI_CACHE_LINE_SIZE, cls ^ 0x20, 1));
	ASSERT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, &efd));
	ASSERT_TRUE(rv_cfg_read16(self->fd, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);

	kind = ioctl(self->fd, RINGVM_VFIO_RESET, 0);
	/*
	 * edu has no FLR, no PM capability and sits on the root bus (no
	 * bridge for a bus reset): known independently of what the broker
	 * reports, it has no reset, so the broker must fall back to a restore.
	 */
	EXPECT_FALSE(di.flags & RINGVM_VFIO_DEVICE_FLAG_RESET);
	EXPECT_EQ(RINGVM_VFIO_RESET_RESTORE, kind);
	EXPECT_EQ(cls, rv_cfg_read16(self->fd, PCI_CACHE_LINE_SIZE) & 0xff);
	EXPECT_FALSE(rv_cfg_read16(self->fd, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
	EXPECT_TRUE(rv_cfg_read16(self->fd, PCI_COMMAND) & PCI_COMMAND_MASTER);
	EXPECT_EQ(-EINVAL, ioctl(self->fd, RINGVM_VFIO_RESET, 1) ? -errno : 0);
	/* The interrupts can be set up again after it. */
	EXPECT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, &efd));
	edu_wr(self->bar, EDU_IRQ_RAISE, 0x4);
	EXPECT_EQ(1, rv_eventfd_wait(efd));
	edu_wr(self->bar, EDU_IRQ_ACK, 0x4);
	close(efd);
}

TEST_HARNESS_MAIN
