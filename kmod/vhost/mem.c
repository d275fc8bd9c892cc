// SPDX-License-Identifier: GPL-2.0
/*
 * The memory table: guest physical ranges backed by the owner's memory.
 * It is the only memory the worker touches.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vhost.h"

static int rv_region_check(const struct ringvm_vhost_mem_region *r)
{
	if (r->flags || !r->memory_size)
		return -EINVAL;
	if (r->guest_phys_addr + r->memory_size - 1 < r->guest_phys_addr ||
	    r->userspace_addr + r->memory_size - 1 < r->userspace_addr)
		return -EINVAL;
	if (r->userspace_addr != (unsigned long)r->userspace_addr ||
	    r->memory_size != (unsigned long)r->memory_size)
		return -EINVAL;
	/* Only user-addressable memory: the worker must never reach the kernel. */
	if (!access_ok((void __user *)(unsigned long)r->userspace_addr,
		       r->memory_size))
		return -EFAULT;
	return 0;
}

static bool rv_regions_overlap(const struct ringvm_vhost_mem_region *a,
			       const struct ringvm_vhost_mem_region *b)
{
	u64 a_last = a->guest_phys_addr + a->memory_size - 1;
	u64 b_last = b->guest_phys_addr + b->memory_size - 1;

	return a->guest_phys_addr <= b_last && b->guest_phys_addr <= a_last;
}

int rv_set_mem_table(struct rv_dev *dev, void __user *argp)
{
	struct ringvm_vhost_memory hdr;
	struct rv_mem *mem, *old;
	unsigned int i, j;
	int r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EINVAL;
	if (hdr.nregions > RINGVM_VHOST_MAX_REGIONS)
		return -E2BIG;
	mem = kvzalloc(struct_size(mem, regions, hdr.nregions), GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	mem->nregions = hdr.nregions;
	if (copy_from_user(mem->regions,
			   argp + offsetof(struct ringvm_vhost_memory, regions),
			   hdr.nregions * sizeof(mem->regions[0]))) {
		r = -EFAULT;
		goto err;
	}
	for (i = 0; i < mem->nregions; i++) {
		r = rv_region_check(&mem->regions[i]);
		if (r)
			goto err;
		for (j = 0; j < i; j++) {
			if (rv_regions_overlap(&mem->regions[i], &mem->regions[j])) {
				r = -EINVAL;
				goto err;
			}
		}
	}

	for (i = 0; i < RINGVM_VHOST_MAX_QUEUES; i++)
		mutex_lock_nested(&dev->vqs[i].mutex, i);
	old = dev->mem;
	dev->mem = mem;
	for (i = RINGVM_VHOST_MAX_QUEUES; i-- > 0;)
		mutex_unlock(&dev->vqs[i].mutex);
	kvfree(old);
	return 0;
err:
	kvfree(mem);
	return r;
}

/* The owner's address of [gpa, gpa + len), which must lie in one region. */
void __user *rv_translate(struct rv_mem *mem, u64 gpa, u64 len)
{
	unsigned int i;

	if (!len || gpa + len < gpa)
		return NULL;
	for (i = 0; i < mem->nregions; i++) {
		const struct ringvm_vhost_mem_region *r = &mem->regions[i];
		u64 off = gpa - r->guest_phys_addr;

		if (gpa >= r->guest_phys_addr && off < r->memory_size &&
		    len <= r->memory_size - off)
			return (void __user *)(unsigned long)(r->userspace_addr + off);
	}
	return NULL;
}
