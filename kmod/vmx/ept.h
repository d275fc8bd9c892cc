/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EPT: guest-physical to host-physical, 4 levels, 4 KiB leaves.  Leaves
 * are filled on EPT violation from the memory slots.  Ordinary memory is
 * pinned while a leaf maps it and is unpinned only after the leaf is
 * cleared, before its slot or VM goes.  Device memory (VM_IO/VM_PFNMAP)
 * has nothing to pin: its leaves follow the VMM's own page tables through
 * the MMU notifier, so no entry outlives either the pin or the mapping.
 */
#ifndef RINGVM_EPT_H
#define RINGVM_EPT_H

#include <linux/types.h>

struct ringvm_vm;

int ringvm_ept_init(struct ringvm_vm *vm);
void ringvm_ept_destroy(struct ringvm_vm *vm);

/*
 * Map the page of @gpa from its slot.  Returns 0 when mapped, -ENOENT when
 * no slot covers it (MMIO), -EACCES for a write to a read-only slot (MMIO),
 * -EAGAIN when the VMM's mapping changed meanwhile (enter the guest again),
 * -EFAULT/-ENOMEM when the VMM's memory cannot be pinned or looked up.
 */
int ringvm_ept_fault(struct ringvm_vm *vm, u64 gpa, bool write);

/* The APIC-access page at @gpa (apicv.c): 0, -EEXIST (a slot is there), -ENOMEM. */
int ringvm_ept_map_kernel_page(struct ringvm_vm *vm, u64 gpa, phys_addr_t pa);

/* Clear (and unpin) every leaf in [gpa, gpa + npages pages); flushes the TLBs. */
void ringvm_ept_unmap_range(struct ringvm_vm *vm, u64 gpa, u64 npages);

/*
 * Clear the device leaves that slots map from the VMM's [start, end).
 * Caller holds mmu_lock and flushes (ringvm_ept_flush) when this is true.
 */
bool ringvm_ept_zap_device_hva(struct ringvm_vm *vm, unsigned long start, unsigned long end);

/* INVEPT for this VM on every CPU. */
void ringvm_ept_flush(struct ringvm_vm *vm);

/* MMU notifier on the VMM's mm (mmu_notifier.c). */
int ringvm_mmu_notifier_register(struct ringvm_vm *vm);
void ringvm_mmu_notifier_unregister(struct ringvm_vm *vm);

#endif /* RINGVM_EPT_H */
