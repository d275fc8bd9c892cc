// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed rings: each case breaks queue 0 of a block device one way and
 * checks that the queue stops with the right reason and signals its ERR
 * eventfd, that queue 1 of the same device and a second device still
 * complete requests, and that queue 0 serves again once reconfigured.
 */
#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "blk_driver.h"

#define QNUM	16

FIXTURE(bad) {
	struct rvd_dev d, other;
	struct rvb_req req[4], other_req;
	int file;
};

FIXTURE_SETUP(bad)
{
	uint64_t f = RVD_BASE_FEATURES | RVD_F(RINGVM_VHOST_F_INDIRECT_DESC);
	int i;

	self->file = -1;
	self->d.fd = -1;
	self->other.fd = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	self->file = rvb_backing_file();
	ASSERT_LE(0, self->file);
	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK, f, 2, QNUM, 4 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->file));
	ASSERT_EQ(0, rvd_open(&self->other, RINGVM_VHOST_DEV_BLK, f, 1, QNUM, 1 << 20)) {
		TH_LOG("second device setup failed at %s", self->other.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&self->other, self->file));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, rvb_req_alloc(&self->d, &self->req[i], 512));
	ASSERT_EQ(0, rvb_req_alloc(&self->other, &self->other_req, 512));
}

FIXTURE_TEARDOWN(bad)
{
	rvd_close(&self->d);
	rvd_close(&self->other);
	if (self->file >= 0)
		close(self->file);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

/*
 * Publishes what the test broke on queue 0, kicks, and checks the outcome:
 * error @reason, ERR signalled, nothing completed there, the rest alive,
 * and queue 0 back in service after SET_VRING_ADDR/BASE.
 */
static void expect_stopped(struct __test_metadata *_metadata,
			   FIXTURE_DATA(bad) *self, uint32_t reason)
{
	struct rvd_vq *q = &self->d.vq[0];
	struct ringvm_vhost_vring_state base = { .index = 0, .num = 0 };
	struct ringvm_vhost_vring_addr a = {
		.index = 0,
		.desc_gpa = rvd_gpa(&self->d.mem, q->desc),
		.avail_gpa = rvd_gpa(&self->d.mem, q->avail),
		.used_gpa = rvd_gpa(&self->d.mem, q->used),
	};
	struct ringvm_vhost_vring_stats st;

	rvd_publish(q);
	ASSERT_EQ(0, rvd_kick(q));
	ASSERT_LT(0, rvd_wait_efd(q->err, RVD_WAIT_MS)) {
		TH_LOG("no ERR signal");
	}
	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(reason, st.error);
	EXPECT_EQ(1, st.errors);
	EXPECT_EQ(0, st.requests);
	EXPECT_EQ(0, rvd_used_idx(q));

	/* The worker lives: the other queue and the other device serve. */
	EXPECT_EQ(0, rvb_get_id_sync(&self->d, &self->d.vq[1], &self->req[2]));
	EXPECT_EQ(0, rvb_get_id_sync(&self->other, &self->other.vq[0],
				     &self->other_req));

	/* Reconfigured from a clean ring, queue 0 serves again. */
	memset(q->desc, 0, 16 * q->num);
	memset(q->avail, 0, 6 + 2 * q->num);
	memset(q->used, 0, 6 + 8 * q->num);
	q->avail_idx = 0;
	q->used_seen = 0;
	q->next_desc = 0;
	ASSERT_EQ(0, ioctl(self->d.fd, RINGVM_VHOST_SET_VRING_ADDR, &a));
	ASSERT_EQ(0, ioctl(self->d.fd, RINGVM_VHOST_SET_VRING_BASE, &base));
	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(RINGVM_VHOST_ERR_NONE, st.error);
	EXPECT_EQ(0, rvb_get_id_sync(&self->d, q, &self->req[3]));
}

static struct rvd_vq *q0(FIXTURE_DATA(bad) *self)
{
	return &self->d.vq[0];
}

/* A valid GET_ID chain on queue 0, for the cases to break. */
static uint16_t good_chain(FIXTURE_DATA(bad) *self)
{
	return rvb_queue(&self->d, q0(self), &self->req[0], RVB_T_GET_ID, 0, 20);
}

TEST_F(bad, descriptor_loop)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);
	uint16_t data = q->desc[head].next, last = q->desc[data].next;

	/* status -> data: the chain never ends */
	q->desc[last].flags |= RVD_DESC_F_NEXT;
	q->desc[last].next = data;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LOOP);
}

TEST_F(bad, self_loop)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);

	q->desc[head].next = head;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LOOP);
}

TEST_F(bad, indirect_loop)
{
	struct rvd_vq *q = q0(self);
	struct rvd_desc *t = rvd_alloc(&self->d.mem, 4 * sizeof(*t), 16);
	struct rvd_buf b[2] = {
		{ self->req[0].hdr, 16, 0 },
		{ self->req[0].status, 1, 1 },
	};

	ASSERT_NE(NULL, t);
	rvd_post(q, rvd_chain_indirect(&self->d, q, t, b, 2));
	t[1].flags |= RVD_DESC_F_NEXT;
	t[1].next = 0;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LOOP);
}

TEST_F(bad, chain_longer_than_queue)
{
	struct rvd_vq *q = q0(self);
	unsigned int n = QNUM + 1, i;
	struct rvd_desc *t = rvd_alloc(&self->d.mem, n * sizeof(*t), 16);
	struct rvd_buf *b = calloc(n, sizeof(*b));

	ASSERT_NE(NULL, t);
	ASSERT_NE(NULL, b);
	for (i = 0; i < n; i++)
		b[i] = (struct rvd_buf){ self->req[0].data + i, 1, i == n - 1 };
	rvd_post(q, rvd_chain_indirect(&self->d, q, t, b, n));
	free(b);
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_CHAIN_LONG);
}

TEST_F(bad, buffer_outside_memory_table)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);

	q->desc[q->desc[head].next].addr = self->d.mem.gpa_base + self->d.mem.size;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_BUF_ADDR);
}

TEST_F(bad, buffer_below_memory_table)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);

	q->desc[head].addr = self->d.mem.gpa_base - 8;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_BUF_ADDR);
}

TEST_F(bad, buffer_straddles_table_end)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);
	struct rvd_desc *data = &q->desc[q->desc[head].next];

	data->addr = self->d.mem.gpa_base + self->d.mem.size - 8;
	data->len = 16;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_BUF_ADDR);
}

TEST_F(bad, length_overflow)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);
	struct rvd_desc *data = &q->desc[q->desc[head].next];

	data->addr = ~0ULL - 0xff;
	data->len = 0x1000;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LEN_OVERFLOW);
}

TEST_F(bad, avail_index_jumps)
{
	struct rvd_vq *q = q0(self);

	good_chain(self);
	q->avail_idx = QNUM + 1;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_AVAIL_JUMP);
}

TEST_F(bad, head_out_of_range)
{
	struct rvd_vq *q = q0(self);

	good_chain(self);
	rvd_avail_ring(q)[0] = QNUM;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_HEAD);
}

TEST_F(bad, next_out_of_range)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);

	q->desc[head].next = QNUM + 3;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_HEAD);
}

TEST_F(bad, readable_after_writable)
{
	struct rvd_vq *q = q0(self);
	uint16_t head = good_chain(self);
	uint16_t data = q->desc[head].next;

	/* header (R), data (W), status (R): order broken */
	q->desc[q->desc[data].next].flags &= ~RVD_DESC_F_WRITE;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LAYOUT);
}

TEST_F(bad, indirect_with_next)
{
	struct rvd_vq *q = q0(self);
	struct rvd_desc *t = rvd_alloc(&self->d.mem, 4 * sizeof(*t), 16);
	struct rvd_buf b[2] = {
		{ self->req[0].hdr, 16, 0 },
		{ self->req[0].status, 1, 1 },
	};
	uint16_t head;

	ASSERT_NE(NULL, t);
	head = rvd_chain_indirect(&self->d, q, t, b, 2);
	rvd_post(q, head);
	q->desc[head].flags |= RVD_DESC_F_NEXT;
	q->desc[head].next = (head + 1) % QNUM;
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LAYOUT);
}

TEST_F(bad, ring_outside_memory_table)
{
	struct rvd_vq *q = q0(self);
	struct ringvm_vhost_vring_addr a = {
		.index = 0,
		.desc_gpa = self->d.mem.gpa_base + self->d.mem.size - 16 * 4,
		.avail_gpa = rvd_gpa(&self->d.mem, q->avail),
		.used_gpa = rvd_gpa(&self->d.mem, q->used),
	};

	ASSERT_EQ(0, ioctl(self->d.fd, RINGVM_VHOST_SET_VRING_ADDR, &a));
	good_chain(self);
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_RING_ADDR);
}

TEST_F(bad, header_not_mapped)
{
	struct rvd_vq *q = q0(self);
	uint8_t *page = self->d.mem.base + self->d.mem.size - 4096;
	uint16_t head = good_chain(self);

	/* In the table, but nothing behind it any more. */
	ASSERT_EQ(0, munmap(page, 4096));
	q->desc[head].addr = rvd_gpa(&self->d.mem, page);
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_ACCESS);
	ASSERT_EQ(page, mmap(page, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
}

TEST_F(bad, no_status_byte)
{
	struct rvd_vq *q = q0(self);
	struct rvd_buf b[1] = { { self->req[0].hdr, 16, 0 } };

	self->req[0].hdr->type = RVB_T_GET_ID;
	rvd_post(q, rvd_chain(&self->d, q, b, 1));
	expect_stopped(_metadata, self, RINGVM_VHOST_ERR_LAYOUT);
}

TEST_HARNESS_MAIN
