// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_DMA / UNMAP_DMA: pin the owner's pages, charge them to its
 * RLIMIT_MEMLOCK and map them into the device's IOMMU domain, so that the
 * device reaches exactly the memory userspace named and nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "rvfio.h"

/* Ends are inclusive so that a range ending at 2^64 - 1 still compares. */
static bool rvfio_overlaps(u64 a, u64 a_size, u64 b, u64 b_size)
{
	return a <= b + b_size - 1 && b <= a + a_size - 1;
}

/*
 * Unpin and uncharge.  The owner may be gone (killed with the fd still in
 * its table): then there is no locked_vm left to give back.
 *
 * @dirty: the device may have written the pages.  Its writes bypass the
 * CPU's page tables, so nothing else marks the pages dirty: unpinned
 * clean, a page-cache page (a file or block device mapped shared, or
 * shmem once swapped) could be dropped on reclaim and read back without
 * what the device wrote.  type1 and iommufd unpin the same way.
 */
static void rvfio_unpin(struct rvfio_dev *rdev, struct page **pages,
			unsigned long npinned, unsigned long ncharged, bool dirty)
{
	unpin_user_pages_dirty_lock(pages, npinned, dirty);
	if (ncharged && mmget_not_zero(rdev->mm)) {
		account_locked_vm(rdev->mm, ncharged, false);
		mmput(rdev->mm);
	}
}

static int rvfio_pin(struct rvfio_dev *rdev, u64 vaddr, unsigned long npages,
		     bool writable, struct page **pages)
{
	unsigned int gup = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	unsigned long done = 0;
	int r;

	r = account_locked_vm(rdev->mm, npages, true);
	if (r)
		return r;	/* -ENOMEM: over RLIMIT_MEMLOCK */
	while (done < npages) {
		int chunk = min_t(unsigned long, npages - done, 512);

		r = pin_user_pages_fast(vaddr + (done << PAGE_SHIFT), chunk,
					gup, pages + done);
		if (r <= 0) {
			rvfio_unpin(rdev, pages, done, npages, false);
			return r ? r : -EFAULT;
		}
		done += r;
		cond_resched();
	}
	return 0;
}

/*
 * The group's reserved IOVA ranges (the interrupt-remapping MSI window,
 * firmware's RMRRs) are the IOMMU's, not the VMM's: a mapping there would
 * shadow the device's MSIs or a direct-mapped region.  As vfio, only
 * relaxable direct regions (USB, graphics RMRRs) may be mapped over.
 */
static int rvfio_check_reserved(struct rvfio_dev *rdev, u64 iova, u64 size)
{
	struct iommu_resv_region *resv, *next;
	LIST_HEAD(regions);
	int r;

	r = iommu_get_group_resv_regions(rdev->group, &regions);
	list_for_each_entry(resv, &regions, list)
		if (!r && resv->type != IOMMU_RESV_DIRECT_RELAXABLE && resv->length &&
		    rvfio_overlaps(iova, size, resv->start, resv->length))
			r = -EINVAL;
	/* The group's list holds copies the caller frees, as vfio does. */
	list_for_each_entry_safe(resv, next, &regions, list)
		kfree(resv);
	return r;
}

/* Maps physically contiguous runs in one go: fewer IOMMU page walks. */
static int rvfio_iommu_map_pages(struct rvfio_dev *rdev, u64 iova,
				 struct page **pages, unsigned long npages,
				 int prot)
{
	unsigned long i = 0;
	int r;

	while (i < npages) {
		unsigned long run = 1;
		phys_addr_t phys = page_to_phys(pages[i]);

		while (i + run < npages &&
		       page_to_phys(pages[i + run]) == phys + (run << PAGE_SHIFT))
			run++;
		r = rvfio_iommu_map(rdev->domain, iova + (i << PAGE_SHIFT),
				    phys, run << PAGE_SHIFT, prot);
		if (r) {
			if (i)
				iommu_unmap(rdev->domain, iova, i << PAGE_SHIFT);
			return r;
		}
		i += run;
	}
	return 0;
}

/* Checks that need no lock: the arguments alone, and the owner's identity. */
static long rvfio_map_check(struct rvfio_dev *rdev,
			    const struct ringvm_vfio_dma_map *m)
{
	const u32 known = RINGVM_VFIO_DMA_READ | RINGVM_VFIO_DMA_WRITE;
	struct iommu_domain_geometry *geo = &rdev->domain->geometry;

	if (m->pad || !m->flags || (m->flags & ~known))
		return -EINVAL;
	if (!m->size || !PAGE_ALIGNED(m->size) || !PAGE_ALIGNED(m->iova) ||
	    !PAGE_ALIGNED(m->vaddr))
		return -EINVAL;
	if (m->iova + m->size - 1 < m->iova || m->vaddr + m->size - 1 < m->vaddr)
		return -EINVAL;		/* wraps around */
	if (m->vaddr + m->size > TASK_SIZE_MAX)
		return -EFAULT;
	if (m->iova < geo->aperture_start || m->iova + m->size - 1 > geo->aperture_end)
		return -ERANGE;
	return rvfio_check_reserved(rdev, m->iova, m->size);
}

/*
 * Called without rdev->lock (the open file keeps domain, group and mm
 * alive); dma_lock is taken before pinning, which takes mmap_lock.
 */
long rvfio_map_dma(struct rvfio_dev *rdev, const struct ringvm_vfio_dma_map *m)
{
	struct rvfio_dma *dma, *d;
	int prot = 0;
	long r;

	r = rvfio_map_check(rdev, m);
	if (r)
		return r;
	/* Pages are charged to the mm that opened the device, so only it may map. */
	if (current->mm != rdev->mm)
		return -EPERM;
	if (m->size > RVFIO_MAX_MAP_SIZE)
		return -E2BIG;

	if (m->flags & RINGVM_VFIO_DMA_READ)
		prot |= IOMMU_READ;
	if (m->flags & RINGVM_VFIO_DMA_WRITE)
		prot |= IOMMU_WRITE;
	if (device_iommu_capable(&rdev->pdev->dev, IOMMU_CAP_CACHE_COHERENCY))
		prot |= IOMMU_CACHE;

	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	if (!dma)
		return -ENOMEM;
	dma->iova = m->iova;
	dma->size = m->size;
	dma->npages = m->size >> PAGE_SHIFT;
	dma->writable = m->flags & RINGVM_VFIO_DMA_WRITE;
	dma->pages = kvmalloc_array(dma->npages, sizeof(*dma->pages),
				    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	r = -ENOMEM;
	if (!dma->pages)
		goto free_dma;

	mutex_lock(&rdev->dma_lock);
	r = -ENOSPC;
	if (rdev->ndmas >= RVFIO_MAX_MAPPINGS)
		goto unlock;
	r = -EEXIST;
	list_for_each_entry(d, &rdev->dmas, node)
		if (rvfio_overlaps(m->iova, m->size, d->iova, d->size))
			goto unlock;
	/* A device that writes the pages needs them writable by us too. */
	r = rvfio_pin(rdev, m->vaddr, dma->npages, dma->writable, dma->pages);
	if (r)
		goto unlock;
	r = rvfio_iommu_map_pages(rdev, m->iova, dma->pages, dma->npages, prot);
	if (r)
		goto unpin;
	list_add_tail(&dma->node, &rdev->dmas);
	rdev->ndmas++;
	mutex_unlock(&rdev->dma_lock);
	return 0;

unpin:
	rvfio_unpin(rdev, dma->pages, dma->npages, dma->npages, false);
unlock:
	mutex_unlock(&rdev->dma_lock);
	kvfree(dma->pages);
free_dma:
	kfree(dma);
	return r;
}

static void rvfio_dma_remove(struct rvfio_dev *rdev, struct rvfio_dma *dma)
{
	/* iommu_unmap flushes the IOTLB before it returns: then unpin is safe. */
	iommu_unmap(rdev->domain, dma->iova, dma->size);
	rvfio_unpin(rdev, dma->pages, dma->npages, dma->npages, dma->writable);
	list_del(&dma->node);
	rdev->ndmas--;
	kvfree(dma->pages);
	kfree(dma);
}

long rvfio_unmap_dma(struct rvfio_dev *rdev,
		     const struct ringvm_vfio_dma_unmap *u)
{
	struct rvfio_dma *d, *tmp;
	bool found = false;
	long r = 0;

	if (!u->size || !PAGE_ALIGNED(u->size) || !PAGE_ALIGNED(u->iova) ||
	    u->iova + u->size - 1 < u->iova)
		return -EINVAL;
	mutex_lock(&rdev->dma_lock);
	/* All or nothing: check for straddling mappings before removing any. */
	list_for_each_entry(d, &rdev->dmas, node) {
		if (!rvfio_overlaps(u->iova, u->size, d->iova, d->size))
			continue;
		if (d->iova < u->iova || d->iova + d->size - 1 > u->iova + u->size - 1) {
			r = -EINVAL;
			goto unlock;
		}
		found = true;
	}
	r = -ENOENT;
	if (!found)
		goto unlock;
	list_for_each_entry_safe(d, tmp, &rdev->dmas, node)
		if (rvfio_overlaps(u->iova, u->size, d->iova, d->size))
			rvfio_dma_remove(rdev, d);
	r = 0;
unlock:
	mutex_unlock(&rdev->dma_lock);
	return r;
}

void rvfio_unmap_all(struct rvfio_dev *rdev)
{
	struct rvfio_dma *d, *tmp;

	mutex_lock(&rdev->dma_lock);
	list_for_each_entry_safe(d, tmp, &rdev->dmas, node) {
		rvfio_dma_remove(rdev, d);
		cond_resched();
	}
	mutex_unlock(&rdev->dma_lock);
}
