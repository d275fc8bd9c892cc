// SPDX-License-Identifier: GPL-2.0
/*
 * The worker runs as its owner, not as root in the root cgroup: it sits in
 * the owner's cgroup (a cgroup2 group with a CPU limit), and its writes are
 * judged with the owner's credentials (an owner without CAP_FSETID has the
 * setuid bit of the image cleared by a guest write, as its own write(2)
 * would; a root kthread would keep it).
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

#define CG	"/sys/fs/cgroup"
#define CG_OWN	CG "/rvowner"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		r = -errno;
	close(fd);
	return r;
}

static int read_str(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = read(fd, buf, n - 1);
	close(fd);
	if (got < 0)
		return -errno;
	buf[got] = 0;
	return 0;
}

static int move_self(const char *cgroup)
{
	char path[128], pid[16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_str(path, pid);
}

FIXTURE(owner) {
	struct rvd_dev d;
	struct rvb_req req;
	int file;
};

FIXTURE_SETUP(owner)
{
	self->file = -1;
	self->d.fd = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
}

FIXTURE_TEARDOWN(owner)
{
	rvd_close(&self->d);
	if (self->file >= 0)
		close(self->file);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

TEST_F(owner, worker_is_in_the_owners_cgroup)
{
	char path[96], mine[256], its[256];
	pid_t w;

	/* The test host boots with no cgroup file system mounted. */
	if (access(CG "/cgroup.procs", F_OK))
		ASSERT_EQ(0, mount("cgroup2", CG, "cgroup2", 0, NULL));
	ASSERT_TRUE(mkdir(CG_OWN, 0755) == 0 || errno == EEXIST);
	ASSERT_EQ(0, write_str(CG "/cgroup.subtree_control", "+cpu"));
	/*
	 * A CPU limit (Debian's kernels have CFS bandwidth control); where the
	 * kernel was built without it (the debug kernel of make check-debug),
	 * a CPU weight: the worker's membership is what is judged either way.
	 */
	if (access(CG_OWN "/cpu.max", F_OK) == 0) {
		ASSERT_EQ(0, write_str(CG_OWN "/cpu.max", "50000 100000"));
	} else {
		ASSERT_EQ(0, write_str(CG_OWN "/cpu.weight", "10"));
	}
	ASSERT_EQ(0, move_self(CG_OWN));

	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES,
			      1, 64, 1 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	w = rvd_find_worker(getpid());
	ASSERT_LT(0, w) {
		TH_LOG("no single worker task for owner %d", getpid());
	}
	ASSERT_EQ(0, read_str("/proc/self/cgroup", mine, sizeof(mine)));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", w);
	ASSERT_EQ(0, read_str(path, its, sizeof(its)));
	EXPECT_STREQ("0::/rvowner\n", mine);
	EXPECT_STREQ(mine, its);

	/* And it works from there. */
	self->file = rvb_backing_file();
	ASSERT_LE(0, self->file);
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->file));
	ASSERT_EQ(0, rvb_req_alloc(&self->d, &self->req, 512));
	EXPECT_EQ(0, rvb_get_id_sync(&self->d, &self->d.vq[0], &self->req));
	rvd_close(&self->d);
	EXPECT_EQ(0, move_self(CG));
	rmdir(CG_OWN);	/* best effort: an exiting kthread may still count */
}

/* Drops @cap from this thread's effective set. */
static int drop_effective(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

TEST_F(owner, worker_writes_with_the_owners_credentials)
{
	struct rvd_vq *q;
	struct stat sb;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/rvsuid-%d", getpid());
	self->file = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 04755);
	ASSERT_LE(0, self->file);
	unlink(path);
	ASSERT_EQ(0, ftruncate(self->file, 1 << 20));
	ASSERT_EQ(0, fstat(self->file, &sb));
	ASSERT_TRUE(sb.st_mode & S_ISUID);

	/* The owner may not keep a setuid bit across a write; root may. */
	ASSERT_EQ(0, drop_effective(CAP_FSETID));
	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES,
			      1, 64, 1 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->file));
	ASSERT_EQ(0, rvb_req_alloc(&self->d, &self->req, 512));
	q = &self->d.vq[0];
	memset(self->req.data, 0x3c, 512);
	rvb_queue(&self->d, q, &self->req, RVB_T_OUT, 0, 512);
	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	ASSERT_EQ(0, rvd_wait_used(q, ++q->used_seen));
	ASSERT_EQ(RVB_S_OK, *self->req.status);
	ASSERT_EQ(0, fstat(self->file, &sb));
	EXPECT_FALSE(sb.st_mode & S_ISUID) {
		TH_LOG("the worker wrote with CAP_FSETID the owner does not have");
	}
}

TEST_HARNESS_MAIN
