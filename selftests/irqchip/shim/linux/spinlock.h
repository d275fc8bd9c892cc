/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/spinlock.h>: single-threaded, but it aborts
 * on a recursive lock or an unlock of a free lock, so the unit tests catch
 * a callback that re-enters the code holding the lock.
 */
#ifndef RV_SHIM_SPINLOCK_H
#define RV_SHIM_SPINLOCK_H
#include <assert.h>
typedef struct { int locked; } spinlock_t;
#define spin_lock_init(l)	((l)->locked = 0)
#define spin_lock(l)		do { assert(!(l)->locked); (l)->locked = 1; } while (0)
#define spin_unlock(l)		do { assert((l)->locked); (l)->locked = 0; } while (0)
#define spin_is_locked(l)	((l)->locked)
typedef spinlock_t raw_spinlock_t;
#define raw_spin_lock_init(l)	spin_lock_init(l)
#define raw_spin_lock(l)	spin_lock(l)
#define raw_spin_unlock(l)	spin_unlock(l)
#endif
