// SPDX-License-Identifier: GPL-2.0
/*
 * Extended page tables.  Tables are plain kernel pages; a leaf points at
 * one of two kinds of memory of the VMM's address space:
 *
 * - ordinary pages, pinned (FOLL_LONGTERM) when the guest first touches
 *   them and charged to the VMM's locked memory.  The pin keeps the page
 *   the guest's until the slot moves or goes, whatever the VMM does to its
 *   own mapping meanwhile.
 * - device memory (VM_IO/VM_PFNMAP mappings such as a PCI BAR's mmap),
 *   which has no page to pin.  Such leaves are marked EPT_LEAF_DEVICE and
 *   live only as long as the VMM's mapping: the MMU notifier clears them
 *   before the kernel changes or removes the host PTE (mmu_notifier.c).
 *
 * Tables and leaves change under vm->mmu_lock, a spinlock, because the
 * notifier runs in reclaim and with mmap_lock held: nothing taken under it
 * may sleep or allocate.  Table pages are therefore allocated beforehand
 * (ept_topup).  Clearing leaves is always followed by INVEPT on every CPU
 * before a page is unpinned or the notifier returns, so the guest can never
 * reach memory that is no longer its.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/smp.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include "capabilities.h"
#include "compat.h"
#include "ept.h"
#include "vm.h"
#include "vmx_ops.h"

#define EPT_ENTRIES	512
#define EPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define EPT_TABLE	VMX_EPT_RWX_MASK	/* non-leaf: permissions come from leaves */
#define EPT_LEAF_WB	(VMX_EPTP_MT_WB << VMX_EPT_MT_EPTE_SHIFT)
#define EPT_LEAF_UC	(MTRR_TYPE_UNCACHABLE << VMX_EPT_MT_EPTE_SHIFT)
/* Bit 52 is ignored by the CPU: the leaf maps device memory, no pin behind it. */
#define EPT_LEAF_DEVICE	BIT_ULL(52)

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

/* Enough table pages for one walk, allocated where sleeping is allowed (vm->lock). */
static int ept_topup(struct ringvm_vm *vm)
{
	while (vm->nr_ept_cache < RINGVM_EPT_CACHE) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		vm->ept_cache[vm->nr_ept_cache++] = p;
	}
	return 0;
}

/* The level-0 entry for @gpa, taking missing tables from the cache.  mmu_lock held. */
static u64 *ept_walk(struct ringvm_vm *vm, u64 gpa)
{
	u64 *table = vm->ept_root;
	int level;

	lockdep_assert_held(&vm->mmu_lock);
	for (level = 3; level > 0; level--) {
		u64 *e = &table[ept_index(gpa, level)];

		if (!ept_present(*e)) {
			if (WARN_ON_ONCE(!vm->nr_ept_cache))
				return NULL;
			*e = __pa(vm->ept_cache[--vm->nr_ept_cache]) | EPT_TABLE;
		}
		table = ept_table(*e);
	}
	return &table[ept_index(gpa, 0)];
}

/*
 * Did an invalidation of @hva start, or finish, since the caller read
 * @seq?  Then what it looked up may already be gone from the VMM's page
 * tables and must not be installed.
 */
static bool mmu_retry(struct ringvm_vm *vm, unsigned long seq, unsigned long hva)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (vm->mmu_invalidating && hva >= vm->inval_start && hva < vm->inval_end)
		return true;
	return vm->mmu_seq != seq;
}

/*
 * Pin the page of ordinary memory behind @hva.  -EFAULT also for a
 * VM_IO/VM_PFNMAP mapping, which has no page to pin.
 */
static int ept_pin(struct ringvm_vm *vm, unsigned long hva, bool writable, struct page **page)
{
	int r;

	/* Pin, then charge: device memory must not fail on the locked-memory limit. */
	r = pin_user_pages_fast(hva, 1, FOLL_LONGTERM | (writable ? FOLL_WRITE : 0), page);
	if (r != 1)
		return r < 0 ? r : -EFAULT;
	r = account_locked_vm(vm->mm, 1, true);
	if (r)
		unpin_user_page(*page);
	return r;
}

static void ept_unpin(struct ringvm_vm *vm, struct page *page)
{
	unpin_user_page(page);
	account_locked_vm(vm->mm, 1, false);
}

/*
 * The PFN a VM_IO/VM_PFNMAP mapping has at @hva, faulting it in (for
 * writing when @write) if the VMM's PTE is missing.  As KVM, memory that a
 * PTE maps is the only memory reachable: a read-only PTE never becomes a
 * writable leaf.  -EAGAIN when fixing the fault dropped mmap_lock.
 */
static int ept_lookup_device(struct ringvm_vm *vm, unsigned long hva, bool write,
			     unsigned long *pfn, bool *writable)
{
	struct vm_area_struct *vma;
	bool unlocked = false;
	int r;

	mmap_read_lock(vm->mm);
	vma = vma_lookup(vm->mm, hva);
	if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP))) {
		r = -EFAULT;
		goto out;
	}
	r = ringvm_follow_pfn(vma, hva, pfn, writable);
	if (!r && (!write || *writable))
		goto out;
	r = fixup_user_fault(vm->mm, hva, write ? FAULT_FLAG_WRITE : 0, &unlocked);
	if (r)
		goto out;
	if (unlocked) {		/* the VMA may have changed: let the guest fault again */
		r = -EAGAIN;
		goto out;
	}
	r = ringvm_follow_pfn(vma, hva, pfn, writable);
	if (!r && write && !*writable)
		r = -EFAULT;
out:
	mmap_read_unlock(vm->mm);
	return r ? (r == -EAGAIN ? r : -EFAULT) : 0;
}

/*
 * RAM behind a PFN mapping (a driver's remap_pfn_range of its pages) is
 * write-back; anything else is a device's and uncached, as in KVM.  The
 * guest's PAT can still make the latter write-combining.
 */
static u64 ept_device_memtype(unsigned long pfn)
{
	if (pfn_valid(pfn) && !PageReserved(pfn_to_page(pfn)))
		return EPT_LEAF_WB;
	return EPT_LEAF_UC;
}

static int ept_map_device(struct ringvm_vm *vm, u64 gpa, unsigned long hva, bool write,
			  bool readonly, unsigned long seq)
{
	unsigned long pfn;
	bool writable;
	u64 *pte;
	int r;

	r = ept_lookup_device(vm, hva, write, &pfn, &writable);
	if (r)
		return r;
	spin_lock(&vm->mmu_lock);
	pte = ept_walk(vm, gpa);
	if (!pte) {
		r = -ENOMEM;
	} else if (mmu_retry(vm, seq, hva)) {
		r = -EAGAIN;
	} else if (!ept_present(*pte) || (*pte & EPT_LEAF_DEVICE)) {
		if (!ept_present(*pte))
			vm->device_pages++;
		*pte = ((u64)pfn << PAGE_SHIFT & EPT_ADDR_MASK) | ept_device_memtype(pfn) |
		       EPT_LEAF_DEVICE | VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK |
		       (writable && !readonly ? VMX_EPT_WRITABLE_MASK : 0);
	}
	spin_unlock(&vm->mmu_lock);
	return r;
}

static int ept_map_pinned(struct ringvm_vm *vm, u64 gpa, struct page *page, bool readonly)
{
	bool installed = false;
	u64 *pte;

	spin_lock(&vm->mmu_lock);
	pte = ept_walk(vm, gpa);
	if (pte && !ept_present(*pte)) {
		*pte = page_to_phys(page) | EPT_LEAF_WB | VMX_EPT_READABLE_MASK |
		       VMX_EPT_EXECUTABLE_MASK | (readonly ? 0 : VMX_EPT_WRITABLE_MASK);
		installed = true;
	}
	spin_unlock(&vm->mmu_lock);
	if (!installed) {	/* another vCPU mapped it first */
		ept_unpin(vm, page);
		return pte ? 0 : -ENOMEM;
	}
	vm->pinned_pages++;
	return 0;
}

int ringvm_ept_fault(struct ringvm_vm *vm, u64 gpa, bool write)
{
	const struct ringvm_memslot *s;
	unsigned long hva, seq;
	struct page *page;
	bool readonly;
	u64 *pte, old;
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
	hva = s->hva + ((gpa & PAGE_MASK) - s->gpa);
	r = ept_topup(vm);
	if (r)
		goto out;

	spin_lock(&vm->mmu_lock);
	pte = ept_walk(vm, gpa);
	old = pte ? *pte : 0;
	seq = vm->mmu_seq;
	spin_unlock(&vm->mmu_lock);
	if (!pte) {
		r = -ENOMEM;
		goto out;
	}
	/* Order the read of mmu_seq before the look-up of the VMM's PTE. */
	smp_rmb();

	if (ept_present(old) && (!write || (old & VMX_EPT_WRITABLE_MASK))) {
		r = 0;		/* another vCPU mapped it first */
		goto out;
	}
	/* A write to a device leaf that was mapped for reading looks up again. */
	if (!(old & EPT_LEAF_DEVICE)) {
		r = ept_pin(vm, hva, !readonly, &page);
		if (!r) {
			r = ept_map_pinned(vm, gpa, page, readonly);
			goto out;
		}
		if (r != -EFAULT)
			goto out;
	}
	r = ept_map_device(vm, gpa, hva, write, readonly, seq);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * Map @gpa, outside every slot, to the kernel page at @pa (the APIC-access
 * page, apicv.c).  Marked as device memory: nothing is pinned behind it,
 * and a slot later placed over it clears it like any device leaf.  The
 * page must outlive the EPT (it is freed with the irqchip, after every
 * vCPU).  Returns 0, -EEXIST when a slot covers @gpa now, or -ENOMEM.
 */
int ringvm_ept_map_kernel_page(struct ringvm_vm *vm, u64 gpa, phys_addr_t pa)
{
	u64 *pte;
	int r;

	mutex_lock(&vm->lock);
	r = ringvm_find_slot(vm, gpa) ? -EEXIST : ept_topup(vm);
	if (r)
		goto out;
	spin_lock(&vm->mmu_lock);
	pte = ept_walk(vm, gpa);
	if (!pte) {
		r = -ENOMEM;
	} else if (!ept_present(*pte)) {
		*pte = (pa & EPT_ADDR_MASK) | EPT_LEAF_WB | EPT_LEAF_DEVICE |
		       VMX_EPT_READABLE_MASK | VMX_EPT_WRITABLE_MASK;
		vm->device_pages++;
	}
	spin_unlock(&vm->mmu_lock);
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

void ringvm_ept_flush(struct ringvm_vm *vm)
{
	/* Every CPU may hold translations for this EPTP: flush them all. */
	on_each_cpu(invept_ipi, &vm->eptp, 1);
}

#define EPT_ZAP_BATCH	64

/*
 * What one pass of ept_clear took out of the tables.  The notifier runs on
 * reclaim's stack, so the page arrays live with the caller that needs them.
 */
struct ept_zap {
	struct page **pages;		/* NULL: device leaves only, pinned ones stay */
	bool *dirty;
	unsigned int npages;		/* pinned leaves cleared, in pages[] to unpin */
	unsigned int ndevice;		/* device leaves cleared */
};

/*
 * Clear the leaves of [start, end) under @table (a level-@level table
 * mapping from @base).  Stops early once pages[] is full: the caller
 * unpins them and calls again.
 */
static void ept_clear(struct ept_zap *z, u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (PAGE_SHIFT + 9 * level);
	unsigned int i;

	for (i = ept_index(start, level); i < EPT_ENTRIES && z->npages < EPT_ZAP_BATCH; i++) {
		u64 lo = base + i * span, e = table[i];

		if (lo >= end)
			break;
		if (!ept_present(e))
			continue;
		if (level) {
			ept_clear(z, ept_table(e), level - 1, lo, max_t(u64, start, lo), end);
			continue;
		}
		if (e & EPT_LEAF_DEVICE) {
			z->ndevice++;
		} else if (!z->pages) {
			continue;
		} else {
			z->pages[z->npages] = pfn_to_page((e & EPT_ADDR_MASK) >> PAGE_SHIFT);
			z->dirty[z->npages] = e & VMX_EPT_WRITABLE_MASK;
			z->npages++;
		}
		table[i] = 0;
	}
}

void ringvm_ept_unmap_range(struct ringvm_vm *vm, u64 gpa, u64 npages)
{
	u64 end = gpa + (npages << PAGE_SHIFT);
	struct page *pages[EPT_ZAP_BATCH];
	bool dirty[EPT_ZAP_BATCH];
	struct ept_zap z;
	unsigned int i;

	do {
		z = (struct ept_zap){ .pages = pages, .dirty = dirty };
		spin_lock(&vm->mmu_lock);
		ept_clear(&z, vm->ept_root, 3, 0, gpa, end);
		vm->device_pages -= z.ndevice;
		spin_unlock(&vm->mmu_lock);
		if (!z.npages && !z.ndevice)
			break;
		ringvm_ept_flush(vm);
		for (i = 0; i < z.npages; i++)
			unpin_user_pages_dirty_lock(&pages[i], 1, dirty[i]);
		if (z.npages)
			account_locked_vm(vm->mm, z.npages, false);
		vm->pinned_pages -= z.npages;
	} while (z.npages == EPT_ZAP_BATCH);
}

bool ringvm_ept_zap_device_hva(struct ringvm_vm *vm, unsigned long start, unsigned long end)
{
	struct ept_zap z = { };
	unsigned int i;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < RINGVM_MAX_MEMSLOTS; i++) {
		const struct ringvm_memslot *s = &vm->slots[i];
		unsigned long lo, hi;

		if (!s->used)
			continue;
		lo = max(start, s->hva);
		hi = min(end, s->hva + (unsigned long)(s->npages << PAGE_SHIFT));
		if (lo >= hi)
			continue;
		ept_clear(&z, vm->ept_root, 3, 0, s->gpa + (lo - s->hva), s->gpa + (hi - s->hva));
	}
	vm->device_pages -= z.ndevice;
	return z.ndevice;
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
	while (vm->nr_ept_cache)
		free_page((unsigned long)vm->ept_cache[--vm->nr_ept_cache]);
	if (!vm->ept_root)
		return;
	ringvm_ept_flush(vm);
	ept_free_tables(vm->ept_root, 3);
	vm->ept_root = NULL;
}
