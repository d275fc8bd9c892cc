/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/math64.h>. */
#ifndef RV_SHIM_MATH64_H
#define RV_SHIM_MATH64_H
#include <linux/types.h>
static inline u64 mul_u64_u32_div(u64 a, u32 mul, u32 div)
{
	return (u64)(((unsigned __int128)a * mul) / div);
}
static inline u64 div64_u64(u64 a, u64 b)
{
	return a / b;
}
#endif
