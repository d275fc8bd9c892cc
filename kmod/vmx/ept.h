/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EPT: guest-physical to host-physical, 4 levels, 4 KiB leaves.  Leaves
 * are filled on EPT violation from the memory slots; the page behind each
 * present leaf is pinned, and a leaf is cleared (and the page unpinned)
 * before its slot or VM goes, so no entry outlives its pin.
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
 * -EFAULT/-ENOMEM when the VMM's page cannot be pinned.
 */
int ringvm_ept_fault(struct ringvm_vm *vm, u64 gpa, bool write);

/* Clear and unpin every leaf in [gpa, gpa + npages pages); flushes the TLBs. */
void ringvm_ept_unmap_range(struct ringvm_vm *vm, u64 gpa, u64 npages);

#endif /* RINGVM_EPT_H */
