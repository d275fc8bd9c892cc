// SPDX-License-Identifier: GPL-2.0
/* ringvm_vfio interrupts: edu's MSI and INTx reach eventfds. */
#include "kselftest_harness.h"
#include "vfio_edu.h"

EDU_FIXTURE(irq);

TEST_F(irq, info_matches_edu)
{
	struct ringvm_vfio_irq_info info = { .index = RINGVM_VFIO_IRQ_MSI };

	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VFIO_GET_IRQ_INFO, &info));
	EXPECT_EQ(1, info.count);
	info.index = RINGVM_VFIO_IRQ_INTX;
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VFIO_GET_IRQ_INFO, &info));
	EXPECT_EQ(1, info.count);
	info.index = RINGVM_VFIO_IRQ_MSIX;	/* edu has no MSI-X capability */
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VFIO_GET_IRQ_INFO, &info));
	EXPECT_EQ(0, info.count);
	info.index = RINGVM_VFIO_NUM_IRQS;
	EXPECT_EQ(-1, ioctl(self->fd, RINGVM_VFIO_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(irq, msi_reaches_eventfd)
{
	int32_t efd = eventfd(0, EFD_CLOEXEC);
	void *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_LE(0, efd);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, rv_map(self->fd, 0x100000, buf, PAGE, RINGVM_VFIO_DMA_READ));
	ASSERT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, &efd));
	edu_wr(self->bar, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(1, rv_eventfd_wait(efd));
	EXPECT_EQ(0x1, edu_rd(self->bar, EDU_IRQ_STATUS));
	edu_wr(self->bar, EDU_IRQ_ACK, 0x1);

	/* DMA completion raises 0x100 through the same vector. */
	ASSERT_TRUE(edu_dma(self->bar, 0x100000, EDU_BUF, 16, EDU_CMD_IRQ));
	EXPECT_EQ(1, rv_eventfd_wait(efd));
	EXPECT_EQ(0x100, edu_rd(self->bar, EDU_IRQ_STATUS));
	edu_wr(self->bar, EDU_IRQ_ACK, 0x100);

	EXPECT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 0, NULL));
	close(efd);
}

/*
 * INTx is level triggered: the broker masks it at the device on the first
 * interrupt and keeps it masked until userspace unmasks; unmasking while the
 * device still asserts signals again instead of unmasking.
 */
TEST_F(irq, intx_masked_until_unmasked)
{
	int32_t efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct ringvm_vfio_device_info info;
	uint64_t v;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VFIO_GET_DEVICE_INFO, &info));
	ASSERT_TRUE(info.flags & RINGVM_VFIO_DEVICE_FLAG_INTX_MASK);
	ASSERT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_INTX, 1, &efd));
	EXPECT_FALSE(rv_cfg_read16(self->fd, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);

	edu_wr(self->bar, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(1, rv_eventfd_wait(efd));
	/* Masked at the device, so the still-asserted line cannot storm. */
	EXPECT_TRUE(rv_cfg_read16(self->fd, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	EXPECT_TRUE(rv_cfg_read16(self->fd, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	EXPECT_EQ(-1, read(efd, &v, sizeof(v)));
	EXPECT_EQ(EAGAIN, errno);

	/* Not serviced yet: unmask signals again and stays masked. */
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VFIO_UNMASK_INTX, 0));
	EXPECT_EQ(1, rv_eventfd_wait(efd));
	EXPECT_TRUE(rv_cfg_read16(self->fd, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);

	/* Serviced: unmask takes. */
	edu_wr(self->bar, EDU_IRQ_ACK, 0x1);
	EXPECT_FALSE(rv_cfg_read16(self->fd, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VFIO_UNMASK_INTX, 0));
	EXPECT_FALSE(rv_cfg_read16(self->fd, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);

	/* And the next interrupt is delivered the same way. */
	edu_wr(self->bar, EDU_IRQ_RAISE, 0x2);
	EXPECT_EQ(1, rv_eventfd_wait(efd));
	edu_wr(self->bar, EDU_IRQ_ACK, 0x2);
	EXPECT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_INTX, 0, NULL));
	close(efd);
}

TEST_F(irq, bad_set_irqs)
{
	int32_t efd = eventfd(0, EFD_CLOEXEC), fds[2];
	int32_t bad = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, efd);
	fds[0] = fds[1] = efd;
	EXPECT_EQ(-EINVAL, rv_set_irqs(self->fd, RINGVM_VFIO_NUM_IRQS, 1, &efd));
	EXPECT_EQ(-EINVAL, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSIX, 1, &efd));
	EXPECT_EQ(-EINVAL, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 2, fds));
	EXPECT_EQ(-EINVAL, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 0, NULL));
	EXPECT_EQ(-EINVAL, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, &bad));
	EXPECT_EQ(-EBADF, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, (int32_t[]){ 999 }));
	EXPECT_EQ(-EFAULT, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, NULL));
	EXPECT_EQ(-EINVAL, ioctl(self->fd, RINGVM_VFIO_UNMASK_INTX, 0) ? -errno : 0);
	/* None of that enabled anything: MSI is still off. */
	EXPECT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 1, &efd));
	/* One kind at a time. */
	EXPECT_EQ(-EBUSY, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_INTX, 1, &efd));
	EXPECT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_MSI, 0, NULL));
	close(bad);
	close(efd);
}

TEST_HARNESS_MAIN
