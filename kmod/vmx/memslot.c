// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: ranges of guest-physical space backed by the VMM's own
 * mappings: anonymous or file memory, or device memory (VM_IO/VM_PFNMAP,
 * such as a PCI BAR's mmap).  Semantics follow KVM_SET_USER_MEMORY_REGION:
 * size 0 deletes, an existing slot may move to a new guest address, and
 * slots never overlap.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "ept.h"
#include "vm.h"

/* 4-level EPT covers 48 bits; stay under what every guest can address. */
#define RINGVM_MAX_GPA		(1ULL << 46)

static bool overlaps(const struct ringvm_memslot *s, u64 gpa, u64 npages)
{
	return s->used && gpa < s->gpa + (s->npages << PAGE_SHIFT) &&
	       s->gpa < gpa + (npages << PAGE_SHIFT);
}

static void delete_slot(struct ringvm_vm *vm, struct ringvm_memslot *s)
{
	ringvm_ept_unmap_range(vm, s->gpa, s->npages);
	spin_lock(&vm->mmu_lock);
	memset(s, 0, sizeof(*s));
	spin_unlock(&vm->mmu_lock);
}

int ringvm_set_memory_region(struct ringvm_vm *vm,
			     const struct ringvm_userspace_memory_region *mr)
{
	struct ringvm_memslot *s;
	u64 npages;
	unsigned int i;

	if (mr->slot >= RINGVM_MAX_MEMSLOTS || mr->flags & ~RINGVM_MEM_READONLY)
		return -EINVAL;
	if (!PAGE_ALIGNED(mr->guest_phys_addr) || !PAGE_ALIGNED(mr->memory_size) ||
	    !PAGE_ALIGNED(mr->userspace_addr))
		return -EINVAL;

	s = &vm->slots[mr->slot];
	if (!mr->memory_size) {
		if (s->used)
			delete_slot(vm, s);
		return 0;
	}

	if (mr->guest_phys_addr >= RINGVM_MAX_GPA ||
	    mr->memory_size > RINGVM_MAX_GPA - mr->guest_phys_addr)
		return -EINVAL;
	if (mr->userspace_addr + mr->memory_size < mr->userspace_addr ||
	    !access_ok((void __user *)(unsigned long)mr->userspace_addr, mr->memory_size))
		return -EINVAL;
	npages = mr->memory_size >> PAGE_SHIFT;

	for (i = 0; i < RINGVM_MAX_MEMSLOTS; i++)
		if (i != mr->slot && overlaps(&vm->slots[i], mr->guest_phys_addr, npages))
			return -EEXIST;

	if (s->used) {
		/* As KVM: an existing slot may move or change flags, not resize or remap. */
		if (s->npages != npages || s->hva != mr->userspace_addr)
			return -EINVAL;
		if ((s->flags ^ mr->flags) & RINGVM_MEM_READONLY)
			return -EINVAL;
		if (s->gpa != mr->guest_phys_addr)
			ringvm_ept_unmap_range(vm, s->gpa, s->npages);
	}

	/* The MMU notifier reads slots under mmu_lock alone. */
	spin_lock(&vm->mmu_lock);
	s->gpa = mr->guest_phys_addr;
	s->npages = npages;
	s->hva = mr->userspace_addr;
	s->flags = mr->flags;
	s->used = true;
	spin_unlock(&vm->mmu_lock);
	return 0;
}

const struct ringvm_memslot *ringvm_find_slot(struct ringvm_vm *vm, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < RINGVM_MAX_MEMSLOTS; i++) {
		const struct ringvm_memslot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && gpa - s->gpa < (s->npages << PAGE_SHIFT))
			return s;
	}
	return NULL;
}

void ringvm_free_all_slots(struct ringvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < RINGVM_MAX_MEMSLOTS; i++)
		if (vm->slots[i].used)
			delete_slot(vm, &vm->slots[i]);
}

/* Copies within one page per step; a gap between slots is -EFAULT. */
static int guest_access(struct ringvm_vm *vm, u64 gpa, void *buf,
			unsigned int len, bool write)
{
	while (len) {
		unsigned int chunk = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		const struct ringvm_memslot *s;
		void __user *hva;

		mutex_lock(&vm->lock);
		s = ringvm_find_slot(vm, gpa);
		if (!s || (write && (s->flags & RINGVM_MEM_READONLY))) {
			mutex_unlock(&vm->lock);
			return -EFAULT;
		}
		hva = (void __user *)(s->hva + (gpa - s->gpa));
		mutex_unlock(&vm->lock);

		if (write ? copy_to_user(hva, buf, chunk) : copy_from_user(buf, hva, chunk))
			return -EFAULT;
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int ringvm_read_guest(struct ringvm_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return guest_access(vm, gpa, buf, len, false);
}

int ringvm_write_guest(struct ringvm_vm *vm, u64 gpa, const void *buf, unsigned int len)
{
	return guest_access(vm, gpa, (void *)buf, len, true);
}
