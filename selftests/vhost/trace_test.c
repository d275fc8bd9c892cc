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

TEST_HARNESS_MAIN
