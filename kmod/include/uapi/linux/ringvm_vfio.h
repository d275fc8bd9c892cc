/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringvm_vfio: an IOMMU-backed PCI passthrough broker behind /dev/ringvm-vfio.
 *
 * Documentation/vfio-api.rst describes every ioctl.
 */
#ifndef _UAPI_LINUX_RINGVM_VFIO_H
#define _UAPI_LINUX_RINGVM_VFIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define RINGVM_VFIO_API_VERSION		1

/* 0xBA is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define RINGVM_VFIO_IO			0xBA

#define RINGVM_VFIO_GET_API_VERSION	_IO(RINGVM_VFIO_IO, 0x00)

#endif /* _UAPI_LINUX_RINGVM_VFIO_H */
