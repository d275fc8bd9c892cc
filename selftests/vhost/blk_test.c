// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vhost block backend: random reads, writes and flushes against a
 * file on the host's tmpfs, every byte checked against a model; GET_ID;
 * bounds and request-type errors answered through the status byte.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"
#include "vhost_driver.h"

#define BLK_T_IN	0
#define BLK_T_OUT	1
#define BLK_T_FLUSH	4
#define BLK_T_GET_ID	8
#define BLK_S_OK	0
#define BLK_S_IOERR	1
#define BLK_S_UNSUPP	2

#define DISK_BYTES	(4u << 20)
#define DISK_SECTORS	(DISK_BYTES / 512)
#define MAX_SECTORS	16
#define SLOTS		16
#define QNUM		256

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct slot {
	struct blk_hdr *hdr;
	uint8_t *data;
	uint8_t *status;
	struct rvd_desc *table;
	uint16_t head;
	uint32_t type, len;
	uint64_t sector;
};

FIXTURE(blk) {
	struct rvd_dev d;
	struct slot slot[SLOTS];
	char path[64];
	int file;
	uint8_t *model;
};

static void fill_random(uint8_t *p, size_t n, uint64_t *seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = rvd_rand(seed) >> 24;
}

FIXTURE_SETUP(blk)
{
	uint64_t seed = 0x1234567;
	int i;

	self->file = -1;
	ASSERT_EQ(0, rv_load_module("ringvm_vhost"));
	snprintf(self->path, sizeof(self->path), "/tmp/rvblk-%d.img", getpid());
	self->file = open(self->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, self->file);
	self->model = malloc(DISK_BYTES);
	ASSERT_NE(NULL, self->model);
	fill_random(self->model, DISK_BYTES, &seed);
	ASSERT_EQ(DISK_BYTES, pwrite(self->file, self->model, DISK_BYTES, 0));

	ASSERT_EQ(0, rvd_open(&self->d, RINGVM_VHOST_DEV_BLK,
			      RVD_BASE_FEATURES | RVD_F(RINGVM_VHOST_F_BLK_FLUSH) |
			      RVD_F(RINGVM_VHOST_F_INDIRECT_DESC),
			      1, QNUM, 16 << 20)) {
		TH_LOG("device setup failed at %s", self->d.failed);
	}
	ASSERT_EQ(0, rvd_set_backend(&self->d, self->file));
	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &self->slot[i];

		s->hdr = rvd_alloc(&self->d.mem, sizeof(*s->hdr), 16);
		s->data = rvd_alloc(&self->d.mem, MAX_SECTORS * 512, 512);
		s->status = rvd_alloc(&self->d.mem, 1, 1);
		s->table = rvd_alloc(&self->d.mem, 4 * sizeof(struct rvd_desc), 16);
		ASSERT_NE(NULL, s->table);
	}
}

FIXTURE_TEARDOWN(blk)
{
	rvd_close(&self->d);
	if (self->file >= 0)
		close(self->file);
	unlink(self->path);
	free(self->model);
	EXPECT_EQ(0, rv_unload_module("ringvm_vhost"));
}

/* Queues one request in @s; data split in two descriptors when @split. */
static void blk_queue(struct rvd_dev *d, struct slot *s, uint32_t type,
		      uint64_t sector, uint32_t len, int split, int indirect)
{
	struct rvd_vq *q = &d->vq[0];
	struct rvd_buf b[4];
	unsigned int n = 0;
	int dw = type == BLK_T_IN || type == BLK_T_GET_ID;

	s->type = type;
	s->sector = sector;
	s->len = len;
	s->hdr->type = type;
	s->hdr->ioprio = 0;
	s->hdr->sector = sector;
	*s->status = 0xee;
	b[n++] = (struct rvd_buf){ s->hdr, sizeof(*s->hdr), 0 };
	if (len && split && len > 512) {
		b[n++] = (struct rvd_buf){ s->data, 512, dw };
		b[n++] = (struct rvd_buf){ s->data + 512, len - 512, dw };
	} else if (len) {
		b[n++] = (struct rvd_buf){ s->data, len, dw };
	}
	b[n++] = (struct rvd_buf){ s->status, 1, 1 };
	if (indirect)
		s->head = rvd_chain_indirect(d, q, s->table, b, n);
	else
		s->head = rvd_chain(d, q, b, n);
	rvd_post(q, s->head);
}

/* Publishes, kicks and waits for @n completions; the used ids in @ids. */
static int blk_run(struct rvd_dev *d, unsigned int n, uint32_t *ids,
		   uint32_t *lens)
{
	struct rvd_vq *q = &d->vq[0];
	unsigned int i;
	int r;

	rvd_publish(q);
	r = rvd_kick(q);
	if (r)
		return r;
	r = rvd_wait_used(q, q->used_seen + n);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		uint32_t *e = rvd_used_elem(q, q->used_seen + i);

		ids[i] = e[0];
		lens[i] = e[1];
	}
	q->used_seen += n;
	return 0;
}

static struct slot *slot_by_head(struct slot *slots, unsigned int n,
				 uint32_t head)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (slots[i].head == head)
			return &slots[i];
	return NULL;
}

TEST_F(blk, random_io_matches_model)
{
	struct ringvm_vhost_vring_stats st;
	uint64_t seed = 0xC0FFEE, done = 0, bytes = 0;
	uint32_t ids[SLOTS], lens[SLOTS];
	uint8_t *check;

	while (done < 10000) {
		unsigned int n = 1 + rvd_rand(&seed) % SLOTS, i;

		if (n > 10000 - done)
			n = 10000 - done;
		for (i = 0; i < n; i++) {
			struct slot *s = &self->slot[i];
			unsigned int pick = rvd_rand(&seed) % 100;
			uint32_t sectors = 1 + rvd_rand(&seed) % MAX_SECTORS;
			uint64_t sector = rvd_rand(&seed) % (DISK_SECTORS - sectors + 1);
			uint32_t type = pick < 45 ? BLK_T_IN :
					pick < 90 ? BLK_T_OUT : BLK_T_FLUSH;
			uint32_t len = type == BLK_T_FLUSH ? 0 : sectors * 512;

			if (type == BLK_T_OUT)
				fill_random(s->data, len, &seed);
			else
				memset(s->data, 0x5a, MAX_SECTORS * 512);
			blk_queue(&self->d, s, type, sector, len,
				  rvd_rand(&seed) & 1, rvd_rand(&seed) % 4 == 0);
		}
		ASSERT_EQ(0, blk_run(&self->d, n, ids, lens)) {
			TH_LOG("batch after %llu requests did not complete",
			       (unsigned long long)done);
		}
		/* Requests of one batch touch overlapping sectors: apply in order. */
		for (i = 0; i < n; i++) {
			struct slot *s = slot_by_head(self->slot, n, ids[i]);

			ASSERT_NE(NULL, s);
			ASSERT_EQ(BLK_S_OK, *s->status);
			ASSERT_EQ(s->type == BLK_T_IN ? s->len + 1 : 1, lens[i]);
			if (s->type == BLK_T_IN) {
				ASSERT_EQ(0, memcmp(s->data, self->model + s->sector * 512,
						    s->len)) {
					TH_LOG("read of %u bytes at sector %llu differs",
					       s->len, (unsigned long long)s->sector);
				}
			} else if (s->type == BLK_T_OUT) {
				memcpy(self->model + s->sector * 512, s->data, s->len);
			}
			if (s->type != BLK_T_FLUSH)
				bytes += s->len;
		}
		done += n;
	}
	check = malloc(DISK_BYTES);
	ASSERT_NE(NULL, check);
	ASSERT_EQ(DISK_BYTES, pread(self->file, check, DISK_BYTES, 0));
	EXPECT_EQ(0, memcmp(check, self->model, DISK_BYTES));
	free(check);
	ASSERT_EQ(0, rvd_stats(&self->d, 0, &st));
	EXPECT_EQ(10000, st.requests);
	EXPECT_EQ(bytes, st.bytes);
	EXPECT_EQ(RINGVM_VHOST_ERR_NONE, st.error);
}

TEST_F(blk, get_id)
{
	struct slot *s = &self->slot[0];
	uint32_t id, len;

	memset(s->data, 0xff, 512);
	blk_queue(&self->d, s, BLK_T_GET_ID, 0, 20, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(s->head, id);
	EXPECT_EQ(BLK_S_OK, *s->status);
	EXPECT_EQ(21, len);
	EXPECT_EQ(0, memcmp(s->data, "ringvm-vhost-blk\0\0\0\0", 20));
}

/* SET_BLK_ID changes what GET_ID answers: all 20 bytes, or NUL-padded. */
TEST_F(blk, get_id_answers_the_serial_set)
{
	struct ringvm_vhost_blk_id full = { .id = "0123456789abcdefghij" };
	struct ringvm_vhost_blk_id shorter = { .id = "disk-7" };
	struct slot *s = &self->slot[0];
	uint32_t id, len;

	ASSERT_EQ(0, ioctl(self->d.fd, RINGVM_VHOST_SET_BLK_ID, &full));
	memset(s->data, 0xff, 512);
	blk_queue(&self->d, s, BLK_T_GET_ID, 0, 20, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_OK, *s->status);
	EXPECT_EQ(21, len);
	EXPECT_EQ(0, memcmp(s->data, "0123456789abcdefghij", 20));

	ASSERT_EQ(0, ioctl(self->d.fd, RINGVM_VHOST_SET_BLK_ID, &shorter));
	memset(s->data, 0xff, 512);
	blk_queue(&self->d, s, BLK_T_GET_ID, 0, 20, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_OK, *s->status);
	EXPECT_EQ(0, memcmp(s->data, "disk-7\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20));
}

TEST_F(blk, out_of_range_is_ioerr)
{
	const struct { uint64_t sector; uint32_t len; uint32_t type; } bad[] = {
		{ DISK_SECTORS - 1, 1024, BLK_T_IN },
		{ DISK_SECTORS, 512, BLK_T_IN },
		{ DISK_SECTORS - 1, 1024, BLK_T_OUT },
		{ 1ULL << 60, 512, BLK_T_OUT },
		{ ~0ULL, 512, BLK_T_IN },
		{ 0, 100, BLK_T_IN },		/* not a multiple of 512 */
		{ 0, 700, BLK_T_OUT },
	};
	struct stat sb;
	uint32_t id, len;
	unsigned int i;
	uint8_t *check = malloc(DISK_BYTES);

	ASSERT_NE(NULL, check);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct slot *s = &self->slot[0];

		memset(s->data, 0xab, MAX_SECTORS * 512);
		blk_queue(&self->d, s, bad[i].type, bad[i].sector, bad[i].len, 0, 0);
		ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
		EXPECT_EQ(BLK_S_IOERR, *s->status) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(1, len);
	}
	/* Nothing was written or grown. */
	ASSERT_EQ(0, fstat(self->file, &sb));
	EXPECT_EQ(DISK_BYTES, sb.st_size);
	ASSERT_EQ(DISK_BYTES, pread(self->file, check, DISK_BYTES, 0));
	EXPECT_EQ(0, memcmp(check, self->model, DISK_BYTES));
	free(check);
}

TEST_F(blk, unknown_type_is_unsupp)
{
	struct slot *s = &self->slot[0];
	uint32_t id, len;

	blk_queue(&self->d, s, 0x55, 0, 512, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_UNSUPP, *s->status);
}

TEST_F(blk, write_to_read_only_backend_is_ioerr)
{
	struct slot *s = &self->slot[0];
	uint32_t id, len;
	uint8_t back[512];
	int ro = open(self->path, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, ro);
	ASSERT_EQ(0, rvd_set_backend(&self->d, ro));
	memset(s->data, 0x11, 512);
	blk_queue(&self->d, s, BLK_T_OUT, 3, 512, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_IOERR, *s->status);
	ASSERT_EQ(512, pread(self->file, back, 512, 3 * 512));
	EXPECT_EQ(0, memcmp(back, self->model + 3 * 512, 512));
	/* Reads still work from the read-only backend. */
	blk_queue(&self->d, s, BLK_T_IN, 3, 512, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_OK, *s->status);
	EXPECT_EQ(0, memcmp(s->data, self->model + 3 * 512, 512));
	close(ro);
}

#define TRACING		"/sys/kernel/tracing"

static int put_str(const char *path, const char *str, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, str, strlen(str)) != (ssize_t)strlen(str))
		r = -errno;
	close(fd);
	return r;
}

/* Trace lines of event @event written by a ringvm_vhost worker. */
static int worker_events(const char *event)
{
	FILE *f = fopen(TRACING "/trace", "re");
	char line[1024];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "ringvm-vhost-") && strstr(line, event))
			n++;
	fclose(f);
	return n;
}

/*
 * FLUSH reaches the backing file's fsync, from the worker: a kprobe on
 * tmpfs's fsync method (noop_fsync, which does nothing one could see
 * otherwise) counts exactly one call per FLUSH, and the status byte,
 * poisoned before each request, reads OK.
 */
TEST_F(blk, flush_calls_fsync)
{
	struct slot *s = &self->slot[0];
	uint32_t id, len;
	int i;

	put_str(TRACING "/kprobe_events", "-:rvfsync", O_APPEND);
	ASSERT_EQ(0, put_str(TRACING "/kprobe_events", "p:rvfsync noop_fsync",
			     O_APPEND));
	ASSERT_EQ(0, put_str(TRACING "/tracing_on", "1", 0));
	ASSERT_EQ(0, put_str(TRACING "/trace", "", O_TRUNC));
	ASSERT_EQ(0, put_str(TRACING "/events/kprobes/rvfsync/enable", "1", 0));
	for (i = 0; i < 3; i++) {
		blk_queue(&self->d, s, BLK_T_FLUSH, 0, 0, 0, 0);
		ASSERT_EQ(0xee, *s->status);
		ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
		EXPECT_EQ(BLK_S_OK, *s->status);
		EXPECT_EQ(1, len);
	}
	ASSERT_EQ(0, put_str(TRACING "/events/kprobes/rvfsync/enable", "0", 0));
	EXPECT_EQ(3, worker_events("rvfsync:"));
	put_str(TRACING "/kprobe_events", "-:rvfsync", O_APPEND);
}

/*
 * An O_APPEND backend would put every OUT request at the end of the file:
 * refused at SET_BACKEND, and a write fails if O_APPEND is set afterwards
 * with fcntl() (nothing written, the file does not grow).
 */
TEST_F(blk, append_only_backend_is_refused)
{
	struct slot *s = &self->slot[0];
	uint8_t back[512];
	struct stat sb;
	uint32_t id, len;
	int app = open(self->path, O_RDWR | O_APPEND | O_CLOEXEC), fl;

	ASSERT_LE(0, app);
	EXPECT_EQ(-EINVAL, rvd_set_backend(&self->d, app));
	close(app);

	/* The fixture's backend, switched to append mode behind the device. */
	fl = fcntl(self->file, F_GETFL);
	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(self->file, F_SETFL, fl | O_APPEND));
	memset(s->data, 0x77, 512);
	blk_queue(&self->d, s, BLK_T_OUT, 5, 512, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_IOERR, *s->status);
	ASSERT_EQ(0, fstat(self->file, &sb));
	EXPECT_EQ(DISK_BYTES, sb.st_size);
	ASSERT_EQ(512, pread(self->file, back, 512, 5 * 512));
	EXPECT_EQ(0, memcmp(back, self->model + 5 * 512, 512));
	/* Reads are unaffected by O_APPEND. */
	blk_queue(&self->d, s, BLK_T_IN, 5, 512, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	EXPECT_EQ(BLK_S_OK, *s->status);
	EXPECT_EQ(0, memcmp(s->data, self->model + 5 * 512, 512));
}

/*
 * Requests go through the VFS as read(2) and write(2) do: an inotify
 * watch on the backing file sees IN_ACCESS for a read and IN_MODIFY for a
 * write (a direct ->read_iter / ->write_iter call would skip fsnotify, and
 * with it rw_verify_area's LSM and fanotify permission checks).
 */
TEST_F(blk, io_is_seen_by_fsnotify)
{
	struct slot *s = &self->slot[0];
	union {
		struct inotify_event ev;
		char buf[4096];
	} u;
	uint32_t id, len, mask = 0;
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ssize_t n;
	char *p;

	ASSERT_LE(0, in);
	ASSERT_LE(0, inotify_add_watch(in, self->path, IN_ACCESS | IN_MODIFY));
	blk_queue(&self->d, s, BLK_T_IN, 9, 1024, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	ASSERT_EQ(BLK_S_OK, *s->status);
	blk_queue(&self->d, s, BLK_T_OUT, 9, 1024, 0, 0);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	ASSERT_EQ(BLK_S_OK, *s->status);
	/* Both events were queued before the completions we waited for. */
	n = read(in, u.buf, sizeof(u.buf));
	ASSERT_LT(0, n);
	for (p = u.buf; p < u.buf + n;) {
		struct inotify_event *ev = (struct inotify_event *)p;

		mask |= ev->mask;
		p += sizeof(*ev) + ev->len;
	}
	EXPECT_TRUE(mask & IN_ACCESS);
	EXPECT_TRUE(mask & IN_MODIFY);
	close(in);
}

/*
 * Guest memory in two regions whose user addresses are not adjacent: a
 * buffer that crosses the guest-physical boundary is split correctly.
 */
TEST_F(blk, buffer_across_two_regions)
{
	struct rvd_mem *m = &self->d.mem;
	size_t half = m->size / 2;
	uint8_t *second = mmap(NULL, half, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct {
		struct ringvm_vhost_memory hdr;
		struct ringvm_vhost_mem_region r[2];
	} t = {
		.hdr.nregions = 2,
		.r[0] = { m->gpa_base, half, (uintptr_t)m->base, 0 },
		.r[1] = { m->gpa_base + half, half, (uintptr_t)second, 0 },
	};
	struct rvd_vq *q = &self->d.vq[0];
	struct slot *s = &self->slot[0];
	uint8_t *lo = m->base + half - 512, back[1024];
	uint64_t seed = 77;
	struct rvd_buf b[3];
	uint32_t id, len;

	ASSERT_NE(MAP_FAILED, second);
	ASSERT_EQ(0, ioctl(self->d.fd, RINGVM_VHOST_SET_MEM_TABLE, &t));
	fill_random(lo, 512, &seed);
	fill_random(second, 512, &seed);
	memcpy(back, lo, 512);
	memcpy(back + 512, second, 512);

	/* OUT of sectors 10-11 from the straddling buffer */
	s->hdr->type = BLK_T_OUT;
	s->hdr->sector = 10;
	b[0] = (struct rvd_buf){ s->hdr, sizeof(*s->hdr), 0 };
	b[1] = (struct rvd_buf){ lo, 1024, 0 };	/* gpa: the last 512 of region 0 + 512 */
	b[2] = (struct rvd_buf){ s->status, 1, 1 };
	s->head = rvd_chain(&self->d, q, b, 3);
	rvd_post(q, s->head);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	ASSERT_EQ(BLK_S_OK, *s->status);
	memcpy(self->model + 10 * 512, back, 1024);
	ASSERT_EQ(1024, pread(self->file, back, 1024, 10 * 512));
	EXPECT_EQ(0, memcmp(back, self->model + 10 * 512, 1024));

	/* IN of sectors 20-21 into it */
	memset(lo, 0, 512);
	memset(second, 0, 512);
	s->hdr->type = BLK_T_IN;
	s->hdr->sector = 20;
	b[1].write = 1;
	s->head = rvd_chain(&self->d, q, b, 3);
	rvd_post(q, s->head);
	ASSERT_EQ(0, blk_run(&self->d, 1, &id, &len));
	ASSERT_EQ(BLK_S_OK, *s->status);
	EXPECT_EQ(1025, len);
	EXPECT_EQ(0, memcmp(lo, self->model + 20 * 512, 512));
	EXPECT_EQ(0, memcmp(second, self->model + 20 * 512 + 512, 512));
	munmap(second, half);
}

TEST_HARNESS_MAIN
