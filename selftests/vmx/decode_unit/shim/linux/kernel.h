/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SHIM_LINUX_KERNEL_H
#define SHIM_LINUX_KERNEL_H
#define min(a, b) ((a) < (b) ? (a) : (b))
#define fallthrough __attribute__((__fallthrough__))
#endif
