/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/bitops.h>: single-threaded bit operations. */
#ifndef RV_SHIM_BITOPS_H
#define RV_SHIM_BITOPS_H
#include <linux/kernel.h>
static inline int test_bit(unsigned int nr, const unsigned long *a)
{
	return (a[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}
static inline void set_bit(unsigned int nr, unsigned long *a)
{
	a[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline void clear_bit(unsigned int nr, unsigned long *a)
{
	a[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}
static inline int test_and_set_bit(unsigned int nr, unsigned long *a)
{
	int old = test_bit(nr, a);

	set_bit(nr, a);
	return old;
}
static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}
#endif
