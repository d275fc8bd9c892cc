/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringvm_vfio: an IOMMU-backed PCI passthrough broker.
 *
 * /dev/ringvm-vfio is the control node (API version only).  Each PCI
 * device bound to the "ringvm-vfio" PCI driver gets its own node,
 * /dev/ringvm-vfio-dev/<domain:bus:slot.fn>, which carries every ioctl
 * below.  Documentation/vfio-api.rst describes them all.
 */
#ifndef _UAPI_LINUX_RINGVM_VFIO_H
#define _UAPI_LINUX_RINGVM_VFIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define RINGVM_VFIO_API_VERSION		1

/* 0xBA is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define RINGVM_VFIO_IO			0xBA

/* Name of the PCI driver, for /sys/bus/pci/devices/BDF/driver_override. */
#define RINGVM_VFIO_DRIVER_NAME		"ringvm-vfio"
/* Directory under /dev holding one node per bound device. */
#define RINGVM_VFIO_DEV_DIR		"/dev/ringvm-vfio-dev"

/* ---- control node ---- */
#define RINGVM_VFIO_GET_API_VERSION	_IO(RINGVM_VFIO_IO, 0x00)

/* ---- device node ---- */

/* Regions: BAR0..BAR5, then configuration space. */
#define RINGVM_VFIO_REGION_BAR0		0
#define RINGVM_VFIO_REGION_BAR5		5
#define RINGVM_VFIO_REGION_CONFIG	6
#define RINGVM_VFIO_NUM_REGIONS		7

/* File offset of region @index for pread/pwrite/mmap. */
#define RINGVM_VFIO_REGION_SHIFT	40
#define RINGVM_VFIO_REGION_OFFSET(index) \
	((__u64)(index) << RINGVM_VFIO_REGION_SHIFT)

/* Interrupt kinds. */
#define RINGVM_VFIO_IRQ_INTX		0
#define RINGVM_VFIO_IRQ_MSI		1
#define RINGVM_VFIO_IRQ_MSIX		2
#define RINGVM_VFIO_NUM_IRQS		3

#define RINGVM_VFIO_DEVICE_FLAG_RESET	(1u << 0) /* function-level reset */
#define RINGVM_VFIO_DEVICE_FLAG_INTX_MASK (1u << 1) /* DisINTx works */

struct ringvm_vfio_device_info {
	__u32 flags;		/* RINGVM_VFIO_DEVICE_FLAG_* */
	__u32 num_regions;	/* RINGVM_VFIO_NUM_REGIONS */
	__u32 num_irqs;		/* RINGVM_VFIO_NUM_IRQS */
	__u16 vendor;
	__u16 device;
	__u64 iova_pgsizes;	/* IOMMU page sizes; MAP_DMA needs 4 KiB alignment */
	__u64 iova_start;	/* lowest and highest IOVA MAP_DMA accepts */
	__u64 iova_end;
};

#define RINGVM_VFIO_REGION_READ		(1u << 0)
#define RINGVM_VFIO_REGION_WRITE	(1u << 1)
#define RINGVM_VFIO_REGION_MMAP		(1u << 2)
#define RINGVM_VFIO_REGION_IO_PORT	(1u << 3)

struct ringvm_vfio_region_info {
	__u32 index;		/* in: RINGVM_VFIO_REGION_* */
	__u32 flags;		/* out: RINGVM_VFIO_REGION_* flags; 0 if absent */
	__u64 size;		/* out: bytes; 0 if the BAR is not implemented */
	__u64 offset;		/* out: file offset of the region */
};

struct ringvm_vfio_irq_info {
	__u32 index;		/* in: RINGVM_VFIO_IRQ_* */
	__u32 count;		/* out: vectors the device offers (0: none) */
};

#define RINGVM_VFIO_DMA_READ		(1u << 0) /* device may read */
#define RINGVM_VFIO_DMA_WRITE		(1u << 1) /* device may write */

struct ringvm_vfio_dma_map {
	__u64 iova;		/* page aligned */
	__u64 vaddr;		/* page aligned address in the caller's mm */
	__u64 size;		/* page aligned, non-zero */
	__u32 flags;		/* RINGVM_VFIO_DMA_* (at least one) */
	__u32 pad;		/* must be 0 */
};

/* Removes every mapping inside [iova, iova + size); none may straddle it. */
struct ringvm_vfio_dma_unmap {
	__u64 iova;
	__u64 size;
};

/*
 * Routes the vectors of one interrupt kind to eventfds.  count = 0 turns
 * the kind off; otherwise fds points to count __s32 eventfds, one per
 * vector.  Only one kind may be on at a time.
 */
struct ringvm_vfio_irq_set {
	__u32 index;		/* RINGVM_VFIO_IRQ_* */
	__u32 count;
	__u64 fds;		/* user pointer to __s32[count] */
};

#define RINGVM_VFIO_RESET_FUNCTION	1 /* PCI function reset (FLR, PM, bus) */
#define RINGVM_VFIO_RESET_RESTORE	2 /* no reset method: quiesce + restore */

#define RINGVM_VFIO_GET_DEVICE_INFO	_IOR(RINGVM_VFIO_IO, 0x01, struct ringvm_vfio_device_info)
#define RINGVM_VFIO_GET_REGION_INFO	_IOWR(RINGVM_VFIO_IO, 0x02, struct ringvm_vfio_region_info)
#define RINGVM_VFIO_GET_IRQ_INFO	_IOWR(RINGVM_VFIO_IO, 0x03, struct ringvm_vfio_irq_info)
#define RINGVM_VFIO_MAP_DMA		_IOW(RINGVM_VFIO_IO, 0x04, struct ringvm_vfio_dma_map)
#define RINGVM_VFIO_UNMAP_DMA		_IOW(RINGVM_VFIO_IO, 0x05, struct ringvm_vfio_dma_unmap)
#define RINGVM_VFIO_SET_IRQS		_IOW(RINGVM_VFIO_IO, 0x06, struct ringvm_vfio_irq_set)
#define RINGVM_VFIO_UNMASK_INTX		_IO(RINGVM_VFIO_IO, 0x07)
/* Returns RINGVM_VFIO_RESET_FUNCTION or RINGVM_VFIO_RESET_RESTORE. */
#define RINGVM_VFIO_RESET		_IO(RINGVM_VFIO_IO, 0x08)
/*
 * An eventfd (__s32; -1 removes it) the broker signals when the host
 * wants the device back, i.e. its driver is being unbound while the node
 * is open: the owner should stop using the device and close the node, which
 * the unbind waits for.  vfio-pci's request interrupt.
 */
#define RINGVM_VFIO_SET_REQ_EVENTFD	_IOW(RINGVM_VFIO_IO, 0x09, __s32)

#endif /* _UAPI_LINUX_RINGVM_VFIO_H */
