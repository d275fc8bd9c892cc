/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringvm_vhost: an in-kernel virtqueue worker behind /dev/ringvm-vhost.
 *
 * One device per open file.  The ioctls follow vhost's model and names with
 * the RINGVM_VHOST_ prefix; numbers and structures are ringvm's own.
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

#define RINGVM_VHOST_GET_API_VERSION	_IO(RINGVM_VHOST_IO, 0x00)

#endif /* _UAPI_LINUX_RINGVM_VHOST_H */
