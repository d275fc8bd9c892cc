/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ringvm: VMX/EPT virtual machines behind /dev/ringvm.
 *
 * The object model is KVM's: the system fd (/dev/ringvm) creates VM fds,
 * a VM fd creates vCPU fds.  Where an ioctl does what a KVM ioctl does, it
 * carries KVM's name with the RINGVM_ prefix and KVM's semantics; numbers,
 * structures and constants are ringvm's own.  Every structure uses
 * fixed-width types and explicit padding so that 32-bit and 64-bit, C and
 * C++ callers agree on its layout.
 *
 * Documentation/ringvm-api.rst describes every ioctl.
 */
#ifndef _UAPI_LINUX_RINGVM_H
#define _UAPI_LINUX_RINGVM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on any incompatible change; RINGVM_CHECK_EXTENSION covers additions. */
#define RINGVM_API_VERSION	1

/* 0xB8 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define RINGVMIO		0xB8

/* System ioctls, on /dev/ringvm. */
#define RINGVM_GET_API_VERSION	_IO(RINGVMIO, 0x00)

#endif /* _UAPI_LINUX_RINGVM_H */
