/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/atomic.h>: the xchg() the models use. */
#ifndef RV_SHIM_ATOMIC_H
#define RV_SHIM_ATOMIC_H
#define xchg(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#endif
