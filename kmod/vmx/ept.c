// SPDX-License-Identifier: GPL-2.0
/*
 * Extended page tables.  Tables are plain kernel pages; leaves point at
 * pages of the VMM's address space pinned (FOLL_LONGTERM) when the guest
 * first touches them and charged to the VMM's locked memory.  Clearing
 * leaves is always followed by INVEPT on every CPU before the pages are
 * unpinned, so the guest can never reach a page that is no longer its.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/smp.h>
#include <asm/vmx.h>

#include "capabilities.h"
#include "ept.h"
#include "vm.h"
#include "vmx_ops.h"

#define EPT_ENTRIES	512
#define EPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define EPT_TABLE	VMX_EPT_RWX_MASK	/* non-leaf: permissions come from leaves */
#define EPT_LEAF_WB	(VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT)

static inline bool ept_present(u64 e)
{
	return e & VMX_EPT_RWX_MASK;
}

static inline u64 *ept_table(u64 e)
{
	return __va(e & EPT_ADDR_MASK);
}

static inline unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * level)) & (EPT_ENTRIES - 1);
}

int ringvm_ept_init(struct ringvm_vm *vm)
{
	vm->ept_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->ept_root)
		return -ENOMEM;
	vm->eptp = __pa(vm->ept_root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

/* The level-0 entry for @gpa, allocating tables on the way when @alloc. */
static u64 *ept_walk(struct ringvm_vm *vm, u64 gpa, bool alloc)
{
	u64 *table = vm->ept_root;
	int level;

	for (level = 3; level > 0; level--) {
		u64 *e = &table[ept_index(gpa, level)];

		if (!ept_present(*e)) {
			u64 *next;

			if (!alloc)
				return NULL;
			next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
			if (!next)
				return NULL;
			*e = __pa(next) | EPT_TABLE;
		}
		table = ept_table(*e);
	}
	return &table[ept_index(gpa, 0)];
}

int ringvm_ept_fault(struct ringvm_vm *vm, u64 gpa, bool write)
{
	const struct ringvm_memslot *s;
	unsigned long hva;
	struct page *page;
	bool readonly;
	u64 *pte;
	int r;

	mutex_lock(&vm->lock);
	s = ringvm_find_slot(vm, gpa);
	if (!s) {
		r = -ENOENT;
		goto out;
	}
	readonly = s->flags & RINGVM_MEM_READONLY;
	if (write && readonly) {
		r = -EACCES;
		goto out;
	}
	pte = ept_walk(vm, gpa, true);
	if (!pte) {
		r = -ENOMEM;
		goto out;
	}
	r = 0;
	if (ept_present(*pte))	/* another vCPU mapped it first */
		goto out;

	hva = s->hva + ((gpa & PAGE_MASK) - s->gpa);
	r = account_locked_vm(vm->mm, 1, true);
	if (r)
		goto out;
	r = pin_user_pages_fast(hva, 1, FOLL_LONGTERM | (readonly ? 0 : FOLL_WRITE), &page);
	if (r != 1) {
		account_locked_vm(vm->mm, 1, false);
		r = r < 0 ? r : -EFAULT;
		goto out;
	}
	*pte = page_to_phys(page) | EPT_LEAF_WB | VMX_EPT_READABLE_MASK |
	       VMX_EPT_EXECUTABLE_MASK | (readonly ? 0 : VMX_EPT_WRITABLE_MASK);
	vm->pinned_pages++;
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

static void invept_ipi(void *eptp)
{
	if (vmx_caps.invept_single)
		invept(VMX_EPT_EXTENT_CONTEXT, *(u64 *)eptp);
	else
		invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

/* Every CPU may hold translations for this EPTP: flush them all. */
static void ept_flush_all_cpus(struct ringvm_vm *vm)
{
	on_each_cpu(invept_ipi, &vm->eptp, 1);
}

/*
 * Clear the leaves of [start, end) under @table (a level-@level table
 * mapping from @base) and collect their pages.  Returns how many pages
 * were stored in @pages (at most @max); stops early when full.
 */
static unsigned int ept_clear(u64 *table, int level, u64 base, u64 start, u64 end,
			      struct page **pages, bool *dirty, unsigned int max)
{
	u64 span = 1ULL << (PAGE_SHIFT + 9 * level);
	unsigned int n = 0, i;

	for (i = ept_index(start, level); i < EPT_ENTRIES && n < max; i++) {
		u64 lo = base + i * span;

		if (lo >= end)
			break;
		if (!ept_present(table[i]))
			continue;
		if (level) {
			n += ept_clear(ept_table(table[i]), level - 1, lo, max_t(u64, start, lo),
				       end, pages + n, dirty + n, max - n);
			continue;
		}
		pages[n] = pfn_to_page((table[i] & EPT_ADDR_MASK) >> PAGE_SHIFT);
		dirty[n] = table[i] & VMX_EPT_WRITABLE_MASK;
		table[i] = 0;
		n++;
	}
	return n;
}

#define EPT_UNMAP_BATCH	64

void ringvm_ept_unmap_range(struct ringvm_vm *vm, u64 gpa, u64 npages)
{
	u64 end = gpa + (npages << PAGE_SHIFT);
	struct page *pages[EPT_UNMAP_BATCH];
	bool dirty[EPT_UNMAP_BATCH];
	unsigned int n, i;

	do {
		n = ept_clear(vm->ept_root, 3, 0, gpa, end, pages, dirty, EPT_UNMAP_BATCH);
		if (!n)
			break;
		ept_flush_all_cpus(vm);
		for (i = 0; i < n; i++)
			unpin_user_pages_dirty_lock(&pages[i], 1, dirty[i]);
		account_locked_vm(vm->mm, n, false);
		vm->pinned_pages -= n;
	} while (n == EPT_UNMAP_BATCH);
}

static void ept_free_tables(u64 *table, int level)
{
	unsigned int i;

	if (level)
		for (i = 0; i < EPT_ENTRIES; i++)
			if (ept_present(table[i]))
				ept_free_tables(ept_table(table[i]), level - 1);
	free_page((unsigned long)table);
}

/* Slots are gone, so no leaf is left; flush cached structures, then free them. */
void ringvm_ept_destroy(struct ringvm_vm *vm)
{
	if (!vm->ept_root)
		return;
	ept_flush_all_cpus(vm);
	ept_free_tables(vm->ept_root, 3);
	vm->ept_root = NULL;
}
