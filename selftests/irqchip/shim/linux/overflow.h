/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/overflow.h>. */
#ifndef RV_SHIM_OVERFLOW_H
#define RV_SHIM_OVERFLOW_H
#include <stddef.h>
#define struct_size(p, member, n) (sizeof(*(p)) + sizeof(*(p)->member) * (size_t)(n))
#endif
