/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/rcupdate.h>: single-threaded, but it counts
 * read-side nesting so tests can check that callbacks run inside it.
 */
#ifndef RV_SHIM_RCUPDATE_H
#define RV_SHIM_RCUPDATE_H
#include <assert.h>
#define __rcu
struct rcu_head { void *next; };
extern int rv_shim_rcu_depth;
#define rcu_read_lock()		(rv_shim_rcu_depth++)
#define rcu_read_unlock()	do { assert(rv_shim_rcu_depth > 0); rv_shim_rcu_depth--; } while (0)
#define rcu_dereference(p)	(p)
#define RCU_INIT_POINTER(p, v)	((p) = (v))
#define rcu_replace_pointer(p, v, c) ({ __typeof__(p) __old = (p); (p) = (v); __old; })
#define smp_store_release(p, v)	(*(p) = (v))
#define smp_load_acquire(p)	(*(p))
#endif
