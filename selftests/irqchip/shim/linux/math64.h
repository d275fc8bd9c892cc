/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/math64.h>. */
#ifndef RV_SHIM_MATH64_H
#define RV_SHIM_MATH64_H
#include <assert.h>
#include <linux/types.h>
/* As x86's DIV: a quotient wider than 64 bits is a #DE, so abort here too. */
static inline u64 mul_u64_u32_div(u64 a, u32 mul, u32 div)
{
	unsigned __int128 q = ((unsigned __int128)a * mul) / div;

	assert(!(q >> 64));
	return (u64)q;
}
static inline u64 div_u64_rem(u64 a, u32 b, u32 *rem)
{
	*rem = a % b;
	return a / b;
}
static inline u64 div_u64(u64 a, u32 b)
{
	return a / b;
}
static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}
#endif
