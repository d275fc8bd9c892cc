// SPDX-License-Identifier: GPL-2.0
/*
 * The MMU notifier on the VMM's mm.  Device memory mapped into EPT has no
 * pin to keep it, so its leaves must go before the VMM's PTE for the same
 * address does: otherwise a munmap, a BAR reset that zaps the mapping or a
 * device's removal would leave the guest a path to whatever takes that
 * physical range next.  Pinned leaves are left alone here: the pin already
 * keeps their pages the guest's until the slot goes (ept.c).
 *
 * An EPT fault that looked up a PFN while an invalidation covered it, or
 * before one ended, sees mmu_seq or mmu_invalidating change and retries
 * (ept.c: mmu_retry), as KVM's mmu_invalidate_seq does.
 */
#include <linux/mmu_notifier.h>

#include "ept.h"
#include "vm.h"

static inline struct ringvm_vm *mn_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct ringvm_vm, mmu_notifier);
}

/* Never sleeps: mmu_lock is a spinlock and INVEPT IPIs are waited for by spinning. */
static int ringvm_mn_invalidate_range_start(struct mmu_notifier *mn,
					    const struct mmu_notifier_range *range)
{
	struct ringvm_vm *vm = mn_vm(mn);
	bool zapped;

	spin_lock(&vm->mmu_lock);
	if (!vm->mmu_invalidating++) {
		vm->inval_start = range->start;
		vm->inval_end = range->end;
	} else {
		vm->inval_start = min(vm->inval_start, range->start);
		vm->inval_end = max(vm->inval_end, range->end);
	}
	zapped = ringvm_ept_zap_device_hva(vm, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	if (zapped)
		ringvm_ept_flush(vm);
	return 0;
}

static void ringvm_mn_invalidate_range_end(struct mmu_notifier *mn,
					   const struct mmu_notifier_range *range)
{
	struct ringvm_vm *vm = mn_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	if (vm->mmu_invalidating)
		vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/* The mm is going (exit_mmap) or the VM unregisters: no mapping is left. */
static void ringvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ringvm_vm *vm = mn_vm(mn);
	bool zapped;

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	zapped = ringvm_ept_zap_device_hva(vm, 0, ULONG_MAX);
	spin_unlock(&vm->mmu_lock);
	if (zapped)
		ringvm_ept_flush(vm);
}

static const struct mmu_notifier_ops ringvm_mn_ops = {
	.invalidate_range_start	= ringvm_mn_invalidate_range_start,
	.invalidate_range_end	= ringvm_mn_invalidate_range_end,
	.release		= ringvm_mn_release,
};

/* vm->mm is the creating task's, live: called from its ioctl. */
int ringvm_mmu_notifier_register(struct ringvm_vm *vm)
{
	vm->mmu_notifier.ops = &ringvm_mn_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

/* Waits for callbacks under way; none runs once it returns. */
void ringvm_mmu_notifier_unregister(struct ringvm_vm *vm)
{
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}
