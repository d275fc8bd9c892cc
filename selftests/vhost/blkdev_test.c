// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vhost block backend on a block device (a loop device over a tmpfs
 * file): random reads and writes checked against a model and against the
 * device read directly, the device's size as the bound, FLUSH.
 */
#include <linux/loop.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

#define DISK_BYTES	(1u << 20)
#define DISK_SECTORS	(DISK_BYTES / 512)
#define NREQ		500
#define RVB_T_FLUSH	4
#define RVB_S_IOERR	1

FIXTURE(bdev) {
	struct rvd_dev d;
	struct rvb_req req;
	int file, loop, loop_nr;
	uint8_t model[DISK_BYTES];
};

FIXTURE_SETUP(bdev)
{
	char path[32];
	struct stat sb;
	int ctl, n, r;

	self->file = -1;
	self->loop = -1;
	self->d.fd = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	r = rv_load_host_module("loop");
	ASSERT_TRUE(r == 0 || r == -EEXIST) {
		TH_LOG("loading loop.ko: %s", strerror(-r));
	}
	self->file = rvb_backing_file();	/* 1 MiB of zeroes */
	ASSERT_LE(0, self->file);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	ASSERT_LE(0, n);
	self->loop_nr = n;
	snprintf(path, sizeof(path), "/dev/loop%d", n);
	self->loop = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->loop) {
		TH_LOG("open %s: %s", path, strerror(errno));
	}
	ASSERT_EQ(0, ioctl(self->loop, LOOP_SET_FD, self->file));
	ASSERT_EQ(0, fstat(self->loop, &sb));
	ASSERT_TRUE(S_ISBLK(sb.st_mode));
	memset(self->model, 0, sizeof(self->model));

	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK,
			      RVD_BASE_FEATURES | RVD_F(RINGVM_VHOST_F_BLK_FLUSH),
			      1, 64, 1 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->loop));
	ASSERT_EQ(0, rvb_req_alloc(&self->d, &self->req, 8 * 512));
}

FIXTURE_TEARDOWN(bdev)
{
	rvd_close(&self->d);
	if (self->loop >= 0) {
		ioctl(self->loop, LOOP_CLR_FD);
		close(self->loop);
	}
	if (self->file >= 0)
		close(self->file);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

/* One request, run to completion; the status byte. */
static int run_one(FIXTURE_DATA(bdev) *self, uint32_t type, uint64_t sector,
		   uint32_t len)
{
	struct rvd_vq *q = &self->d.vq[0];
	int r;

	rvb_queue(&self->d, q, &self->req, type, sector, len);
	rvd_publish(q);
	r = rvd_kick(q);
	if (!r)
		r = rvd_wait_used(q, ++q->used_seen);
	return r ? r : *self->req.status;
}

/* Flush requests the loop device completed (field 16 of its stat). */
static long loop_flushes(FIXTURE_DATA(bdev) *self)
{
	char path[64];
	long v[17];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/block/loop%d/stat", self->loop_nr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
		   &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15], &v[16]);
	fclose(f);
	return n == 17 ? v[15] : -EINVAL;
}

/*
 * FLUSH is a cache flush of the block device: the loop device (write
 * cache on, as for any writable loop) counts one more completed flush
 * request, and the status byte, poisoned before the request, reads OK.
 */
TEST_F(bdev, flush_reaches_the_device)
{
	long before = loop_flushes(self), after;

	ASSERT_LE(0, before);
	ASSERT_EQ(RVB_S_OK, run_one(self, RVB_T_OUT, 0, 512));
	ASSERT_EQ(RVB_S_OK, run_one(self, RVB_T_FLUSH, 0, 0));
	after = loop_flushes(self);
	EXPECT_LT(before, after);
}

TEST_F(bdev, random_io_matches_model)
{
	uint8_t *back = malloc(DISK_BYTES);
	uint64_t seed = 0xB10C;
	int i, j;

	ASSERT_NE(NULL, back);
	for (i = 0; i < NREQ; i++) {
		uint32_t len = (1 + rvd_rand(&seed) % 8) * 512;
		uint64_t sector = rvd_rand(&seed) % (DISK_SECTORS - len / 512 + 1);
		int write = rvd_rand(&seed) & 1;

		if (write) {
			for (j = 0; j < (int)len; j++)
				self->req.data[j] = (uint8_t)(rvd_rand(&seed) >> 40);
		} else {
			memset(self->req.data, 0xa5, len);
		}
		ASSERT_EQ(RVB_S_OK, run_one(self, write ? RVB_T_OUT : RVB_T_IN,
					    sector, len));
		if (write)
			memcpy(self->model + sector * 512, self->req.data, len);
		else
			ASSERT_EQ(0, memcmp(self->req.data, self->model + sector * 512, len));
	}
	ASSERT_EQ(RVB_S_OK, run_one(self, RVB_T_FLUSH, 0, 0));
	/* What the device itself holds. */
	ASSERT_EQ(DISK_BYTES, pread(self->loop, back, DISK_BYTES, 0));
	EXPECT_EQ(0, memcmp(back, self->model, DISK_BYTES));
	free(back);
}

TEST_F(bdev, device_size_bounds_requests)
{
	EXPECT_EQ(RVB_S_OK, run_one(self, RVB_T_IN, DISK_SECTORS - 1, 512));
	EXPECT_EQ(RVB_S_IOERR, run_one(self, RVB_T_IN, DISK_SECTORS - 1, 1024));
	EXPECT_EQ(RVB_S_IOERR, run_one(self, RVB_T_OUT, DISK_SECTORS, 512));
}

TEST_HARNESS_MAIN
