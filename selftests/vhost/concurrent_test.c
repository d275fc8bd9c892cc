// SPDX-License-Identifier: GPL-2.0
/*
 * 4 block devices x 2 queues, one driver thread per queue (8 threads), all
 * at once: every request completes exactly once (used ids match the heads
 * posted, no extra entries), and every device's file ends up holding what
 * its two threads wrote.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

#define NDEV		4
#define NQ		2
#define NTHREADS	(NDEV * NQ)
#define BATCHES		150
#define SLOTS		8
#define QNUM		64
#define REGION		256	/* sectors of the file per queue */

struct worker {
	struct rvd_dev *d;
	struct rvd_vq *q;
	struct rvb_req req[SLOTS];
	uint8_t model[REGION * 512];
	uint64_t first_sector;
	uint64_t posted;
	char err[128];
};

FIXTURE(conc) {
	struct rvd_dev d[NDEV];
	int file[NDEV];
	struct worker *w;
};

FIXTURE_SETUP(conc)
{
	int i, j;

	for (i = 0; i < NDEV; i++) {
		self->file[i] = -1;
		self->d[i].fd = -1;
	}
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	self->w = calloc(NTHREADS, sizeof(*self->w));
	ASSERT_NE(NULL, self->w);
	for (i = 0; i < NDEV; i++) {
		self->file[i] = rvb_backing_file();
		ASSERT_LE(0, self->file[i]);
		ASSERT_EQ(0, rvd_open(&self->d[i], RINGVM_VHOST_DEV_BLK,
				      RVD_BASE_FEATURES | RVD_F(RINGVM_VHOST_F_EVENT_IDX),
				      NQ, QNUM, 2 << 20)) {
			TH_LOG("device %d setup failed at %s", i, self->d[i].failed);
		}
		ASSERT_EQ(0, rvd_set_backend(&self->d[i], self->file[i]));
		for (j = 0; j < NQ; j++) {
			struct worker *w = &self->w[i * NQ + j];
			int k;

			w->d = &self->d[i];
			w->q = &self->d[i].vq[j];
			w->first_sector = j * REGION;
			for (k = 0; k < SLOTS; k++)
				ASSERT_EQ(0, rvb_req_alloc(w->d, &w->req[k], 512));
		}
	}
}

FIXTURE_TEARDOWN(conc)
{
	int i;

	for (i = 0; i < NDEV; i++) {
		rvd_close(&self->d[i]);
		if (self->file[i] >= 0)
			close(self->file[i]);
	}
	free(self->w);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

static void *drive(void *arg)
{
	struct worker *w = arg;
	struct rvd_vq *q = w->q;
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ (uintptr_t)w;
	int b;

	for (b = 0; b < BATCHES; b++) {
		unsigned int n = 1 + rvd_rand(&seed) % SLOTS, i, j;
		uint16_t heads[SLOTS];
		uint64_t sector[SLOTS];
		int seen[SLOTS] = { 0 };
		int write[SLOTS];

		for (i = 0; i < n; i++) {
			struct rvb_req *r = &w->req[i];

			sector[i] = rvd_rand(&seed) % REGION;
			write[i] = rvd_rand(&seed) & 1;
			if (write[i]) {
				for (j = 0; j < 512; j++)
					r->data[j] = (uint8_t)(rvd_rand(&seed) >> 32);
			}
			heads[i] = rvb_queue(w->d, q, r, write[i] ? RVB_T_OUT : RVB_T_IN,
					     w->first_sector + sector[i], 512);
		}
		*rvd_used_event(q) = q->used_seen;
		rvd_publish(q);
		if (rvd_kick(q) || rvd_wait_used(q, q->used_seen + n)) {
			snprintf(w->err, sizeof(w->err), "batch %d: %u requests not completed", b, n);
			return NULL;
		}
		for (i = 0; i < n; i++) {
			uint32_t id = rvd_used_elem(q, q->used_seen + i)[0];

			for (j = 0; j < n && heads[j] != id; j++)
				;
			if (j == n || seen[j]++) {
				snprintf(w->err, sizeof(w->err),
					 "batch %d: used id %u %s", b, id,
					 j == n ? "never posted" : "completed twice");
				return NULL;
			}
			if (*w->req[j].status != RVB_S_OK) {
				snprintf(w->err, sizeof(w->err), "batch %d: status %u",
					 b, *w->req[j].status);
				return NULL;
			}
			/* In ring order, so later requests see earlier writes. */
			if (write[j]) {
				memcpy(w->model + sector[j] * 512, w->req[j].data, 512);
			} else if (memcmp(w->req[j].data, w->model + sector[j] * 512, 512)) {
				snprintf(w->err, sizeof(w->err),
					 "batch %d: read of sector %llu differs", b,
					 (unsigned long long)sector[j]);
				return NULL;
			}
		}
		q->used_seen += n;
		w->posted += n;
	}
	return NULL;
}

TEST_F(conc, eight_threads_four_devices)
{
	pthread_t t[NTHREADS];
	uint8_t *back = malloc(REGION * 512);
	int i;

	ASSERT_NE(NULL, back);
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, drive, &self->w[i]));
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	for (i = 0; i < NTHREADS; i++) {
		struct worker *w = &self->w[i];
		struct ringvm_vhost_vring_stats st;

		EXPECT_STREQ("", w->err) {
			TH_LOG("thread %d", i);
		}
		/* Nothing beyond what was posted ever reached the used ring. */
		EXPECT_EQ((uint16_t)w->posted, rvd_used_idx(w->q));
		ASSERT_EQ(0, rvd_stats(w->d, w->q->index, &st));
		EXPECT_EQ(w->posted, st.requests);
		EXPECT_EQ(RINGVM_VHOST_ERR_NONE, st.error);
		ASSERT_EQ(REGION * 512, pread(self->file[i / NQ], back, REGION * 512,
					      w->first_sector * 512));
		EXPECT_EQ(0, memcmp(back, w->model, REGION * 512)) {
			TH_LOG("thread %d: file differs from its model", i);
		}
	}
	free(back);
}

TEST_HARNESS_MAIN
