// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vfio device lifecycle: bind through driver_override, per-device
 * nodes, exclusive open, IOMMU group viability, and an owner killed in the
 * middle of a DMA leaving nothing pinned, charged or claimed behind.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "vfio_edu.h"

FIXTURE(device) {
	char bdf[32];
	char ga[32], gb[32];	/* the group test's two devices */
	int fd;
};

FIXTURE_SETUP(device)
{
	self->fd = -1;
	self->ga[0] = self->gb[0] = '\0';
	ASSERT_EQ(0, rv_find_pci(EDU_VENDOR, EDU_DEVICE, self->bdf));
	ASSERT_EQ(0, rv_load_module("ringvm_vfio"));
}

/* Close before unbind: unbinding an open device waits for its owner. */
FIXTURE_TEARDOWN(device)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->ga[0])
		EXPECT_EQ(0, rv_pci_unbind(self->ga));
	if (self->gb[0]) {
		EXPECT_EQ(0, rv_pci_unbind(self->gb));
		EXPECT_EQ(0, rv_unload_module("pci_pf_stub"));
	}
	EXPECT_EQ(0, rv_pci_unbind(self->bdf));
	EXPECT_EQ(0, rv_unload_module("ringvm_vfio"));
}

TEST_F(device, node_follows_binding)
{
	char node[PATH_MAX], drv[64];
	int fd;

	rv_devnode(self->bdf, node, sizeof(node));
	/* Not bound: no node, and nothing to open. */
	EXPECT_FALSE(rv_path_exists(node));
	EXPECT_EQ(-1, rv_open_dev(self->bdf));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	EXPECT_TRUE(rv_path_exists(node));
	rv_pci_driver(self->bdf, drv, sizeof(drv));
	EXPECT_STREQ(RINGVM_VFIO_DRIVER_NAME, drv);
	fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, fd);
	close(fd);

	ASSERT_EQ(0, rv_pci_unbind(self->bdf));
	EXPECT_FALSE(rv_path_exists(node));
	rv_pci_driver(self->bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	/* Rebind works, and the control node is untouched throughout. */
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	EXPECT_TRUE(rv_path_exists(node));
	EXPECT_TRUE(rv_path_exists("/dev/ringvm-vfio"));
}

/* rmmod with a device bound (and closed) unbinds it cleanly. */
TEST_F(device, module_unload_unbinds)
{
	char node[PATH_MAX], drv[64];

	rv_devnode(self->bdf, node, sizeof(node));
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	ASSERT_EQ(0, rv_unload_module("ringvm_vfio"));
	EXPECT_FALSE(rv_path_exists(node));
	rv_pci_driver(self->bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	/* driver_override survives: loading the module binds the device again. */
	ASSERT_EQ(0, rv_load_module("ringvm_vfio"));
	rv_pci_driver(self->bdf, drv, sizeof(drv));
	EXPECT_STREQ(RINGVM_VFIO_DRIVER_NAME, drv);
	EXPECT_TRUE(rv_path_exists(node));
}

TEST_F(device, unknown_bdf)
{
	EXPECT_EQ(-ENOENT, rv_sysfs_write("/sys/bus/pci/devices/0000:7f:1f.7/driver_override",
					  RINGVM_VFIO_DRIVER_NAME));
	/* drivers_probe on a device that does not exist */
	EXPECT_NE(0, rv_sysfs_write("/sys/bus/pci/drivers_probe", "0000:7f:1f.7"));
	EXPECT_EQ(-1, rv_open_dev("0000:7f:1f.7"));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(device, open_is_exclusive)
{
	int fd, fd2;

	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, fd);
	fd2 = rv_open_dev(self->bdf);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	/* The module cannot go while a device is open. */
	EXPECT_EQ(-EWOULDBLOCK, rv_unload_module("ringvm_vfio"));
	close(fd);
	fd2 = rv_open_dev(self->bdf);
	EXPECT_LE(0, fd2);
	close(fd2);
}

struct unbinder {
	const char *bdf;
	int r;
	atomic_int done;
};

static void *unbind_thread(void *arg)
{
	struct unbinder *u = arg;

	u->r = rv_pci_unbind(u->bdf);
	atomic_store(&u->done, 1);
	return NULL;
}

static int set_req(int fd, int efd)
{
	return ioctl(fd, RINGVM_VFIO_SET_REQ_EVENTFD, &efd) ? -errno : 0;
}

/* Unbinding an open device asks its owner for it, and waits until it lets go. */
TEST_F(device, unbind_asks_the_owner_to_let_go)
{
	struct unbinder u = { .bdf = self->bdf };
	int efd = eventfd(0, EFD_CLOEXEC), null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct pollfd p = { .events = POLLIN };
	char node[PATH_MAX], drv[64];
	uint64_t count = 0;
	pthread_t t;

	ASSERT_LE(0, efd);
	ASSERT_LE(0, null);
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	self->fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-EINVAL, set_req(self->fd, null));	/* not an eventfd */
	EXPECT_EQ(-EBADF, set_req(self->fd, 9999));
	EXPECT_EQ(-EFAULT, ioctl(self->fd, RINGVM_VFIO_SET_REQ_EVENTFD, NULL) ? -errno : 0);
	EXPECT_EQ(0, set_req(self->fd, efd));
	EXPECT_EQ(0, set_req(self->fd, -1));		/* removed, and set again */
	ASSERT_EQ(0, set_req(self->fd, efd));

	ASSERT_EQ(0, pthread_create(&t, NULL, unbind_thread, &u));
	p.fd = efd;
	ASSERT_EQ(1, poll(&p, 1, 30000));
	ASSERT_EQ(8, read(efd, &count, 8));
	EXPECT_LE(1, count);
	/* Asked, not taken: the node is gone for newcomers, the device still ours. */
	rv_devnode(self->bdf, node, sizeof(node));
	EXPECT_FALSE(rv_path_exists(node));
	EXPECT_EQ(0, atomic_load(&u.done));
	EXPECT_EQ(2, pread(self->fd, &count, 2,
			   RINGVM_VFIO_REGION_OFFSET(RINGVM_VFIO_REGION_CONFIG)));
	EXPECT_EQ(EDU_VENDOR, count & 0xffff);

	close(self->fd);
	self->fd = -1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, u.r);
	rv_pci_driver(self->bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	close(efd);
	close(null);
}

/* Two devices sharing an IOMMU group, neither of them edu; 0 or -ENOENT. */
static int find_shared_group(char a[32], char b[32])
{
	char p[PATH_MAX], ga[PATH_MAX], gb[PATH_MAX];
	struct dirent *e, *f;
	DIR *d = opendir("/sys/bus/pci/devices"), *d2;
	ssize_t n;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", e->d_name);
		n = readlink(p, ga, sizeof(ga) - 1);
		if (n <= 0)
			continue;
		ga[n] = '\0';
		d2 = opendir("/sys/bus/pci/devices");
		while (d2 && (f = readdir(d2))) {
			if (f->d_name[0] == '.' || !strcmp(f->d_name, e->d_name))
				continue;
			snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", f->d_name);
			n = readlink(p, gb, sizeof(gb) - 1);
			if (n <= 0)
				continue;
			gb[n] = '\0';
			if (strcmp(ga, gb))
				continue;
			closedir(d2);
			closedir(d);
			return rv_copy_bdf(a, e->d_name) ?: rv_copy_bdf(b, f->d_name);
		}
		if (d2)
			closedir(d2);
	}
	closedir(d);
	return -ENOENT;
}

/* A host driver that, unlike pci-stub, lets the kernel DMA API own the group. */
#define HOST_DRIVER	"pci-pf-stub"

/*
 * A group is only viable when no device in it is bound to a host driver:
 * otherwise that driver's DMA would go through our domain (or ours through
 * its).  q35's ICH9 functions at 00:1f.* share a group and nothing binds
 * them in the test host; pci-pf-stub plays the host driver.
 */
TEST_F(device, group_not_viable_while_host_driver_bound)
{
	char *a = self->ga, *b = self->gb, drv[64];
	int kfd;

	ASSERT_EQ(0, find_shared_group(a, b)) {
		TH_LOG("the test host has no IOMMU group with two devices");
	}
	rv_pci_driver(a, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	rv_pci_driver(b, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(0, rv_load_host_module("pci-pf-stub"));

	ASSERT_EQ(0, rv_pci_bind(b, HOST_DRIVER));
	ASSERT_EQ(0, rv_pci_bind(a, RINGVM_VFIO_DRIVER_NAME));
	kfd = rv_kmsg_open_tail();
	ASSERT_LE(0, kfd);
	self->fd = rv_open_dev(a);
	EXPECT_EQ(-1, self->fd);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(rv_kmsg_wait(kfd, "is not viable", a));
	close(kfd);
	if (self->fd >= 0)
		close(self->fd);

	/* With the host driver gone the same open succeeds... */
	EXPECT_EQ(0, rv_pci_unbind(b));
	self->fd = rv_open_dev(a);
	ASSERT_LE(0, self->fd);
	/* ...and while we own the group no host driver can bind into it. */
	EXPECT_NE(0, rv_pci_bind(b, HOST_DRIVER));
	rv_pci_driver(b, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
}

struct victim {
	const char *bdf;
	void *buf;
	int pipe_w;
	uint8_t cls;	/* cache line size before the victim ran */
};

/* A config register as the PCI core sees it, bypassing our node. */
static uint16_t sysfs_cfg16(const char *bdf, unsigned int off)
{
	char p[PATH_MAX];
	uint16_t v = 0xffff;
	int fd;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0xffff;
	if (pread(fd, &v, 2, off) != 2)
		v = 0xffff;
	close(fd);
	return v;
}

/* Offset of the MSI capability in config space, 0 if none. */
static unsigned int sysfs_msi_cap(const char *bdf)
{
	unsigned int pos = sysfs_cfg16(bdf, PCI_CAPABILITY_LIST) & 0xff;
	int guard = 48;

	while (pos && guard--) {
		uint16_t hdr = sysfs_cfg16(bdf, pos);

		if ((hdr & 0xff) == PCI_CAP_ID_MSI)
			return pos;
		pos = hdr >> 8;
	}
	return 0;
}

/*
 * Runs in a CLONE_VM child: its pins are charged to the mm it shares with
 * the test, so the test can watch VmLck go up and come back down.
 */
static int victim_main(void *arg)
{
	struct victim *v = arg;
	uint64_t regs[4] = { EDU_BUF, 0x100000, EDU_XFER, EDU_CMD_TO_RAM | EDU_CMD_RUN };
	off_t bar0 = RINGVM_VFIO_REGION_OFFSET(0);
	int fd = rv_open_dev(v->bdf), i;
	char ok = 1;

	int32_t efd = eventfd(0, EFD_CLOEXEC);
	uint8_t cls = v->cls ^ 0x20;

	if (fd < 0 || rv_map(fd, 0x100000, v->buf, 16 * PAGE,
			     RINGVM_VFIO_DMA_READ | RINGVM_VFIO_DMA_WRITE))
		ok = 0;
	/* State a reset must undo: MSI on, a config register changed. */
	if (ok && (rv_set_irqs(fd, RINGVM_VFIO_IRQ_MSI, 1, &efd) ||
		   pwrite(fd, &cls, 1, rv_cfg(PCI_CACHE_LINE_SIZE)) != 1))
		ok = 0;
	/* Start a device->RAM DMA with pwrite: an mmap would outlive us in the shared mm. */
	for (i = 0; ok && i < 4; i++)
		if (pwrite(fd, &regs[i], 8, bar0 + EDU_DMA_SRC + 8 * i) != 8)
			ok = 0;
	if (write(v->pipe_w, &ok, 1) != 1)
		return 1;
	for (;;)
		pause();
	return 0;
}

/* RAM -> edu -> RAM through IOVAs 0x100000 / 0x101000: true when it landed. */
static bool dma_roundtrip(int fd, uint8_t *buf)
{
	volatile uint8_t *bar = rv_map_bar0(fd);
	bool ok;

	if (!bar)
		return false;
	/*
	 * edu has no reset: a DMA the dead owner started may still be pending
	 * (and fault in our empty domain). Let it drain before using the engine.
	 */
	if (!edu_wait_idle(bar)) {
		munmap((void *)bar, EDU_BAR_SIZE);
		return false;
	}
	memset(buf, 0x3c, PAGE);
	memset(buf + PAGE, 0, PAGE);
	ok = !rv_map(fd, 0x100000, buf, 2 * PAGE,
		     RINGVM_VFIO_DMA_READ | RINGVM_VFIO_DMA_WRITE) &&
	     edu_dma(bar, 0x100000, EDU_BUF, EDU_XFER, 0) &&
	     edu_dma(bar, EDU_BUF, 0x101000, EDU_XFER, EDU_CMD_TO_RAM) &&
	     !memcmp(buf, buf + PAGE, EDU_XFER);
	munmap((void *)bar, EDU_BAR_SIZE);
	return ok;
}

TEST_F(device, owner_killed_mid_dma_releases_everything)
{
	static char stack[256 * 1024] __attribute__((aligned(16)));
	void *buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct victim v = { .bdf = self->bdf, .buf = buf };
	long lck, pinned;
	int p[2], status, fd;
	unsigned int msi;
	char ok = 0;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, buf);
	msi = sysfs_msi_cap(self->bdf);
	ASSERT_NE(0, msi);
	v.cls = sysfs_cfg16(self->bdf, PCI_CACHE_LINE_SIZE) & 0xff;
	memset(buf, 0, 16 * PAGE);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	lck = rv_vmlck_kb();
	pinned = rv_pinned_pages();
	v.pipe_w = p[1];

	pid = clone(victim_main, stack + sizeof(stack), CLONE_VM | SIGCHLD, &v);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(p[0], &ok, 1));
	EXPECT_EQ(1, ok);
	EXPECT_EQ(lck + 64, rv_vmlck_kb());
	EXPECT_EQ(pinned + 16, rv_pinned_pages());
	EXPECT_TRUE(sysfs_cfg16(self->bdf, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
	EXPECT_EQ(v.cls ^ 0x20, sysfs_cfg16(self->bdf, PCI_CACHE_LINE_SIZE) & 0xff);
	/* Still owned: nobody else gets it. */
	fd = rv_open_dev(self->bdf);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));

	EXPECT_EQ(lck, rv_vmlck_kb());
	EXPECT_EQ(pinned, rv_pinned_pages());
	/* Reset and quiesced: MSI off, config restored, no bus mastering. */
	EXPECT_FALSE(sysfs_cfg16(self->bdf, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
	EXPECT_EQ(v.cls, sysfs_cfg16(self->bdf, PCI_CACHE_LINE_SIZE) & 0xff);
	EXPECT_FALSE(sysfs_cfg16(self->bdf, PCI_COMMAND) & PCI_COMMAND_MASTER);
	/* The device came back: it opens, unbinds, rebinds and does DMA again. */
	fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, rv_pci_unbind(self->bdf));
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(dma_roundtrip(fd, buf));
	close(fd);
	EXPECT_EQ(lck, rv_vmlck_kb());
	EXPECT_EQ(pinned, rv_pinned_pages());
}

/*
 * Release, remove and the next open race: before the kref, remove could
 * free the device between release's unlock and its completion, or a new
 * open's completion could be completed by the old release, after which
 * unbind freed a device still open (leaking its group claim and pins).
 * 1,000 unbind/bind rounds against two threads that open, map a page and
 * close as fast as they can; then nothing is left pinned or charged and
 * the group can be claimed again.
 */
#define RACE_ROUNDS	1000

struct opener {
	const char *bdf;
	void *buf;
	atomic_int stop;
	int opens, errors;
};

static void *open_loop(void *arg)
{
	struct opener *o = arg;

	while (!atomic_load(&o->stop)) {
		int fd = rv_open_dev(o->bdf);

		if (fd < 0) {
			/* Unbound (no node), being removed, or not yet closed. */
			if (errno != ENOENT && errno != ENODEV && errno != EBUSY)
				o->errors++;
			sched_yield();
			continue;
		}
		o->opens++;
		if (rv_map(fd, 0x100000, o->buf, PAGE,
			   RINGVM_VFIO_DMA_READ | RINGVM_VFIO_DMA_WRITE))
			o->errors++;
		close(fd);
	}
	return NULL;
}

TEST_F_TIMEOUT(device, release_remove_open_race, 1800)
{
	struct opener o = { .bdf = self->bdf }, o2 = { .bdf = self->bdf };
	long lck, pinned;
	int i, fail = 0;
	pthread_t t, t2;

	o.buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, o.buf);
	memset(o.buf, 0, PAGE);
	o2.buf = o.buf;
	lck = rv_vmlck_kb();
	pinned = rv_pinned_pages();
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	/* Two openers: one can open while the other's release is still running. */
	ASSERT_EQ(0, pthread_create(&t, NULL, open_loop, &o));
	ASSERT_EQ(0, pthread_create(&t2, NULL, open_loop, &o2));
	for (i = 0; i < RACE_ROUNDS && !fail; i++)
		fail = rv_pci_unbind(self->bdf) || rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME);
	atomic_store(&o.stop, 1);
	atomic_store(&o2.stop, 1);
	pthread_join(t, NULL);
	pthread_join(t2, NULL);
	o.opens += o2.opens;
	o.errors += o2.errors;
	EXPECT_EQ(0, fail) {
		TH_LOG("unbind/bind failed in round %d", i);
	}
	TH_LOG("%d rounds, %d opens in between", i, o.opens);
	EXPECT_LT(0, o.opens);
	EXPECT_EQ(0, o.errors);
	EXPECT_EQ(lck, rv_vmlck_kb());
	EXPECT_EQ(pinned, rv_pinned_pages());
	/* The group was given back each time: it can be claimed again. */
	self->fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, self->fd) {
		TH_LOG("open after the race: %s", strerror(errno));
	}
	EXPECT_EQ(0, rv_map(self->fd, 0x100000, o.buf, PAGE, RINGVM_VFIO_DMA_READ));
	EXPECT_EQ(lck + 4, rv_vmlck_kb());
}

static int sysfs_cfg_write(const char *bdf, unsigned int off, const void *v, size_t len)
{
	char p[PATH_MAX];
	int fd, r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pwrite(fd, v, len, off) == (ssize_t)len ? 0 : -errno;
	close(fd);
	return r;
}

/*
 * Whatever was done to the device between bind and open (here through
 * sysfs, as a host tool or an earlier user of the PCI core could) is gone
 * before the new owner's first access: config space is as it was at
 * bind, MSI off.  edu has no reset method, so what the broker can do is
 * put back the config space saved at bind; its registers in BAR0
 * (liveness, factorial) survive any reset QEMU 7.2 offers for it.
 */
TEST_F(device, open_resets_what_others_left)
{
	uint8_t cls, dirty;
	uint16_t cmd, flags;
	unsigned int msi;

	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));
	msi = sysfs_msi_cap(self->bdf);
	ASSERT_NE(0, msi);
	cls = sysfs_cfg16(self->bdf, PCI_CACHE_LINE_SIZE) & 0xff;
	flags = sysfs_cfg16(self->bdf, msi + PCI_MSI_FLAGS);
	ASSERT_FALSE(flags & PCI_MSI_FLAGS_ENABLE);

	dirty = cls ^ 0x20;
	ASSERT_EQ(0, sysfs_cfg_write(self->bdf, PCI_CACHE_LINE_SIZE, &dirty, 1));
	cmd = sysfs_cfg16(self->bdf, PCI_COMMAND) | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	ASSERT_EQ(0, sysfs_cfg_write(self->bdf, PCI_COMMAND, &cmd, 2));
	flags |= PCI_MSI_FLAGS_ENABLE;
	ASSERT_EQ(0, sysfs_cfg_write(self->bdf, msi + PCI_MSI_FLAGS, &flags, 2));
	ASSERT_EQ(dirty, sysfs_cfg16(self->bdf, PCI_CACHE_LINE_SIZE) & 0xff);

	self->fd = rv_open_dev(self->bdf);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(cls, rv_cfg_read16(self->fd, PCI_CACHE_LINE_SIZE) & 0xff);
	EXPECT_EQ(cls, sysfs_cfg16(self->bdf, PCI_CACHE_LINE_SIZE) & 0xff);
	EXPECT_FALSE(rv_cfg_read16(self->fd, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
	EXPECT_FALSE(sysfs_cfg16(self->bdf, msi + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
}

TEST_HARNESS_MAIN
