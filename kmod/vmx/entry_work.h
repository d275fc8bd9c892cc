/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The work a return to user mode would do, done before each VM entry
 * instead (entry_work.c).
 */
#ifndef RINGVM_ENTRY_WORK_H
#define RINGVM_ENTRY_WORK_H

#include <linux/entry-kvm.h>

struct ringvm_entry_work;

struct ringvm_entry_work *ringvm_entry_work_alloc(void);
void ringvm_entry_work_free(struct ringvm_entry_work *w);

/*
 * Preemptible, between VM exits: reschedule, run task work and the rest
 * of TIF_NOTIFY_RESUME's work; -EINTR when a signal is pending.
 */
int ringvm_entry_work(struct ringvm_entry_work *w);

/* Interrupts off, just before VM entry: is there work the above must do first? */
static inline bool ringvm_entry_work_pending(void)
{
	return __xfer_to_guest_mode_work_pending();
}

#endif /* RINGVM_ENTRY_WORK_H */
