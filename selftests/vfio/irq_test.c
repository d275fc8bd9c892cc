// SPDX-License-Identifier: GPL-2.0
/* ringvm_vfio interrupts: edu's MSI and INTx reach eventfds. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

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

/*
 * The config filter's read-modify-write of the command register against
 * the INTx handler setting DisINTx: a write merged from a value read just
 * before the interrupt used to clear the mask again while edu still
 * asserted the line; the handler, already past its one signal, returned
 * IRQ_NONE and the level interrupt stormed until the kernel disabled the
 * line ("nobody cared"), after which no INTx came through.  One thread
 * rewrites the command register (as a VMM forwarding a guest's writes
 * does) while the other raises, collects, acks and unmasks 300 interrupts.
 */
#define INTX_ROUNDS	1000

struct cmd_writer {
	int fd;
	uint16_t cmd;
	atomic_int stop;
	int writes, errors;
};

static bool pin_to(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !pthread_setaffinity_np(t, sizeof(set), &set);
}

/*
 * With two CPUs, the writer and edu's interrupt share CPU 1, so that the
 * interrupt lands inside the writer's config write as often as the write
 * path is long, and this thread raises from CPU 0.  One CPU: no pinning.
 */
static bool pin_race(const char *bdf, pthread_t writer)
{
	char p[PATH_MAX];
	long irq = -1;
	FILE *f;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/irq", bdf);
	f = fopen(p, "r");
	if (!f)
		return false;
	if (fscanf(f, "%ld", &irq) != 1)
		irq = -1;
	fclose(f);
	snprintf(p, sizeof(p), "/proc/irq/%ld/smp_affinity_list", irq);
	return !rv_sysfs_write(p, "1") && pin_to(writer, 1) && pin_to(pthread_self(), 0);
}

static void *cmd_write_loop(void *arg)
{
	struct cmd_writer *w = arg;

	while (!atomic_load(&w->stop)) {
		if (pwrite(w->fd, &w->cmd, 2, rv_cfg(PCI_COMMAND)) != 2)
			w->errors++;
		w->writes++;
	}
	return NULL;
}

TEST_F_TIMEOUT(irq, intx_mask_survives_command_writes, 600)
{
	int32_t efd = eventfd(0, EFD_CLOEXEC);
	struct cmd_writer w = { .fd = self->fd };
	int i, got = 0, unmasked = 0;
	pthread_t t;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_INTX, 1, &efd));
	w.cmd = rv_cfg_read16(self->fd, PCI_COMMAND);
	ASSERT_FALSE(w.cmd & PCI_COMMAND_INTX_DISABLE);
	ASSERT_EQ(0, pthread_create(&t, NULL, cmd_write_loop, &w));
	TH_LOG("writer and interrupt %s", pin_race(self->bdf, t) ?
	       "pinned together on CPU 1" : "not pinned (one CPU)");
	for (i = 0; i < INTX_ROUNDS; i++) {
		edu_wr(self->bar, EDU_IRQ_RAISE, 0x1);
		if (rv_eventfd_wait(efd) < 1)
			break;
		got++;
		/* Signalled means masked at the device until UNMASK_INTX. */
		if (!(rv_cfg_read16(self->fd, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE))
			unmasked++;
		edu_wr(self->bar, EDU_IRQ_ACK, 0x1);
		if (ioctl(self->fd, RINGVM_VFIO_UNMASK_INTX, 0))
			break;
	}
	atomic_store(&w.stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%d interrupts, %d command writes, %d found unmasked", got, w.writes,
	       unmasked);
	EXPECT_EQ(INTX_ROUNDS, got);
	EXPECT_EQ(0, unmasked);
	EXPECT_EQ(0, w.errors);
	EXPECT_EQ(0, rv_set_irqs(self->fd, RINGVM_VFIO_IRQ_INTX, 0, NULL));
	close(efd);
}

TEST_HARNESS_MAIN
