/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the ringvm_vfio suites: find QEMU's edu device in sysfs, bind
 * it to ringvm-vfio, open its node, drive edu's DMA engine and interrupt
 * registers, and read what the kernel says about locked and pinned pages.
 */
#ifndef RINGVM_VFIO_EDU_H
#define RINGVM_VFIO_EDU_H

#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/capability.h>
#include <linux/pci_regs.h>

#include <linux/ringvm_vfio.h>

#include "ringvm_selftest.h"

#include "edu_regs.h"

#define PAGE		4096UL

static inline int rv_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static inline long rv_sysfs_read_hex(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 16) : -1;
}

static inline int rv_copy_bdf(char bdf[32], const char *name)
{
	size_t n = strlen(name);

	if (n >= 32)
		return -ENAMETOOLONG;
	memcpy(bdf, name, n + 1);
	return 0;
}

/* The first PCI device with this vendor:device; 0 or -ENODEV. */
static inline int rv_find_pci(int vendor, int device, char bdf[32])
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char p[PATH_MAX];
	int r = -ENODEV;

	if (!d)
		return -errno;
	while (r && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (rv_sysfs_read_hex(p) != vendor)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (rv_sysfs_read_hex(p) != device)
			continue;
		r = rv_copy_bdf(bdf, e->d_name);
	}
	closedir(d);
	return r;
}

/* Name of the driver bound to @bdf ("" when none). */
static inline void rv_pci_driver(const char *bdf, char *out, size_t len)
{
	char p[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(p, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(out, len, "%s", strrchr(target, '/') + 1);
	}
}

/* driver_override + drivers_probe, as `ringvm passthrough bind` does. */
static inline int rv_pci_bind(const char *bdf, const char *driver)
{
	char p[PATH_MAX], cur[64];
	int r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", bdf);
	r = rv_sysfs_write(p, driver);
	if (r)
		return r;
	r = rv_sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (r)
		return r;
	rv_pci_driver(bdf, cur, sizeof(cur));
	return strcmp(cur, driver) ? -ENODEV : 0;
}

/* Unbinds @bdf from whatever holds it and clears its driver_override. */
static inline int rv_pci_unbind(const char *bdf)
{
	char p[PATH_MAX];
	int r = 0;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if (rv_path_exists(p))
		r = rv_sysfs_write(p, bdf);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", bdf);
	rv_sysfs_write(p, "\n");
	return r;
}

static inline void rv_devnode(const char *bdf, char *out, size_t len)
{
	snprintf(out, len, RINGVM_VFIO_DEV_DIR "/%s", bdf);
}

static inline int rv_open_dev(const char *bdf)
{
	char p[PATH_MAX];

	rv_devnode(bdf, p, sizeof(p));
	return open(p, O_RDWR | O_CLOEXEC);
}

static inline double rv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint32_t edu_rd(volatile uint8_t *bar, unsigned int reg)
{
	return *(volatile uint32_t *)(bar + reg);
}

static inline void edu_wr(volatile uint8_t *bar, unsigned int reg, uint32_t v)
{
	*(volatile uint32_t *)(bar + reg) = v;
}

static inline void edu_wr64(volatile uint8_t *bar, unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)(bar + reg) = v;
}

/*
 * One edu DMA of @count bytes; waits for the engine to go idle (a safety
 * bound of 20 s of wall time, never a timing assertion).
 */
static inline bool edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst,
			   uint32_t count, uint32_t cmd)
{
	double end = rv_now() + 20;

	edu_wr64(bar, EDU_DMA_SRC, src);
	edu_wr64(bar, EDU_DMA_DST, dst);
	edu_wr64(bar, EDU_DMA_COUNT, count);
	edu_wr64(bar, EDU_DMA_CMD, cmd | EDU_CMD_RUN);
	while (edu_rd(bar, EDU_DMA_CMD) & EDU_CMD_RUN) {
		if (rv_now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/* Waits (20 s at most) for a DMA started by someone else to finish. */
static inline bool edu_wait_idle(volatile uint8_t *bar)
{
	double end = rv_now() + 20;

	while (edu_rd(bar, EDU_DMA_CMD) & EDU_CMD_RUN) {
		if (rv_now() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * The Intel IOMMU driver reports faults through one ratelimit (10 per 5 s)
 * that costs three per fault, so a fourth fault within 5 s goes unlogged.
 * Before provoking a fault the test must see reported, wait until 5 s have
 * passed since the last report in the log (usually no wait at all).
 */
static inline void rv_dmar_log_ready(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	unsigned long long ts, last = 0;
	struct timespec now;
	char rec[8192];
	double wait;
	ssize_t n;

	if (fd < 0)
		return;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = '\0';
		if (strstr(rec, "DMAR: DRHD: handling fault") &&
		    sscanf(rec, "%*u,%*u,%llu", &ts) == 1)
			last = ts;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wait = last / 1e6 + 5.5 - (now.tv_sec + now.tv_nsec / 1e9);
	if (last && wait > 0)	/* the log's clock may drift from ours: bound it */
		usleep((wait < 6 ? wait : 6) * 1e6);
}

/* Waits up to 10 s for the eventfd; returns its count, 0 if it never fired. */
static inline uint64_t rv_eventfd_wait(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, 10000) != 1)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Polls the kernel log (opened with rv_kmsg_open_tail) for up to 10 s. */
static inline bool rv_kmsg_wait(int kfd, const char *a, const char *b)
{
	double end = rv_now() + 10;
	char rec[8192];
	ssize_t n;

	while (rv_now() < end) {
		n = read(kfd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)
				continue;
			usleep(10000);
			continue;
		}
		rec[n] = '\0';
		if (strstr(rec, a) && (!b || strstr(rec, b)))
			return true;
	}
	return false;
}

/* VmLck of this process in kB (what account_locked_vm charges). */
static inline long rv_vmlck_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Pages pinned with FOLL_PIN system-wide right now (acquired - released). */
static inline long rv_pinned_pages(void)
{
	char name[64];
	long v, acq = -1, rel = -1;
	FILE *f;

	/* Fold the per-CPU deltas so that the counters are exact. */
	rv_sysfs_write("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	return acq < 0 || rel < 0 ? -1 : acq - rel;
}

static inline int rv_map(int fd, uint64_t iova, void *va, uint64_t size, uint32_t flags)
{
	struct ringvm_vfio_dma_map m = {
		.iova = iova, .vaddr = (uintptr_t)va, .size = size, .flags = flags,
	};

	return ioctl(fd, RINGVM_VFIO_MAP_DMA, &m) ? -errno : 0;
}

static inline int rv_unmap(int fd, uint64_t iova, uint64_t size)
{
	struct ringvm_vfio_dma_unmap u = { .iova = iova, .size = size };

	return ioctl(fd, RINGVM_VFIO_UNMAP_DMA, &u) ? -errno : 0;
}

static inline int rv_set_irqs(int fd, uint32_t index, uint32_t count, const int32_t *fds)
{
	struct ringvm_vfio_irq_set s = {
		.index = index, .count = count, .fds = (uintptr_t)fds,
	};

	return ioctl(fd, RINGVM_VFIO_SET_IRQS, &s) ? -errno : 0;
}

static inline off_t rv_cfg(unsigned int off)
{
	return RINGVM_VFIO_REGION_OFFSET(RINGVM_VFIO_REGION_CONFIG) + off;
}

static inline uint16_t rv_cfg_read16(int fd, unsigned int off)
{
	uint16_t v = 0xffff;

	if (pread(fd, &v, 2, rv_cfg(off)) != 2)
		return 0xffff;
	return v;
}

static inline volatile uint8_t *rv_map_bar0(int fd)
{
	void *p = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       RINGVM_VFIO_REGION_OFFSET(0));

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The fixture every edu suite uses: module loaded, edu bound, its node
 * open, BAR0 mapped, edu's interrupt status clear.  Teardown undoes it
 * all in the reverse order, so each test leaves the module unloaded.
 */
#define EDU_FIXTURE(name)						\
FIXTURE(name) {								\
	char bdf[32];							\
	int fd;								\
	volatile uint8_t *bar;						\
};									\
FIXTURE_SETUP(name)							\
{									\
	self->fd = -1;							\
	self->bar = NULL;						\
	ASSERT_EQ(0, rv_find_pci(EDU_VENDOR, EDU_DEVICE, self->bdf)) {	\
		TH_LOG("no edu device (1234:11e8) in /sys/bus/pci");	\
	}								\
	ASSERT_EQ(0, rv_load_module("ringvm_vfio"));			\
	ASSERT_EQ(0, rv_pci_bind(self->bdf, RINGVM_VFIO_DRIVER_NAME));	\
	self->fd = rv_open_dev(self->bdf);				\
	ASSERT_LE(0, self->fd) {					\
		TH_LOG("open %s: %s", self->bdf, strerror(errno));	\
	}								\
	self->bar = rv_map_bar0(self->fd);				\
	ASSERT_NE(NULL, self->bar);					\
	edu_wr(self->bar, EDU_IRQ_ACK, 0xffffffff);			\
}									\
FIXTURE_TEARDOWN(name)							\
{									\
	if (self->bar)							\
		munmap((void *)self->bar, EDU_BAR_SIZE);		\
	if (self->fd >= 0)						\
		close(self->fd);					\
	EXPECT_EQ(0, rv_pci_unbind(self->bdf));				\
	EXPECT_EQ(0, rv_unload_module("ringvm_vfio"));			\
}

#endif /* RINGVM_VFIO_EDU_H */
