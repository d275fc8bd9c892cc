/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the few <linux/kernel.h> and bitops helpers used. */
#ifndef RV_SHIM_KERNEL_H
#define RV_SHIM_KERNEL_H
#include <linux/types.h>
#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define BITS_PER_LONG	64
static inline void __set_bit(unsigned int nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = 0; (bit) < (size); (bit)++)			\
		if (!((addr)[(bit) / BITS_PER_LONG] & (1UL << ((bit) % BITS_PER_LONG)))) \
			continue;					\
		else
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define min(a, b)	((a) < (b) ? (a) : (b))
#endif
