// SPDX-License-Identifier: GPL-2.0
/*
 * Before entering the guest, do what the way back to user mode would:
 * schedule if asked, run task work (queued by task_work_add(): ptrace,
 * perf, io_uring, the freezer's cgroup side...), rseq and memory-cgroup
 * throttling (TIF_NOTIFY_RESUME), and stop for a signal.  Without it that
 * work waits until the vCPU thread next leaves RINGVM_RUN, which a guest
 * that never exits to userspace can put off for ever.
 *
 * The kernel does this for KVM in xfer_to_guest_mode_handle_work(), which
 * is exported; its pieces (resume_user_mode_work(), task_work_run()) are
 * not.  It takes a struct kvm_vcpu, and uses it for one thing: when a
 * signal is pending it sets vcpu->run->exit_reason and counts the exit
 * in vcpu->stat.  ringvm hands it a zeroed struct kvm_vcpu of the
 * running kernel's layout whose run points at a scratch struct kvm_run,
 * one pair per ringvm vCPU (the vCPU's thread is the only writer), and
 * turns -EINTR into its own RINGVM_EXIT_INTR.  Both kernel versions
 * ringvm builds for (6.1 and 6.12) have this function and contract.
 *
 * TIF_NOTIFY_RESUME is handled in place with no registers, as for KVM:
 * rseq then refreshes the thread's CPU id without an IP fixup, which is
 * right, as the thread is in a system call and not in a critical section.
 */
#include <linux/kvm_host.h>
#include <linux/slab.h>

#include "entry_work.h"

struct ringvm_entry_work {
	struct kvm_vcpu vcpu;
	struct kvm_run run;
};

struct ringvm_entry_work *ringvm_entry_work_alloc(void)
{
	struct ringvm_entry_work *w = kvzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);

	if (w)
		w->vcpu.run = &w->run;
	return w;
}

void ringvm_entry_work_free(struct ringvm_entry_work *w)
{
	kvfree(w);
}

int ringvm_entry_work(struct ringvm_entry_work *w)
{
	return xfer_to_guest_mode_handle_work(&w->vcpu);
}
