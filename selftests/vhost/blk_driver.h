/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal virtio-blk request builder on top of vhost_driver.h, for the
 * suites that need "some request that completes" (notification,
 * malformed-ring, concurrency and ABI tests).
 */
#ifndef RINGVM_VHOST_BLK_DRIVER_H
#define RINGVM_VHOST_BLK_DRIVER_H

#include "vhost_driver.h"

#define RVB_T_IN	0
#define RVB_T_OUT	1
#define RVB_T_GET_ID	8
#define RVB_S_OK	0

struct rvb_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

/* One request's buffers in guest memory. */
struct rvb_req {
	struct rvb_hdr *hdr;
	uint8_t *data;
	uint8_t *status;
	uint32_t cap;
};

static inline int rvb_req_alloc(struct rvd_dev *d, struct rvb_req *r,
				uint32_t cap)
{
	r->hdr = rvd_alloc(&d->mem, sizeof(*r->hdr), 16);
	r->data = rvd_alloc(&d->mem, cap, 512);
	r->status = rvd_alloc(&d->mem, 1, 1);
	r->cap = cap;
	return r->status ? 0 : -ENOMEM;
}

/* Puts a request on @q's avail ring (unpublished); returns the head. */
static inline uint16_t rvb_queue(struct rvd_dev *d, struct rvd_vq *q,
				 struct rvb_req *r, uint32_t type,
				 uint64_t sector, uint32_t len)
{
	int dw = type != RVB_T_OUT;
	struct rvd_buf b[3] = {
		{ r->hdr, sizeof(*r->hdr), 0 },
		{ r->data, len, dw },
		{ r->status, 1, 1 },
	};
	uint16_t head;

	r->hdr->type = type;
	r->hdr->ioprio = 0;
	r->hdr->sector = sector;
	*r->status = 0xee;
	if (len) {
		head = rvd_chain(d, q, b, 3);
	} else {
		b[1] = b[2];
		head = rvd_chain(d, q, b, 2);
	}
	rvd_post(q, head);
	return head;
}

/* GET_ID on @q, published, kicked and waited for; 0 when it completed OK. */
static inline int rvb_get_id_sync(struct rvd_dev *d, struct rvd_vq *q,
				  struct rvb_req *r)
{
	int err;

	rvb_queue(d, q, r, RVB_T_GET_ID, 0, 20);
	rvd_publish(q);
	err = rvd_kick(q);
	if (err)
		return err;
	err = rvd_wait_used(q, ++q->used_seen);
	if (err)
		return err;
	if (*r->status != RVB_S_OK || memcmp(r->data, "ringvm-vhost-blk", 16))
		return -EIO;
	return 0;
}

/* A 1 MiB file on the host's tmpfs to back a block device; unlinked at once. */
static inline int rvb_backing_file(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/rvb-%d-XXXXXX", getpid());
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, 1 << 20)) {
		close(fd);
		return -errno;
	}
	return fd;
}

#endif /* RINGVM_VHOST_BLK_DRIVER_H */
