// SPDX-License-Identifier: GPL-2.0
/*
 * Notification suppression, counted from the device's own stats: with
 * EVENT_IDX the driver's used_event decides when it is interrupted; without
 * it, NO_INTERRUPT does; with neither, every completion it waits for is
 * signalled.  Kick suppression: the device re-arms avail_event / clears
 * NO_NOTIFY when it goes idle.
 */
#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

#define N	32
#define QNUM	256

FIXTURE(notify) {
	struct rvd_dev d;
	struct rvb_req req[N + 1];
	int file;
};

FIXTURE_VARIANT(notify) {
	int event_idx;
};

FIXTURE_VARIANT_ADD(notify, event_idx) {
	.event_idx = 1,
};

FIXTURE_VARIANT_ADD(notify, flags) {
	.event_idx = 0,
};

FIXTURE_SETUP(notify)
{
	uint64_t f = RVD_BASE_FEATURES;
	int i;

	self->file = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	if (variant->event_idx)
		f |= RVD_F(RINGVM_VHOST_F_EVENT_IDX);
	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK, f, 1, QNUM, 4 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	self->file = rvb_backing_file();
	ASSERT_LE(0, self->file);
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->file));
	for (i = 0; i <= N; i++)
		ASSERT_EQ(0, rvb_req_alloc(&self->d, &self->req[i], 512));
}

FIXTURE_TEARDOWN(notify)
{
	rvd_close(&self->d);
	if (self->file >= 0)
		close(self->file);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

/*
 * Each of N requests waited for on its own: the driver wants every
 * completion, so there are N calls whatever the suppression mode.
 */
TEST_F(notify, waited_one_by_one_gives_n_calls)
{
	struct rvd_vq *q = &self->d.vq[0];
	struct ringvm_vhost_vring_stats st;
	int i;

	for (i = 0; i < N; i++) {
		if (variant->event_idx)
			*rvd_used_event(q) = q->used_seen;
		ASSERT_EQ(0, rvb_get_id_sync(&self->d, q, &self->req[i]));
	}
	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(N, st.requests);
	EXPECT_EQ(N, st.calls);
	EXPECT_EQ(N, st.kicks);
	/* Idle: kicks are wanted again. */
	if (variant->event_idx) {
		EXPECT_EQ(N, *rvd_avail_event(q));
	} else {
		EXPECT_EQ(0, *rvd_used_flags(q));
	}
}

/*
 * N requests while the driver asks to be interrupted only once the last is
 * done: one call, not N.  EVENT_IDX: used_event = N - 1, each request
 * published and kicked on its own.  Flags: NO_INTERRUPT while the first N
 * complete (no call at all), then off for one more request (one call).
 */
TEST_F(notify, suppressed_gives_one_call)
{
	struct rvd_vq *q = &self->d.vq[0];
	struct ringvm_vhost_vring_stats st;
	int i, total = variant->event_idx ? N : N + 1;

	if (variant->event_idx)
		*rvd_used_event(q) = N - 1;
	else
		*rvd_avail_flags(q) = 1;	/* VRING_AVAIL_F_NO_INTERRUPT */
	for (i = 0; i < N; i++) {
		rvb_queue(&self->d, q, &self->req[i], RVB_T_GET_ID, 0, 20);
		rvd_publish(q);
		ASSERT_EQ(0, rvd_kick(q));
	}
	if (!variant->event_idx) {
		ASSERT_EQ(0, rvd_spin_used(q, N));
		/*
		 * The stats ioctl waits for the worker's pass to end, so the
		 * pass that published N has also read the flag by now.
		 */
		ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
		EXPECT_EQ(0, st.calls);
		EXPECT_EQ(0, rvd_efd_take(q->call));
		__atomic_store_n(rvd_avail_flags(q), 0, __ATOMIC_SEQ_CST);
		rvb_queue(&self->d, q, &self->req[N], RVB_T_GET_ID, 0, 20);
		rvd_publish(q);
		ASSERT_EQ(0, rvd_kick(q));
	}
	ASSERT_EQ(0, rvd_wait_used(q, total));
	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(total, st.requests);
	EXPECT_EQ(total, st.kicks);
	EXPECT_EQ(1, st.calls);
	for (i = 0; i < total; i++)
		EXPECT_EQ(RVB_S_OK, *self->req[i].status);
}

/*
 * N requests published at once with one kick (more than one worker batch):
 * with EVENT_IDX and used_event at the start, one call; without
 * suppression, one call per published batch, never more.
 */
TEST_F(notify, one_publication_of_many)
{
	struct rvd_vq *q = &self->d.vq[0];
	struct ringvm_vhost_vring_stats st;
	uint16_t n = 80;	/* 3 descriptors each: fits the ring */
	int i;

	if (variant->event_idx)
		*rvd_used_event(q) = 0;
	for (i = 0; i < n; i++)
		rvb_queue(&self->d, q, &self->req[i % (N + 1)], RVB_T_GET_ID, 0, 20);
	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	ASSERT_EQ(0, rvd_wait_used(q, n));
	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(n, st.requests);
	EXPECT_EQ(1, st.kicks);
	EXPECT_LE(2, st.batches);	/* 80 > one bounded batch */
	if (variant->event_idx) {
		EXPECT_EQ(1, st.calls);
	} else {
		EXPECT_EQ(st.batches, st.calls);
	}
}

TEST_HARNESS_MAIN
