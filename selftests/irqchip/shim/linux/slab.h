/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/slab.h>: allocations go to the ASan heap. */
#ifndef RV_SHIM_SLAB_H
#define RV_SHIM_SLAB_H
#include <stdlib.h>
#define GFP_KERNEL		0
#define GFP_KERNEL_ACCOUNT	0
#define kvzalloc(size, gfp)	calloc(1, (size))
#define kvfree(p)		free(p)
#endif
