// SPDX-License-Identifier: GPL-2.0
/*
 * The ringvm_vhost tracepoints: N requests, each kicked and waited for,
 * give N kick, N batch and N call events in the trace buffer, matching the
 * device's own counters.
 */
#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

#define TRACING		"/sys/kernel/tracing"
#define N		5

static int write_str(const char *path, const char *s, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		r = -errno;
	close(fd);
	return r;
}

/* Occurrences of @needle in the whole trace buffer. */
static int count_in_trace(const char *needle)
{
	FILE *f = fopen(TRACING "/trace", "re");
	char line[1024];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

FIXTURE(trace) {
	struct rvd_dev d;
	struct rvb_req req;
	int file;
};

FIXTURE_SETUP(trace)
{
	self->file = -1;
	self->d.fd = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	ASSERT_TRUE(rv_path_exists(TRACING "/events/ringvm_vhost/kick")) {
		TH_LOG("tracefs or the ringvm_vhost events are missing");
	}
	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES,
			      1, 64, 1 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	self->file = rvb_backing_file();
	ASSERT_LE(0, self->file);
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->file));
	ASSERT_EQ(0, rvb_req_alloc(&self->d, &self->req, 512));
}

FIXTURE_TEARDOWN(trace)
{
	write_str(TRACING "/events/ringvm_vhost/enable", "0", 0);
	rvd_close(&self->d);
	if (self->file >= 0)
		close(self->file);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

TEST_F(trace, kick_batch_call_per_request)
{
	struct ringvm_vhost_vring_stats st;
	int i;

	ASSERT_EQ(0, write_str(TRACING "/tracing_on", "1", 0));
	ASSERT_EQ(0, write_str(TRACING "/trace", "", O_TRUNC));
	ASSERT_EQ(0, write_str(TRACING "/events/ringvm_vhost/enable", "1", 0));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, rvb_get_id_sync(&self->d, &self->d.vq[0], &self->req));
	ASSERT_EQ(0, write_str(TRACING "/events/ringvm_vhost/enable", "0", 0));

	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(N, st.kicks);
	EXPECT_EQ(N, st.batches);
	EXPECT_EQ(N, st.calls);
	EXPECT_EQ(N, count_in_trace(" kick: dev "));
	EXPECT_EQ(N, count_in_trace(" batch: dev "));
	EXPECT_EQ(N, count_in_trace(" call: dev "));
	EXPECT_EQ(N, count_in_trace(" queue 0 count 1 used_idx "));
	/* The last publication and its call carry the final used index. */
	EXPECT_EQ(2, count_in_trace(" used_idx 5\n"));
}

/*
 * Fairness, read from the order of batch events: queue 0 holds 300
 * requests and queue 1 one request when the backend arrives; queue 1 is
 * served between two bounded batches of queue 0, not after all of it.
 */
TEST_F(trace, busy_queue_does_not_starve_another)
{
	struct rvd_dev d;
	struct rvb_req r0, r1;
	FILE *f;
	char line[1024];
	int i, q0_batches = 0, q0_after = 0, q1_seen = 0, file = rvb_backing_file();

	ASSERT_LE(0, file);
	ASSERT_EQ(0, rvd_open(&d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES, 2, 1024,
			      1 << 20)) {
		TH_LOG("device setup failed at %s", d.failed);
	}
	ASSERT_EQ(0, rvb_req_alloc(&d, &r0, 512));
	ASSERT_EQ(0, rvb_req_alloc(&d, &r1, 512));
	/* No backend yet: requests wait in the rings. */
	for (i = 0; i < 300; i++)
		rvb_queue(&d, &d.vq[0], &r0, RVB_T_GET_ID, 0, 20);
	rvb_queue(&d, &d.vq[1], &r1, RVB_T_GET_ID, 0, 20);
	rvd_publish(&d.vq[0]);
	rvd_publish(&d.vq[1]);
	ASSERT_EQ(0, rvd_kick(&d.vq[0]));
	ASSERT_EQ(0, rvd_kick(&d.vq[1]));

	ASSERT_EQ(0, write_str(TRACING "/trace", "", O_TRUNC));
	ASSERT_EQ(0, write_str(TRACING "/events/ringvm_vhost/batch/enable", "1", 0));
	ASSERT_EQ(0, rvd_set_backend(&d, file));
	ASSERT_EQ(0, rvd_wait_used(&d.vq[1], 1));
	ASSERT_EQ(0, rvd_wait_used(&d.vq[0], 300));
	ASSERT_EQ(0, write_str(TRACING "/events/ringvm_vhost/batch/enable", "0", 0));

	f = fopen(TRACING "/trace", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int dev, queue, count;
		char *p = strstr(line, " batch: dev ");

		if (!p || sscanf(p, " batch: dev %u queue %u count %u", &dev,
				 &queue, &count) != 3)
			continue;
		if (queue == 1) {
			q1_seen++;
			continue;
		}
		EXPECT_GE(64, count);
		q0_batches++;
		if (q1_seen)
			q0_after++;
	}
	fclose(f);
	EXPECT_EQ(1, q1_seen);
	EXPECT_LE(5, q0_batches);	/* 300 in batches of at most 64 */
	/* Without bounded batches queue 1 would come after all of queue 0. */
	EXPECT_LE(1, q0_after) {
		TH_LOG("queue 1 waited for %d of queue 0's batches",
		       q0_batches - q0_after);
	}
	rvd_close(&d);
	close(file);
}

/*
 * The byte bound, read from the order of batch events: queue 0 holds 32
 * reads of 1 MiB each (two weights of 0x80000 bytes), queue 1 one GET_ID.
 * Every pass of queue 0 ends after one such chain, and queue 1 completes
 * while queue 0 still has most of its work; bounded by chain count alone
 * (64), all 32 would run first.
 */
TEST_F(trace, huge_chains_do_not_starve_another_queue)
{
	const uint32_t chain = 16 + (1 << 20) + 1, weight = 0x80000;
	unsigned int q0_done = 0, q0_at_q1 = 0;
	struct rvd_dev d;
	struct rvb_req r0, r1;
	FILE *f;
	char line[1024];
	int i, q1_seen = 0, file = rvb_backing_file();	/* 1 MiB */

	ASSERT_LE(0, file);
	ASSERT_EQ(0, rvd_open(&d, RINGVM_VHOST_DEV_BLK, RVD_BASE_FEATURES, 2, 256,
			      4 << 20)) {
		TH_LOG("device setup failed at %s", d.failed);
	}
	ASSERT_EQ(0, rvb_req_alloc(&d, &r0, 1 << 20));
	ASSERT_EQ(0, rvb_req_alloc(&d, &r1, 512));
	for (i = 0; i < 32; i++)
		rvb_queue(&d, &d.vq[0], &r0, RVB_T_IN, 0, 1 << 20);
	rvb_queue(&d, &d.vq[1], &r1, RVB_T_GET_ID, 0, 20);
	rvd_publish(&d.vq[0]);
	rvd_publish(&d.vq[1]);
	ASSERT_EQ(0, rvd_kick(&d.vq[0]));
	ASSERT_EQ(0, rvd_kick(&d.vq[1]));

	ASSERT_EQ(0, write_str(TRACING "/trace", "", O_TRUNC));
	ASSERT_EQ(0, write_str(TRACING "/events/ringvm_vhost/batch/enable", "1", 0));
	ASSERT_EQ(0, rvd_set_backend(&d, file));
	ASSERT_EQ(0, rvd_wait_used(&d.vq[1], 1));
	ASSERT_EQ(0, rvd_wait_used(&d.vq[0], 32));
	ASSERT_EQ(0, write_str(TRACING "/events/ringvm_vhost/batch/enable", "0", 0));
	EXPECT_EQ(RVB_S_OK, *r0.status);

	f = fopen(TRACING "/trace", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int dev, queue, count;
		char *p = strstr(line, " batch: dev ");

		if (!p || sscanf(p, " batch: dev %u queue %u count %u", &dev,
				 &queue, &count) != 3)
			continue;
		if (queue == 1) {
			q1_seen++;
			q0_at_q1 = q0_done;
			continue;
		}
		/* A pass stops at the first chain that reaches the weight. */
		EXPECT_GT(weight, (uint64_t)(count - 1) * chain) {
			TH_LOG("one pass of queue 0 ran %u chains of %u bytes",
			       count, chain);
		}
		q0_done += count;
	}
	fclose(f);
	EXPECT_EQ(1, q1_seen);
	EXPECT_EQ(32, q0_done);
	EXPECT_GE(1, q0_at_q1) {
		TH_LOG("queue 1 completed after %u of queue 0's huge chains",
		       q0_at_q1);
	}
	rvd_close(&d);
	close(file);
}

TEST_HARNESS_MAIN
