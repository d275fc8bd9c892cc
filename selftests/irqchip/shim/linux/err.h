/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/err.h>. */
#ifndef RV_SHIM_ERR_H
#define RV_SHIM_ERR_H
#include <stdbool.h>
#define ERR_PTR(e)	((void *)(long)(e))
#define PTR_ERR(p)	((long)(p))
#define IS_ERR(p)	((unsigned long)(p) >= (unsigned long)-4095)
#endif
