/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringvm_vhost: an in-kernel virtqueue worker behind /dev/ringvm-vhost.
 *
 * One device per open file.  The ioctls follow vhost's model and names with
 * the RINGVM_VHOST_ prefix; numbers and structures are ringvm's own.
 * Ring and buffer addresses are guest physical addresses, translated through
 * the memory table.
 *
 * Documentation/vhost-api.rst describes every ioctl.
 */
#ifndef _UAPI_LINUX_RINGVM_VHOST_H
#define _UAPI_LINUX_RINGVM_VHOST_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define RINGVM_VHOST_API_VERSION	1

/* 0xB9 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define RINGVM_VHOST_IO			0xB9

/* Device types (RINGVM_VHOST_SET_DEVICE_TYPE). */
#define RINGVM_VHOST_DEV_BLK		1
#define RINGVM_VHOST_DEV_NET		2

/* Queue limits. */
#define RINGVM_VHOST_MAX_QUEUES		8	/* blk; net has exactly 2 */
#define RINGVM_VHOST_MAX_VRING_NUM	1024
#define RINGVM_VHOST_MAX_REGIONS	64

/* Net queues. */
#define RINGVM_VHOST_NET_RX		0
#define RINGVM_VHOST_NET_TX		1

/* Feature bits (virtio numbering). */
#define RINGVM_VHOST_F_BLK_FLUSH	9	/* VIRTIO_BLK_F_FLUSH */
#define RINGVM_VHOST_F_INDIRECT_DESC	28	/* VIRTIO_RING_F_INDIRECT_DESC */
#define RINGVM_VHOST_F_EVENT_IDX	29	/* VIRTIO_RING_F_EVENT_IDX */
#define RINGVM_VHOST_F_VERSION_1	32	/* VIRTIO_F_VERSION_1 */

struct ringvm_vhost_mem_region {
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 flags;		/* must be 0 */
};

struct ringvm_vhost_memory {
	__u32 nregions;
	__u32 padding;		/* must be 0 */
	struct ringvm_vhost_mem_region regions[];
};

struct ringvm_vhost_vring_state {
	__u32 index;
	__u32 num;
};

struct ringvm_vhost_vring_addr {
	__u32 index;
	__u32 flags;		/* must be 0 */
	__u64 desc_gpa;		/* 16-byte aligned */
	__u64 avail_gpa;	/* 2-byte aligned */
	__u64 used_gpa;		/* 4-byte aligned */
};

struct ringvm_vhost_vring_file {
	__u32 index;
	__s32 fd;		/* an eventfd; -1 detaches */
};

struct ringvm_vhost_backend {
	__s32 fd;		/* blk: file or block device; net: tap; -1 detaches */
	__u32 padding;		/* must be 0 */
};

/*
 * blk: what GET_ID answers (the disk's serial number), NUL-padded when
 * shorter; 20 bytes as VIRTIO_BLK_ID_BYTES. "ringvm-vhost-blk" until set.
 */
#define RINGVM_VHOST_BLK_ID_BYTES	20
struct ringvm_vhost_blk_id {
	__u8 id[RINGVM_VHOST_BLK_ID_BYTES];
};

/* Why a queue stopped (ringvm_vhost_vring_stats.error). */
#define RINGVM_VHOST_ERR_NONE		0
#define RINGVM_VHOST_ERR_RING_ADDR	1	/* ring not inside one region */
#define RINGVM_VHOST_ERR_AVAIL_JUMP	2	/* avail idx moved > num */
#define RINGVM_VHOST_ERR_HEAD		3	/* head or next index >= num */
#define RINGVM_VHOST_ERR_LOOP		4	/* descriptor chain loops */
#define RINGVM_VHOST_ERR_CHAIN_LONG	5	/* chain longer than the queue */
#define RINGVM_VHOST_ERR_BUF_ADDR	6	/* buffer outside the memory table */
#define RINGVM_VHOST_ERR_LEN_OVERFLOW	7	/* addr + len or chain total wraps */
#define RINGVM_VHOST_ERR_LAYOUT		8	/* bad flags, order or request shape */
#define RINGVM_VHOST_ERR_ACCESS		9	/* ring or buffer page not mapped */

struct ringvm_vhost_vring_stats {
	__u32 index;		/* in: the queue */
	__u32 error;		/* out: RINGVM_VHOST_ERR_* */
	__u64 requests;		/* chains completed (put on the used ring) */
	__u64 bytes;		/* payload bytes moved */
	__u64 kicks;		/* kick eventfd wakeups */
	__u64 calls;		/* call eventfd signals */
	__u64 batches;		/* worker passes that completed a chain */
	__u64 errors;		/* times the queue entered the error state */
};

#define RINGVM_VHOST_GET_API_VERSION	_IO(RINGVM_VHOST_IO, 0x00)
#define RINGVM_VHOST_SET_OWNER		_IO(RINGVM_VHOST_IO, 0x01)
#define RINGVM_VHOST_SET_DEVICE_TYPE	_IOW(RINGVM_VHOST_IO, 0x02, __u32)
#define RINGVM_VHOST_GET_FEATURES	_IOR(RINGVM_VHOST_IO, 0x03, __u64)
#define RINGVM_VHOST_SET_FEATURES	_IOW(RINGVM_VHOST_IO, 0x04, __u64)
#define RINGVM_VHOST_SET_MEM_TABLE	_IOW(RINGVM_VHOST_IO, 0x05, struct ringvm_vhost_memory)
#define RINGVM_VHOST_SET_BACKEND	_IOW(RINGVM_VHOST_IO, 0x06, struct ringvm_vhost_backend)
#define RINGVM_VHOST_SET_BLK_ID		_IOW(RINGVM_VHOST_IO, 0x07, struct ringvm_vhost_blk_id)

#define RINGVM_VHOST_SET_VRING_NUM	_IOW(RINGVM_VHOST_IO, 0x10, struct ringvm_vhost_vring_state)
#define RINGVM_VHOST_SET_VRING_ADDR	_IOW(RINGVM_VHOST_IO, 0x11, struct ringvm_vhost_vring_addr)
#define RINGVM_VHOST_SET_VRING_BASE	_IOW(RINGVM_VHOST_IO, 0x12, struct ringvm_vhost_vring_state)
#define RINGVM_VHOST_GET_VRING_BASE	_IOWR(RINGVM_VHOST_IO, 0x13, struct ringvm_vhost_vring_state)
#define RINGVM_VHOST_SET_VRING_KICK	_IOW(RINGVM_VHOST_IO, 0x14, struct ringvm_vhost_vring_file)
#define RINGVM_VHOST_SET_VRING_CALL	_IOW(RINGVM_VHOST_IO, 0x15, struct ringvm_vhost_vring_file)
#define RINGVM_VHOST_SET_VRING_ERR	_IOW(RINGVM_VHOST_IO, 0x16, struct ringvm_vhost_vring_file)
#define RINGVM_VHOST_GET_VRING_STATS	_IOWR(RINGVM_VHOST_IO, 0x17, struct ringvm_vhost_vring_stats)

#endif /* _UAPI_LINUX_RINGVM_VHOST_H */
