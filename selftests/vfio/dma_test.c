// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vfio DMA: edu's DMA lands in mapped memory and nowhere else, and
 * every malformed MAP_DMA / UNMAP_DMA is refused without changing anything.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/utsname.h>
#include <linux/fs.h>
#include <linux/loop.h>

#include "kselftest_harness.h"
#include "vfio_edu.h"

#define RW	(RINGVM_VFIO_DMA_READ | RINGVM_VFIO_DMA_WRITE)

static void *rv_buf(size_t size, int fill)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, size);
	return p;
}

EDU_FIXTURE(dma);

/* RAM -> edu -> RAM through the IOMMU: the bytes come back where mapped. */
TEST_F(dma, pattern_reaches_mapped_buffer)
{
	uint8_t *buf = rv_buf(4 * PAGE, 0);
	long pinned = rv_pinned_pages(), lck = rv_vmlck_kb();
	size_t i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < PAGE; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	ASSERT_EQ(0, rv_map(self->fd, 0x100000, buf, 4 * PAGE, RW));
	EXPECT_EQ(pinned + 4, rv_pinned_pages());
	EXPECT_EQ(lck + 16, rv_vmlck_kb());

	ASSERT_TRUE(edu_dma(self->bar, 0x100000, EDU_BUF, EDU_XFER, 0));
	ASSERT_TRUE(edu_dma(self->bar, EDU_BUF, 0x102000, EDU_XFER, EDU_CMD_TO_RAM));
	EXPECT_EQ(0, memcmp(buf, buf + 2 * PAGE, EDU_XFER));
	for (i = 0; i < PAGE; i++)
		if (buf[PAGE + i] || buf[3 * PAGE + i])
			break;
	EXPECT_EQ(PAGE, i);	/* the neighbours stayed untouched */

	EXPECT_EQ(0, rv_unmap(self->fd, 0x100000, 4 * PAGE));
	EXPECT_EQ(pinned, rv_pinned_pages());
	EXPECT_EQ(lck, rv_vmlck_kb());
}

/* A write to an IOVA nobody mapped is blocked and reported by the IOMMU. */
TEST_F(dma, unmapped_iova_faults)
{
	uint8_t *sentinel = rv_buf(PAGE, 0x5a), *src = rv_buf(PAGE, 0xc3);
	int kfd = rv_kmsg_open_tail();
	size_t i;

	ASSERT_NE(NULL, sentinel);
	ASSERT_NE(NULL, src);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, rv_map(self->fd, 0x200000, sentinel, PAGE, RW));
	ASSERT_EQ(0, rv_map(self->fd, 0x210000, src, PAGE, RINGVM_VFIO_DMA_READ));
	ASSERT_TRUE(edu_dma(self->bar, 0x210000, EDU_BUF, EDU_XFER, 0));
	rv_dmar_log_ready();
	ASSERT_TRUE(edu_dma(self->bar, EDU_BUF, 0x300000, EDU_XFER, EDU_CMD_TO_RAM));
	for (i = 0; i < PAGE && sentinel[i] == 0x5a; i++)
		;
	EXPECT_EQ(PAGE, i);
	EXPECT_TRUE(rv_kmsg_wait(kfd, "DMAR: [DMA Write", "fault addr 0x300000"));
	/* The host is unharmed: the device still works afterwards. */
	ASSERT_TRUE(edu_dma(self->bar, EDU_BUF, 0x200000, EDU_XFER, EDU_CMD_TO_RAM));
	EXPECT_EQ(0, memcmp(sentinel, src, EDU_XFER));
	close(kfd);
}

/* After UNMAP_DMA the IOVA is gone at once (the IOTLB was flushed). */
TEST_F(dma, unmapped_after_unmap_faults)
{
	uint8_t *buf = rv_buf(PAGE, 0x11), *src = rv_buf(PAGE, 0xee);
	int kfd = rv_kmsg_open_tail();
	size_t i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, rv_map(self->fd, 0x400000, buf, PAGE, RW));
	ASSERT_EQ(0, rv_map(self->fd, 0x500000, src, PAGE, RINGVM_VFIO_DMA_READ));
	ASSERT_TRUE(edu_dma(self->bar, 0x500000, EDU_BUF, EDU_XFER, 0));
	/* Prime the IOTLB with the translation, then take it away. */
	ASSERT_TRUE(edu_dma(self->bar, 0x400000, EDU_BUF + 0, 16, 0));
	ASSERT_TRUE(edu_dma(self->bar, 0x500000, EDU_BUF, EDU_XFER, 0));
	ASSERT_EQ(0, rv_unmap(self->fd, 0x400000, PAGE));
	rv_dmar_log_ready();
	ASSERT_TRUE(edu_dma(self->bar, EDU_BUF, 0x400000, EDU_XFER, EDU_CMD_TO_RAM));
	for (i = 0; i < PAGE && buf[i] == 0x11; i++)
		;
	EXPECT_EQ(PAGE, i);
	EXPECT_TRUE(rv_kmsg_wait(kfd, "DMAR: [DMA Write", "fault addr 0x400000"));
	close(kfd);
}

/* A read-only mapping stops device writes. */
TEST_F(dma, read_only_mapping_blocks_writes)
{
	uint8_t *buf = rv_buf(PAGE, 0x77), *src = rv_buf(PAGE, 0x88);
	int kfd = rv_kmsg_open_tail();
	size_t i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, rv_map(self->fd, 0x600000, buf, PAGE, RINGVM_VFIO_DMA_READ));
	ASSERT_EQ(0, rv_map(self->fd, 0x610000, src, PAGE, RINGVM_VFIO_DMA_READ));
	ASSERT_TRUE(edu_dma(self->bar, 0x610000, EDU_BUF, EDU_XFER, 0));
	rv_dmar_log_ready();
	ASSERT_TRUE(edu_dma(self->bar, EDU_BUF, 0x600000, EDU_XFER, EDU_CMD_TO_RAM));
	for (i = 0; i < PAGE && buf[i] == 0x77; i++)
		;
	EXPECT_EQ(PAGE, i);
	EXPECT_TRUE(rv_kmsg_wait(kfd, "DMAR: [DMA Write", "fault addr 0x600000"));
	close(kfd);
}

/* Every malformed request: an error, and the pin/lock counts do not move. */
TEST_F(dma, bad_maps_change_nothing)
{
	uint8_t *buf = rv_buf(8 * PAGE, 0);
	long pinned, lck;
	struct ringvm_vfio_dma_map m;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, rv_map(self->fd, 0x100000, buf, 2 * PAGE, RW));
	pinned = rv_pinned_pages();
	lck = rv_vmlck_kb();

	EXPECT_EQ(-EINVAL, rv_map(self->fd, 0x800000, buf, 0, RW));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, 0x800001, buf, PAGE, RW));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, 0x800000, buf + 8, PAGE, RW));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, 0x800000, buf, PAGE + 1, RW));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, 0x800000, buf, PAGE, 0));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, 0x800000, buf, PAGE, 0x80));
	/* iova + size wraps past 2^64 */
	EXPECT_EQ(-EINVAL, rv_map(self->fd, -PAGE, buf, 2 * PAGE, RW));
	/* beyond what the IOMMU translates */
	EXPECT_EQ(-ERANGE, rv_map(self->fd, 1ULL << 60, buf, PAGE, RW));
	/* overlapping the existing mapping, from either side or inside */
	EXPECT_EQ(-EEXIST, rv_map(self->fd, 0x100000, buf + 4 * PAGE, PAGE, RW));
	EXPECT_EQ(-EEXIST, rv_map(self->fd, 0x0ff000, buf + 4 * PAGE, 2 * PAGE, RW));
	EXPECT_EQ(-EEXIST, rv_map(self->fd, 0x101000, buf + 4 * PAGE, 4 * PAGE, RW));
	/* memory the caller does not have */
	EXPECT_EQ(-EFAULT, rv_map(self->fd, 0x800000, (void *)PAGE, PAGE, RW));
	memset(&m, 0, sizeof(m));
	m.iova = 0x800000;
	m.vaddr = (uintptr_t)buf;
	m.size = PAGE;
	m.flags = RW;
	m.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, RINGVM_VFIO_MAP_DMA, &m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, RINGVM_VFIO_MAP_DMA, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* unmaps: unaligned, straddling, nothing there */
	EXPECT_EQ(-EINVAL, rv_unmap(self->fd, 0x100800, PAGE));
	EXPECT_EQ(-EINVAL, rv_unmap(self->fd, 0x100000, PAGE));
	EXPECT_EQ(-EINVAL, rv_unmap(self->fd, 0x100000, 0));
	EXPECT_EQ(-ENOENT, rv_unmap(self->fd, 0x900000, PAGE));

	EXPECT_EQ(pinned, rv_pinned_pages());
	EXPECT_EQ(lck, rv_vmlck_kb());
	/* The good mapping is intact: it unmaps exactly once. */
	EXPECT_EQ(0, rv_unmap(self->fd, 0x0f0000, 0x20000));
	EXPECT_EQ(-ENOENT, rv_unmap(self->fd, 0x100000, 2 * PAGE));
	EXPECT_EQ(pinned - 2, rv_pinned_pages());
}

/* The first "msi" line of the group's reserved_regions: "0x<start> 0x<end> msi". */
static int msi_window(const char *bdf, uint64_t *start, uint64_t *end)
{
	char path[160], type[32];
	unsigned long long s, e;
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/reserved_regions", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (found && fscanf(f, "%llx %llx %31s", &s, &e, type) == 3)
		if (!strcmp(type, "msi")) {
			*start = s;
			*end = e;
			found = 0;
		}
	fclose(f);
	return found;
}

/* IOVAs the IOMMU reserves for itself (here the MSI window) cannot be mapped. */
TEST_F(dma, reserved_iova_is_refused)
{
	uint8_t *buf = rv_buf(2 * PAGE, 0);
	uint64_t start, end;
	long pinned = rv_pinned_pages();

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, msi_window(self->bdf, &start, &end));
	EXPECT_EQ(0xfee00000ull, start);	/* Intel's interrupt-remapping window */
	EXPECT_EQ(-EINVAL, rv_map(self->fd, start, buf, PAGE, RW));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, end + 1 - PAGE, buf, PAGE, RW));
	/* straddling either edge */
	EXPECT_EQ(-EINVAL, rv_map(self->fd, start - PAGE, buf, 2 * PAGE, RW));
	EXPECT_EQ(-EINVAL, rv_map(self->fd, end + 1 - PAGE, buf, 2 * PAGE, RW));
	EXPECT_EQ(pinned, rv_pinned_pages());
	/* Right next to it is ordinary IOVA space. */
	EXPECT_EQ(0, rv_map(self->fd, start - PAGE, buf, PAGE, RW));
	EXPECT_EQ(0, rv_map(self->fd, end + 1, buf + PAGE, PAGE, RW));
	EXPECT_EQ(0, rv_unmap(self->fd, start - PAGE, PAGE));
	EXPECT_EQ(0, rv_unmap(self->fd, end + 1, PAGE));
	EXPECT_EQ(pinned, rv_pinned_pages());
}

/* Drop CAP_IPC_LOCK from the effective set so RLIMIT_MEMLOCK applies to root. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

TEST_F(dma, rlimit_memlock_is_enforced)
{
	uint8_t *buf = rv_buf(32 * PAGE, 0);
	struct rlimit rl;
	long pinned, lck;

	ASSERT_NE(NULL, buf);
	lck = rv_vmlck_kb();
	ASSERT_LE(0, lck);
	rl.rlim_cur = rl.rlim_max = (lck + 64) * 1024;	/* room for 16 pages */
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, drop_ipc_lock());
	pinned = rv_pinned_pages();

	ASSERT_EQ(0, rv_map(self->fd, 0x100000, buf, 12 * PAGE, RW));
	EXPECT_EQ(-ENOMEM, rv_map(self->fd, 0x200000, buf + 12 * PAGE, 8 * PAGE, RW));
	EXPECT_EQ(lck + 48, rv_vmlck_kb());
	EXPECT_EQ(pinned + 12, rv_pinned_pages());
	EXPECT_EQ(0, rv_map(self->fd, 0x200000, buf + 12 * PAGE, 4 * PAGE, RW));
	EXPECT_EQ(0, rv_unmap(self->fd, 0, 1ULL << 30));
	EXPECT_EQ(lck, rv_vmlck_kb());
	EXPECT_EQ(pinned, rv_pinned_pages());
}

/* Only the process that opened the device pays for, and may make, mappings. */
TEST_F(dma, map_from_another_mm_is_refused)
{
	uint8_t *buf = rv_buf(PAGE, 0);
	int status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(rv_map(self->fd, 0x100000, buf, PAGE, RW) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-ENOENT, rv_unmap(self->fd, 0x100000, PAGE));
}

/*
 * mmap takes mmap_lock and then (before the fix) the device lock; MAP_DMA
 * took the device lock and then mmap_lock to charge locked_vm and pin.
 * Two threads of one mm doing each in a loop deadlocked both for good.
 * The loops are bounded by count (about 10 s in the TCG host); the main
 * thread reports which one stopped moving if they do not finish.
 */
#define MMAP_LOOPS	20000
#define DMA_LOOPS	3000

struct lock_race {
	int fd;
	uint8_t *buf;
	atomic_int mmaps, dmas;
	atomic_int errors;
};

static void *mmap_loop(void *arg)
{
	struct lock_race *lr = arg;
	int i;

	for (i = 0; i < MMAP_LOOPS; i++) {
		volatile uint8_t *bar = rv_map_bar0(lr->fd);

		if (!bar || (edu_rd(bar, EDU_ID) & 0xff) != 0xed)
			atomic_fetch_add(&lr->errors, 1);
		if (bar)
			munmap((void *)bar, EDU_BAR_SIZE);
		atomic_fetch_add(&lr->mmaps, 1);
	}
	return NULL;
}

static void *dma_loop(void *arg)
{
	struct lock_race *lr = arg;
	int i;

	for (i = 0; i < DMA_LOOPS; i++) {
		if (rv_map(lr->fd, 0x100000, lr->buf, 32 * PAGE, RW) ||
		    rv_unmap(lr->fd, 0x100000, 32 * PAGE))
			atomic_fetch_add(&lr->errors, 1);
		atomic_fetch_add(&lr->dmas, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(dma, mmap_and_map_dma_race, 300)
{
	struct lock_race lr = { .fd = self->fd, .buf = rv_buf(32 * PAGE, 1) };
	long pinned = rv_pinned_pages(), lck = rv_vmlck_kb();
	int m = -1, d = -1, still = 0;
	double start = rv_now();
	pthread_t tm, td;

	ASSERT_NE(NULL, lr.buf);
	ASSERT_EQ(0, pthread_create(&tm, NULL, mmap_loop, &lr));
	ASSERT_EQ(0, pthread_create(&td, NULL, dma_loop, &lr));
	/* Progress, not time, decides: 30 s with neither loop moving is a deadlock. */
	while (atomic_load(&lr.mmaps) < MMAP_LOOPS || atomic_load(&lr.dmas) < DMA_LOOPS) {
		sleep(1);
		if (m == atomic_load(&lr.mmaps) && d == atomic_load(&lr.dmas)) {
			if (++still == 30)
				break;
		} else {
			still = 0;
		}
		m = atomic_load(&lr.mmaps);
		d = atomic_load(&lr.dmas);
	}
	ASSERT_GT(30, still) {
		TH_LOG("deadlock: mmap loop stuck at %d/%d, MAP_DMA loop at %d/%d",
		       m, MMAP_LOOPS, d, DMA_LOOPS);
	}
	pthread_join(tm, NULL);
	pthread_join(td, NULL);
	TH_LOG("%d mmaps and %d MAP_DMA/UNMAP_DMA in %.1f s", MMAP_LOOPS, DMA_LOOPS,
	       rv_now() - start);
	EXPECT_EQ(0, atomic_load(&lr.errors));
	EXPECT_EQ(pinned, rv_pinned_pages());
	EXPECT_EQ(lck, rv_vmlck_kb());
}

/* A loop device over a zero-filled tmpfs file: a block device with writeback. */
static int loop_over(int file)
{
	char path[64];
	int ctl, n, fd;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/loop%d", n);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, LOOP_SET_FD, file)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* 6.5 and later refuse FOLL_LONGTERM writable pins of dirty-tracked file pages. */
static bool kernel_refuses_file_longterm_pins(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return false;
	return maj > 6 || (maj == 6 && min >= 5);
}

/*
 * Pages the device wrote must be unpinned dirty, or writeback never sees
 * the device's bytes.  The mapping here is a block device's page cache
 * (shared mapping of a loop device): the pin dirties the pages, fsync
 * cleans them while pinned, edu writes into them, UNMAP_DMA unpins.  Then
 * munmap, fsync and a cache flush: the backing file and a fresh read of
 * the device hold what edu wrote only if the unpin marked the pages dirty.
 */
TEST_F(dma, device_writes_are_unpinned_dirty)
{
	uint8_t *src = rv_buf(PAGE, 0), *back = rv_buf(PAGE, 0xff), *p;
	int file, loop, r;
	size_t i;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, rv_load_host_module("loop"));
	file = open("/tmp/dirty.img", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, file);
	ASSERT_EQ(0, ftruncate(file, 64 * PAGE));
	loop = loop_over(file);
	ASSERT_LE(0, loop);
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, loop, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 4 * PAGE; i += PAGE)
		ASSERT_EQ(0, p[i]);		/* read in: clean page cache */
	for (i = 0; i < PAGE; i++)
		src[i] = (uint8_t)(i * 13 + 5);

	r = rv_map(self->fd, 0x100000, p, 4 * PAGE, RW);
	if (kernel_refuses_file_longterm_pins()) {
		/* Nothing to unpin clean on these kernels: the pin itself is refused. */
		EXPECT_EQ(-EFAULT, r);
		goto out;
	}
	ASSERT_EQ(0, r);
	ASSERT_EQ(0, fsync(loop));		/* the pin's dirtying written back */
	ASSERT_EQ(0, rv_map(self->fd, 0x200000, src, PAGE, RINGVM_VFIO_DMA_READ));
	ASSERT_TRUE(edu_dma(self->bar, 0x200000, EDU_BUF, EDU_XFER, 0));
	ASSERT_TRUE(edu_dma(self->bar, EDU_BUF, 0x101000, EDU_XFER, EDU_CMD_TO_RAM));
	ASSERT_EQ(0, rv_unmap(self->fd, 0x100000, 4 * PAGE));
	EXPECT_EQ(0, memcmp(p + PAGE, src, EDU_XFER));	/* landed in the page cache */
	ASSERT_EQ(0, munmap(p, 4 * PAGE));
	p = NULL;
	ASSERT_EQ(0, fsync(loop));
	/* What reached the disk... */
	ASSERT_EQ(PAGE, pread(file, back, PAGE, PAGE));
	EXPECT_EQ(0, memcmp(back, src, EDU_XFER)) {
		TH_LOG("the device's write never reached the backing file (byte 0: %#x)",
		       back[0]);
	}
	/* ...and what a read sees once the cache is gone. */
	ASSERT_EQ(0, ioctl(loop, BLKFLSBUF, 0));
	memset(back, 0xff, PAGE);
	ASSERT_EQ(PAGE, pread(loop, back, PAGE, PAGE));
	EXPECT_EQ(0, memcmp(back, src, EDU_XFER));
	rv_unmap(self->fd, 0x200000, PAGE);
out:
	if (p)
		munmap(p, 4 * PAGE);
	ioctl(loop, LOOP_CLR_FD);
	close(loop);
	close(file);
	unlink("/tmp/dirty.img");
}

TEST_HARNESS_MAIN
