/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver side of a split virtqueue, for the ringvm_vhost selftests: the
 * test lays out rings and buffers in its own memory ("guest memory", at a
 * guest physical base different from its address), hands them to a device
 * and reads the results back.
 */
#ifndef RINGVM_VHOST_DRIVER_H
#define RINGVM_VHOST_DRIVER_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <dirent.h>
#include <unistd.h>

#include <linux/ringvm_vhost.h>

#define RVD_DEVICE		"/dev/ringvm-vhost"
#define RVD_GPA_BASE		0x40000000ULL
#define RVD_WAIT_MS		20000	/* generous: TCG on a loaded machine */

#define RVD_DESC_F_NEXT		1
#define RVD_DESC_F_WRITE	2
#define RVD_DESC_F_INDIRECT	4

#define RVD_F(bit)		(1ULL << (bit))
#define RVD_BASE_FEATURES	RVD_F(RINGVM_VHOST_F_VERSION_1)

struct rvd_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct rvd_mem {
	uint8_t *base;
	size_t size;
	size_t brk;
	uint64_t gpa_base;
};

struct rvd_vq {
	unsigned int index;
	uint16_t num;
	struct rvd_desc *desc;
	uint8_t *avail;
	uint8_t *used;
	uint16_t avail_idx;	/* driver's next avail index */
	uint16_t used_seen;	/* used entries consumed */
	uint16_t next_desc;	/* round-robin descriptor allocator */
	int kick, call, err;
};

struct rvd_dev {
	int fd;
	unsigned int nq;
	struct rvd_mem mem;
	struct rvd_vq vq[RINGVM_VHOST_MAX_QUEUES];
	const char *failed;	/* the setup step that failed */
};

static inline int rvd_mem_init(struct rvd_mem *m, size_t size)
{
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return -errno;
	}
	m->size = size;
	m->brk = 0;
	m->gpa_base = RVD_GPA_BASE;
	return 0;
}

static inline void *rvd_alloc(struct rvd_mem *m, size_t size, size_t align)
{
	size_t at = (m->brk + align - 1) & ~(align - 1);

	if (at + size > m->size)
		return NULL;
	m->brk = at + size;
	memset(m->base + at, 0, size);
	return m->base + at;
}

static inline uint64_t rvd_gpa(const struct rvd_mem *m, const void *p)
{
	return m->gpa_base + ((const uint8_t *)p - m->base);
}

/* Ring fields, as the virtio spec lays them out. */
static inline uint16_t *rvd_avail_flags(struct rvd_vq *q)
{
	return (uint16_t *)q->avail;
}

static inline uint16_t *rvd_avail_idx_p(struct rvd_vq *q)
{
	return (uint16_t *)(q->avail + 2);
}

static inline uint16_t *rvd_avail_ring(struct rvd_vq *q)
{
	return (uint16_t *)(q->avail + 4);
}

static inline uint16_t *rvd_used_event(struct rvd_vq *q)
{
	return (uint16_t *)(q->avail + 4 + 2 * q->num);
}

static inline uint16_t *rvd_used_flags(struct rvd_vq *q)
{
	return (uint16_t *)q->used;
}

static inline uint16_t rvd_used_idx(struct rvd_vq *q)
{
	return __atomic_load_n((uint16_t *)(q->used + 2), __ATOMIC_ACQUIRE);
}

static inline uint32_t *rvd_used_elem(struct rvd_vq *q, uint16_t i)
{
	return (uint32_t *)(q->used + 4 + 8 * (i & (q->num - 1)));
}

static inline uint16_t *rvd_avail_event(struct rvd_vq *q)
{
	return (uint16_t *)(q->used + 4 + 8 * q->num);
}

static inline int rvd_vring_file(int fd, unsigned long ioc, unsigned int index,
				 int efd)
{
	struct ringvm_vhost_vring_file f = { .index = index, .fd = efd };

	return ioctl(fd, ioc, &f) ? -errno : 0;
}

static inline int rvd_set_mem_one(int fd, const struct rvd_mem *m)
{
	struct {
		struct ringvm_vhost_memory hdr;
		struct ringvm_vhost_mem_region r;
	} t = {
		.hdr.nregions = 1,
		.r.guest_phys_addr = m->gpa_base,
		.r.memory_size = m->size,
		.r.userspace_addr = (uintptr_t)m->base,
	};

	return ioctl(fd, RINGVM_VHOST_SET_MEM_TABLE, &t) ? -errno : 0;
}

#define RVD_STEP(d, what, expr) do {			\
	int __r = (expr);				\
	if (__r < 0) {					\
		(d)->failed = (what);			\
		return __r;				\
	}						\
} while (0)

/* Lays out queue @i (@num entries) in guest memory and hands it over. */
static inline int rvd_vq_setup(struct rvd_dev *d, unsigned int i, uint16_t num)
{
	struct rvd_vq *q = &d->vq[i];
	struct ringvm_vhost_vring_state st = { .index = i, .num = num };
	struct ringvm_vhost_vring_addr a = { .index = i };

	q->index = i;
	q->num = num;
	q->desc = rvd_alloc(&d->mem, 16 * num, 16);
	q->avail = rvd_alloc(&d->mem, 6 + 2 * num, 2);
	q->used = rvd_alloc(&d->mem, 6 + 8 * num, 4);
	if (!q->desc || !q->avail || !q->used) {
		d->failed = "ring allocation";
		return -ENOMEM;
	}
	q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick < 0 || q->call < 0 || q->err < 0) {
		d->failed = "eventfd";
		return -errno;
	}
	a.desc_gpa = rvd_gpa(&d->mem, q->desc);
	a.avail_gpa = rvd_gpa(&d->mem, q->avail);
	a.used_gpa = rvd_gpa(&d->mem, q->used);
	RVD_STEP(d, "SET_VRING_NUM",
		 ioctl(d->fd, RINGVM_VHOST_SET_VRING_NUM, &st) ? -errno : 0);
	RVD_STEP(d, "SET_VRING_ADDR",
		 ioctl(d->fd, RINGVM_VHOST_SET_VRING_ADDR, &a) ? -errno : 0);
	st.num = 0;
	RVD_STEP(d, "SET_VRING_BASE",
		 ioctl(d->fd, RINGVM_VHOST_SET_VRING_BASE, &st) ? -errno : 0);
	RVD_STEP(d, "SET_VRING_KICK",
		 rvd_vring_file(d->fd, RINGVM_VHOST_SET_VRING_KICK, i, q->kick));
	RVD_STEP(d, "SET_VRING_CALL",
		 rvd_vring_file(d->fd, RINGVM_VHOST_SET_VRING_CALL, i, q->call));
	RVD_STEP(d, "SET_VRING_ERR",
		 rvd_vring_file(d->fd, RINGVM_VHOST_SET_VRING_ERR, i, q->err));
	return 0;
}

/*
 * Opens a device of @type with @features and @nq queues of @num entries in
 * @memsize bytes of fresh guest memory.  Backend left to the caller.
 */
static inline int rvd_open(struct rvd_dev *d, uint32_t type, uint64_t features,
			   unsigned int nq, uint16_t num, size_t memsize)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++) {
		d->vq[i].kick = -1;
		d->vq[i].call = -1;
		d->vq[i].err = -1;
	}
	d->nq = nq;
	RVD_STEP(d, "guest memory", rvd_mem_init(&d->mem, memsize));
	d->fd = open(RVD_DEVICE, O_RDWR | O_CLOEXEC);
	RVD_STEP(d, "open", d->fd < 0 ? -errno : 0);
	RVD_STEP(d, "SET_OWNER",
		 ioctl(d->fd, RINGVM_VHOST_SET_OWNER) ? -errno : 0);
	RVD_STEP(d, "SET_DEVICE_TYPE",
		 ioctl(d->fd, RINGVM_VHOST_SET_DEVICE_TYPE, &type) ? -errno : 0);
	RVD_STEP(d, "SET_FEATURES",
		 ioctl(d->fd, RINGVM_VHOST_SET_FEATURES, &features) ? -errno : 0);
	RVD_STEP(d, "SET_MEM_TABLE", rvd_set_mem_one(d->fd, &d->mem));
	for (i = 0; i < nq; i++) {
		int r = rvd_vq_setup(d, i, num);

		if (r)
			return r;
	}
	return 0;
}

static inline int rvd_set_backend(struct rvd_dev *d, int fd)
{
	struct ringvm_vhost_backend b = { .fd = fd };

	if (ioctl(d->fd, RINGVM_VHOST_SET_BACKEND, &b)) {
		d->failed = "SET_BACKEND";
		return -errno;
	}
	return 0;
}

static inline void rvd_close(struct rvd_dev *d)
{
	unsigned int i;

	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++) {
		if (d->vq[i].kick >= 0)
			close(d->vq[i].kick);
		if (d->vq[i].call >= 0)
			close(d->vq[i].call);
		if (d->vq[i].err >= 0)
			close(d->vq[i].err);
		d->vq[i].kick = d->vq[i].call = d->vq[i].err = -1;
	}
	if (d->mem.base)
		munmap(d->mem.base, d->mem.size);
	d->mem.base = NULL;
}

/* Takes descriptor slots round-robin; callers keep in-flight ones < num. */
static inline uint16_t rvd_desc_take(struct rvd_vq *q)
{
	return q->next_desc++ & (q->num - 1);
}

struct rvd_buf {
	void *p;
	uint32_t len;
	int write;	/* device-writable */
};

/* Builds a direct chain from @bufs; returns its head. */
static inline uint16_t rvd_chain(struct rvd_dev *d, struct rvd_vq *q,
				 const struct rvd_buf *bufs, unsigned int n)
{
	uint16_t head = rvd_desc_take(q), cur = head;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rvd_desc *dd = &q->desc[cur];

		dd->addr = rvd_gpa(&d->mem, bufs[i].p);
		dd->len = bufs[i].len;
		dd->flags = bufs[i].write ? RVD_DESC_F_WRITE : 0;
		if (i + 1 < n) {
			uint16_t next = rvd_desc_take(q);

			dd->flags |= RVD_DESC_F_NEXT;
			dd->next = next;
			cur = next;
		}
	}
	return head;
}

/* Builds an indirect chain (table from guest memory @table); returns its head. */
static inline uint16_t rvd_chain_indirect(struct rvd_dev *d, struct rvd_vq *q,
					  struct rvd_desc *table,
					  const struct rvd_buf *bufs,
					  unsigned int n)
{
	uint16_t head = rvd_desc_take(q);
	unsigned int i;

	for (i = 0; i < n; i++) {
		table[i].addr = rvd_gpa(&d->mem, bufs[i].p);
		table[i].len = bufs[i].len;
		table[i].flags = (bufs[i].write ? RVD_DESC_F_WRITE : 0) |
				 (i + 1 < n ? RVD_DESC_F_NEXT : 0);
		table[i].next = i + 1;
	}
	q->desc[head].addr = rvd_gpa(&d->mem, table);
	q->desc[head].len = n * sizeof(*table);
	q->desc[head].flags = RVD_DESC_F_INDIRECT;
	q->desc[head].next = 0;
	return head;
}

/* Puts @head on the avail ring (not yet visible: see rvd_publish). */
static inline void rvd_post(struct rvd_vq *q, uint16_t head)
{
	rvd_avail_ring(q)[q->avail_idx & (q->num - 1)] = head;
	q->avail_idx++;
}

static inline void rvd_publish(struct rvd_vq *q)
{
	__atomic_store_n(rvd_avail_idx_p(q), q->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline int rvd_kick(struct rvd_vq *q)
{
	uint64_t one = 1;

	return write(q->kick, &one, 8) == 8 ? 0 : -errno;
}

/* Waits (poll, generous timeout) until @fd's eventfd fires; its count or -errno. */
static inline int64_t rvd_wait_efd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;
	int r = poll(&p, 1, ms);

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	if (read(fd, &v, 8) != 8)
		return -errno;
	return (int64_t)v;
}

/* True once the used index has reached or passed @target. */
static inline int rvd_used_reached(struct rvd_vq *q, uint16_t target)
{
	return (int16_t)(rvd_used_idx(q) - target) >= 0;
}

/* Waits on the call eventfd until the used index reaches @target. */
static inline int rvd_wait_used(struct rvd_vq *q, uint16_t target)
{
	while (!rvd_used_reached(q, target)) {
		int64_t r = rvd_wait_efd(q->call, RVD_WAIT_MS);

		if (r < 0 && !rvd_used_reached(q, target))
			return (int)r;
	}
	return 0;
}

/*
 * Waits for the used index without an interrupt (the driver asked for
 * none): yields until it reaches @target or a generous deadline passes.
 */
static inline int rvd_spin_used(struct rvd_vq *q, uint16_t target)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!rvd_used_reached(q, target)) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 > RVD_WAIT_MS)
			return -ETIMEDOUT;
	}
	return 0;
}

static inline int rvd_stats(struct rvd_dev *d, unsigned int i,
			    struct ringvm_vhost_vring_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->index = i;
	return ioctl(d->fd, RINGVM_VHOST_GET_VRING_STATS, s) ? -errno : 0;
}

/* Drains an eventfd without waiting; returns its count (0 when unsignalled). */
static inline uint64_t rvd_efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, 8) != 8)
		return 0;
	return v;
}

/*
 * The worker of the device owned by @owner: the task named
 * "ringvm-vhost-<owner>", a thread of the owner (vhost_task, its comm cut
 * to 15 characters) or a kthread (/proc shows a kthread's full name); its
 * tid, 0 when there is none, -1 when there are several.
 */
static inline pid_t rvd_find_worker(pid_t owner)
{
	char want[32], cut[16], path[600], comm[64];
	struct dirent *p, *t;
	DIR *procs, *tasks;
	pid_t found = 0;

	snprintf(want, sizeof(want), "ringvm-vhost-%d", (int)owner);
	memcpy(cut, want, sizeof(cut) - 1);
	cut[sizeof(cut) - 1] = 0;
	procs = opendir("/proc");
	if (!procs)
		return -1;
	while ((p = readdir(procs))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;
		while ((t = readdir(tasks))) {
			FILE *f;

			if (t->d_name[0] < '1' || t->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/comm",
				 p->d_name, t->d_name);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (fgets(comm, sizeof(comm), f)) {
				comm[strcspn(comm, "\n")] = 0;
				if (!strcmp(comm, want) || !strcmp(comm, cut))
					found = found ? -1 : atoi(t->d_name);
			}
			fclose(f);
		}
		closedir(tasks);
	}
	closedir(procs);
	return found;
}

/* A small deterministic PRNG so that a failure can be replayed. */
static inline uint64_t rvd_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif /* RINGVM_VHOST_DRIVER_H */
