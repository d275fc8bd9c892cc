// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vhost ABI error cases: ownership, memory table validation,
 * features, device type, vring arguments, backends, and the lifetime rules
 * (unload refused while a device is open, owner exit releases everything).
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

FIXTURE(abi) {
	int fd;
	struct rvd_mem mem;
};

FIXTURE_SETUP(abi)
{
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	self->fd = open(RVD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rvd_mem_init(&self->mem, 1 << 20));
}

FIXTURE_TEARDOWN(abi)
{
	if (self->fd >= 0)
		close(self->fd);
	munmap(self->mem.base, self->mem.size);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

static int owned_blk(int fd)
{
	uint32_t type = RINGVM_VHOST_DEV_BLK;

	if (ioctl(fd, RINGVM_VHOST_SET_OWNER))
		return -errno;
	return ioctl(fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type) ? -errno : 0;
}

#define EXPECT_ERRNO(err, call) do {		\
	errno = 0;				\
	EXPECT_EQ(-1, (call));			\
	EXPECT_EQ((err), errno);		\
} while (0)

TEST_F(abi, everything_needs_an_owner)
{
	struct ringvm_vhost_vring_stats st = { 0 };
	uint64_t f;
	uint32_t type = RINGVM_VHOST_DEV_BLK;

	EXPECT_ERRNO(EPERM, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	EXPECT_ERRNO(EPERM, ioctl(self->fd, RINGVM_VHOST_GET_FEATURES, &f));
	EXPECT_ERRNO(EPERM, ioctl(self->fd, RINGVM_VHOST_GET_VRING_STATS, &st));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	EXPECT_ERRNO(EBUSY, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_GET_FEATURES, &f));
}

/* A child shares the fd, not the owner's mm: it may neither own nor use it. */
TEST_F(abi, second_process_is_refused)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, owned_blk(self->fd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ringvm_vhost_vring_stats st = { 0 };
		struct ringvm_vhost_vring_state s = { .index = 0, .num = 8 };
		uint64_t f = RVD_BASE_FEATURES;
		int fails = 0;

		if (!(ioctl(self->fd, RINGVM_VHOST_SET_OWNER) == -1 && errno == EBUSY))
			fails |= 1;
		if (!(rvd_set_mem_one(self->fd, &self->mem) == -EPERM))
			fails |= 2;
		if (!(ioctl(self->fd, RINGVM_VHOST_SET_FEATURES, &f) == -1 && errno == EPERM))
			fails |= 4;
		if (!(ioctl(self->fd, RINGVM_VHOST_SET_VRING_NUM, &s) == -1 && errno == EPERM))
			fails |= 8;
		if (!(ioctl(self->fd, RINGVM_VHOST_GET_VRING_STATS, &st) == -1 && errno == EPERM))
			fails |= 16;
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The owner still can. */
	EXPECT_EQ(0, rvd_set_mem_one(self->fd, &self->mem));
}

static int set_regions(int fd, const struct ringvm_vhost_mem_region *r,
		       unsigned int n, uint32_t padding)
{
	struct ringvm_vhost_memory *m;
	int ret;

	m = calloc(1, sizeof(*m) + n * sizeof(*r));
	if (!m)
		return -ENOMEM;
	m->nregions = n;
	m->padding = padding;
	memcpy(m->regions, r, n * sizeof(*r));
	ret = ioctl(fd, RINGVM_VHOST_SET_MEM_TABLE, m) ? -errno : 0;
	free(m);
	return ret;
}

TEST_F(abi, mem_table_validation)
{
	uint64_t hva = (uintptr_t)self->mem.base;
	struct ringvm_vhost_mem_region r[2] = {
		{ 0x100000, 0x80000, hva, 0 },
		{ 0x200000, 0x80000, hva + 0x80000, 0 },
	};
	struct ringvm_vhost_mem_region many[RINGVM_VHOST_MAX_REGIONS + 1];
	unsigned int i;

	ASSERT_EQ(0, owned_blk(self->fd));
	EXPECT_EQ(0, set_regions(self->fd, r, 2, 0));

	/* GPA overlap, in either order and fully contained */
	r[1].guest_phys_addr = 0x17ffff;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	r[1].guest_phys_addr = 0x0c0000;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	r[1].guest_phys_addr = 0x100000;
	r[1].memory_size = 0x1000;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	/* adjacent is fine */
	r[1].guest_phys_addr = 0x180000;
	r[1].memory_size = 0x80000;
	EXPECT_EQ(0, set_regions(self->fd, r, 2, 0));

	/* GPA wrap */
	r[1].guest_phys_addr = ~0ULL - 0xfff;
	r[1].memory_size = 0x2000;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	/* HVA wrap */
	r[1].guest_phys_addr = 0x400000;
	r[1].userspace_addr = ~0ULL - 0xfff;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	/* kernel addresses, and user memory running into the kernel's */
	r[1].userspace_addr = 0xffff888000000000ULL;
	r[1].memory_size = 0x1000;
	EXPECT_EQ(-EFAULT, set_regions(self->fd, r, 2, 0));
	/* crosses the top of user space with 4- and 5-level paging alike */
	r[1].userspace_addr = 0x00fffffffffff000ULL;
	r[1].memory_size = 0x2000;
	EXPECT_EQ(-EFAULT, set_regions(self->fd, r, 2, 0));
	/* empty region, flags, padding */
	r[1].userspace_addr = hva + 0x80000;
	r[1].memory_size = 0;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	r[1].memory_size = 0x80000;
	r[1].flags = 1;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 0));
	r[1].flags = 0;
	EXPECT_EQ(-EINVAL, set_regions(self->fd, r, 2, 7));
	/* too many regions */
	for (i = 0; i <= RINGVM_VHOST_MAX_REGIONS; i++)
		many[i] = (struct ringvm_vhost_mem_region){
			(uint64_t)i << 20, 0x1000, hva, 0 };
	EXPECT_EQ(0, set_regions(self->fd, many, RINGVM_VHOST_MAX_REGIONS, 0));
	EXPECT_EQ(-E2BIG, set_regions(self->fd, many, RINGVM_VHOST_MAX_REGIONS + 1, 0));
	/* unreadable argument */
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, RINGVM_VHOST_SET_MEM_TABLE, (void *)8));
}

TEST_F(abi, device_type_and_features)
{
	uint64_t f, want;
	uint32_t type = 7;
	int net = open(RVD_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, net);
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	want = RVD_F(RINGVM_VHOST_F_VERSION_1) | RVD_F(RINGVM_VHOST_F_EVENT_IDX) |
	       RVD_F(RINGVM_VHOST_F_INDIRECT_DESC);
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_GET_FEATURES, &f));
	EXPECT_EQ(want, f);
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	type = RINGVM_VHOST_DEV_BLK;
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	EXPECT_ERRNO(EBUSY, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_GET_FEATURES, &f));
	EXPECT_EQ(want | RVD_F(RINGVM_VHOST_F_BLK_FLUSH), f);
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_FEATURES, &f));
	f |= RVD_F(5);
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, RINGVM_VHOST_SET_FEATURES, &f));

	/* net offers no flush */
	type = RINGVM_VHOST_DEV_NET;
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_SET_OWNER));
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_GET_FEATURES, &f));
	EXPECT_EQ(want, f);
	f = RVD_F(RINGVM_VHOST_F_BLK_FLUSH);
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(net, RINGVM_VHOST_SET_FEATURES, &f));
	close(net);
}

/* A disk's serial: blk only, after SET_DEVICE_TYPE, from the owner only. */
TEST_F(abi, blk_id_needs_a_blk_device)
{
	struct ringvm_vhost_blk_id id = { .id = "disk-7" };
	uint32_t type = RINGVM_VHOST_DEV_NET;
	int net = open(RVD_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, net);
	EXPECT_ERRNO(EPERM, ioctl(self->fd, RINGVM_VHOST_SET_BLK_ID, &id));
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_BLK_ID, &id));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, RINGVM_VHOST_SET_BLK_ID, NULL));
	type = RINGVM_VHOST_DEV_BLK;
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_BLK_ID, &id));

	type = RINGVM_VHOST_DEV_NET;
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_SET_OWNER));
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	EXPECT_ERRNO(EINVAL, ioctl(net, RINGVM_VHOST_SET_BLK_ID, &id));
	close(net);
}

TEST_F(abi, vring_arguments)
{
	struct ringvm_vhost_vring_state s = { .index = 0, .num = 256 };
	struct ringvm_vhost_vring_addr a = { .index = 0, .desc_gpa = 0x1000,
					     .avail_gpa = 0x2000, .used_gpa = 0x3000 };
	struct ringvm_vhost_vring_file vf = { .index = 0 };
	const uint32_t bad_num[] = { 0, 3, 100, 2048, 1u << 31 };
	uint32_t type = RINGVM_VHOST_DEV_BLK;
	int efd = eventfd(0, EFD_CLOEXEC), pipefd[2];
	unsigned int i;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pipefd));
	/* before the device type there are no queues */
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_NUM, &s));
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_NUM, &s));
	for (i = 0; i < sizeof(bad_num) / sizeof(bad_num[0]); i++) {
		s.num = bad_num[i];
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_NUM, &s));
	}
	s.index = RINGVM_VHOST_MAX_QUEUES;
	s.num = 64;
	EXPECT_ERRNO(ENOBUFS, ioctl(self->fd, RINGVM_VHOST_SET_VRING_NUM, &s));

	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ADDR, &a));
	a.desc_gpa = 0x1008;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ADDR, &a));
	a.desc_gpa = 0x1000;
	a.avail_gpa = 0x2001;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ADDR, &a));
	a.avail_gpa = 0x2000;
	a.used_gpa = 0x3002;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ADDR, &a));
	a.used_gpa = 0x3000;
	a.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ADDR, &a));

	s.index = 1;
	s.num = 0x1234;
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_BASE, &s));
	s.num = 0;
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_GET_VRING_BASE, &s));
	EXPECT_EQ(0x1234, s.num);
	s.num = 0x10000;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_BASE, &s));

	vf.fd = efd;
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_KICK, &vf));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_CALL, &vf));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ERR, &vf));
	vf.fd = -1;
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_KICK, &vf));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_VRING_CALL, &vf));
	vf.fd = pipefd[0];
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_KICK, &vf));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_VRING_CALL, &vf));
	vf.fd = 9999;
	EXPECT_ERRNO(EBADF, ioctl(self->fd, RINGVM_VHOST_SET_VRING_KICK, &vf));
	EXPECT_ERRNO(EBADF, ioctl(self->fd, RINGVM_VHOST_SET_VRING_ERR, &vf));
	vf.index = 99;
	vf.fd = efd;
	EXPECT_ERRNO(ENOBUFS, ioctl(self->fd, RINGVM_VHOST_SET_VRING_CALL, &vf));
	close(efd);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(abi, backend_kinds)
{
	struct ringvm_vhost_backend b = { .fd = -1 };
	int pipefd[2], file = rvb_backing_file(), sock;
	int net = open(RVD_DEVICE, O_RDWR | O_CLOEXEC);
	uint32_t type = RINGVM_VHOST_DEV_NET;

	ASSERT_LE(0, file);
	ASSERT_LE(0, net);
	ASSERT_EQ(0, pipe(pipefd));
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	/* no device type yet */
	b.fd = file;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	type = RINGVM_VHOST_DEV_BLK;
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = pipefd[0];
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = sock;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = 9999;
	EXPECT_ERRNO(EBADF, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = file;
	b.padding = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	b.padding = 0;
	b.fd = -1;
	EXPECT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));

	/* net wants a tap: a file, a pipe or a plain socket is not one */
	type = RINGVM_VHOST_DEV_NET;
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_SET_OWNER));
	ASSERT_EQ(0, ioctl(net, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	b.fd = file;
	EXPECT_ERRNO(ENOTSOCK, ioctl(net, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = pipefd[1];
	EXPECT_ERRNO(ENOTSOCK, ioctl(net, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = sock;
	EXPECT_ERRNO(ENOTSOCK, ioctl(net, RINGVM_VHOST_SET_BACKEND, &b));
	close(net);
	close(file);
	close(sock);
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * A pty has read_iter, write_iter and poll, but its poll waits on two
 * queues: it must be refused, and a write to its other end (which would
 * walk a corrupted wait list if the worker had listened) must be harmless.
 */
/* A pty pair; the test host's initramfs has no devpts until we mount one. */
static int open_pty(int *slave)
{
	int master;

	if (access("/dev/pts/ptmx", F_OK)) {
		mkdir("/dev/pts", 0755);
		if (mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666"))
			return -errno;
	}
	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	if (unlockpt(master)) {
		close(master);
		return -errno;
	}
	*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		close(master);
		return -errno;
	}
	return master;
}

TEST_F(abi, net_backend_pty_is_refused)
{
	struct ringvm_vhost_backend b = { .fd = -1 };
	uint32_t type = RINGVM_VHOST_DEV_NET;
	int master, slave = -1;
	char buf[16];

	master = open_pty(&slave);
	ASSERT_LE(0, master) {
		TH_LOG("no pty: %s", strerror(-master));
	}
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_OWNER));
	ASSERT_EQ(0, ioctl(self->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type));
	b.fd = master;
	EXPECT_ERRNO(ENOTSOCK, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	b.fd = slave;
	EXPECT_ERRNO(ENOTSOCK, ioctl(self->fd, RINGVM_VHOST_SET_BACKEND, &b));
	/* The trigger of the old oops: data arriving on the pty. */
	EXPECT_EQ(5, write(slave, "ping\n", 5));
	EXPECT_LT(0, read(master, buf, sizeof(buf)));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(5, write(slave, "pong\n", 5));
	close(slave);
	close(master);
}

/* An open, running device pins the module; closing it lets unload through. */
TEST_F(abi, unload_refused_while_device_open)
{
	struct rvd_dev d;
	int file = rvb_backing_file();

	ASSERT_LE(0, file);
	ASSERT_EQ(0, rvd_open(&d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES, 2, 64,
			      1 << 20)) {
		TH_LOG("device setup failed at %s", d.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&d, file));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(-EWOULDBLOCK, rv_unload_module("ringvm_vhost"));
	rvd_close(&d);
	close(file);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
	EXPECT_EQ(0, rv_load_module("ringvm_vhost"));
}

/* A /proc/meminfo field, in kB; -1 when missing. */
static long meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	size_t n = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

#define OWNER_MEM	(64 << 20)

/*
 * An owner that exits with a busy device (requests in flight, backend,
 * eventfds, 64 MiB of guest memory in use) leaves nothing behind: once it
 * is reaped its worker is gone, the anonymous memory of its guest is free
 * again (the device's reference on the owner's mm is dropped), and the
 * module unloads.
 */
TEST_F(abi, owner_exit_releases_everything)
{
	int status, ready[2], go[2];
	long before, during, after;
	pid_t pid, w;
	char c;

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	before = meminfo_kb("AnonPages");
	ASSERT_LT(0, before);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rvd_dev d;
		struct rvb_req r;
		int file = rvb_backing_file(), i;

		if (file < 0 ||
		    rvd_open(&d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES, 2, 64,
			     OWNER_MEM) ||
		    rvd_set_backend(&d, file) ||
		    rvb_req_alloc(&d, &r, 512) ||
		    rvb_get_id_sync(&d, &d.vq[0], &r))
			_exit(1);
		/* Guest RAM the guest has touched, past the rings and buffers. */
		memset(d.mem.base + d.mem.brk, 0x5a, d.mem.size - d.mem.brk);
		for (i = 0; i < 20; i++)
			rvb_queue(&d, &d.vq[1], &r, RVB_T_IN, 0, 512);
		rvd_publish(&d.vq[1]);
		rvd_kick(&d.vq[1]);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);	/* no close, no teardown */
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) {
		TH_LOG("the owner failed to set its device up");
	}
	during = meminfo_kb("AnonPages");
	w = rvd_find_worker(pid);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	after = meminfo_kb("AnonPages");
	/* The test itself is valid: the owner had its worker and its memory. */
	EXPECT_LT(0, w);
	EXPECT_LE(before + (OWNER_MEM >> 10) * 3 / 4, during);
	/* And both are gone with it. */
	EXPECT_EQ(0, rvd_find_worker(pid));
	EXPECT_GT(before + (OWNER_MEM >> 10) / 4, after) {
		TH_LOG("AnonPages %ld kB before, %ld with the owner, %ld after it",
		       before, during, after);
	}
	close(ready[0]);
	close(go[1]);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
	EXPECT_EQ(0, rv_load_module("ringvm_vhost"));
}

/* Sends @n fds over the socket @s. */
static int send_fds(int s, const int *fds, int n)
{
	char c = 'f', ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(s, &m, 0) == 1 ? 0 : -errno;
}

static int recv_fds(int s, int *fds, int n)
{
	char c, ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;

	if (recvmsg(s, &m, 0) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

/*
 * The owner dies while another process holds the device and its kick
 * eventfd: kicks after its death (whose worker, a thread of the dead
 * process where vhost_task is used, may already be reaped) are harmless,
 * and the last close releases the device.
 */
TEST_F(abi, kicks_after_the_owner_died)
{
	int sv[2], fds[2], status, i;
	uint64_t one = 1;
	pid_t pid;

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rvd_dev d;
		struct rvb_req r;
		int file = rvb_backing_file();

		if (file < 0 ||
		    rvd_open(&d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES, 1, 64,
			     1 << 20) ||
		    rvd_set_backend(&d, file) ||
		    rvb_req_alloc(&d, &r, 512) ||
		    rvb_get_id_sync(&d, &d.vq[0], &r))
			_exit(1);
		fds[0] = d.fd;
		fds[1] = d.vq[0].kick;
		if (send_fds(sv[1], fds, 2))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, recv_fds(sv[0], fds, 2));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The device outlives its owner here; its worker may not. */
	EXPECT_EQ(-EWOULDBLOCK, rv_unload_module("ringvm_vhost"));
	for (i = 0; i < 100; i++)
		EXPECT_EQ(8, write(fds[1], &one, 8));
	EXPECT_EQ(-1, ioctl(fds[0], RINGVM_VHOST_SET_OWNER));
	EXPECT_EQ(EBUSY, errno);
	close(fds[0]);
	for (i = 0; i < 100; i++)
		EXPECT_EQ(8, write(fds[1], &one, 8));
	close(fds[1]);
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
	EXPECT_EQ(0, rv_load_module("ringvm_vhost"));
}

TEST_HARNESS_MAIN
