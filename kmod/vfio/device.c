// SPDX-License-Identifier: GPL-2.0
/*
 * One node per bound PCI device, /dev/ringvm-vfio-dev/<BDF>: open claims
 * the device's IOMMU group for userspace and attaches it to a fresh
 * domain; release quiesces and resets the device, drops every mapping and
 * hands the group back to the kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "rvfio.h"

static struct rvfio_dev *file_rdev(struct file *filp)
{
	struct miscdevice *misc = filp->private_data;

	return container_of(misc, struct rvfio_dev, misc);
}

/*
 * The best reset the device has.  Without a function reset (edu has none:
 * no FLR, no PM capability, on the root bus) the device is quiesced and
 * its config space put back as it was at open, which at least stops DMA
 * and interrupts and forgets what userspace programmed there.
 *
 * pci_try_reset_function() only trylocks device_lock: while an unbind
 * holds it (remove waiting for the owner to close) it fails with EAGAIN,
 * and needs_reset tells remove to do the reset itself once the owner is
 * gone (rvfio_remove_reset).
 */
static int rvfio_reset(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	int kind = RINGVM_VFIO_RESET_RESTORE;
	int r;

	pci_clear_master(pdev);
	r = pci_try_reset_function(pdev);
	if (!r)
		kind = RINGVM_VFIO_RESET_FUNCTION;
	rdev->needs_reset = r == -EAGAIN;
	if (rdev->saved) {
		pci_load_saved_state(pdev, rdev->saved);
		pci_restore_state(pdev);
	}
	pci_set_master(pdev);
	return kind;
}

struct rvfio_group_walk {
	struct iommu_group *group;
	bool outside;
};

/* pci_walk_bus() callback: stop at a device outside our group. */
static int rvfio_outside_group(struct pci_dev *other, void *data)
{
	struct rvfio_group_walk *w = data;
	struct iommu_group *g = iommu_group_get(&other->dev);

	iommu_group_put(g);
	w->outside = g != w->group;
	return w->outside;
}

/*
 * A secondary bus (or slot) reset is fine when everything it hits is in
 * our IOMMU group, which open has claimed: no host driver is using any
 * of it.  The reset reaches every bus below ours too, and so does the
 * walk (pci_walk_bus, under pci_bus_sem).  On the root bus (edu) there is
 * no bridge to reset it from.
 */
static int rvfio_try_bus_reset(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	struct rvfio_group_walk w = { .group = rdev->group };

	if (pci_probe_reset_slot(pdev->slot) && pci_probe_reset_bus(pdev->bus))
		return -ENOTTY;
	pci_walk_bus(pdev->bus, rvfio_outside_group, &w);
	return w.outside ? -EBUSY : pci_reset_bus(pdev);
}

/*
 * pci_restore_state() leaves MSI and MSI-X control alone while the kernel
 * has them off, so an enable bit someone else set would survive it.
 */
static void rvfio_msi_off(struct pci_dev *pdev)
{
	u16 ctrl;

	if (pdev->msi_cap && !pdev->msi_enabled) {
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &ctrl);
		pci_write_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				      ctrl & ~PCI_MSI_FLAGS_ENABLE);
	}
	if (pdev->msix_cap && !pdev->msix_enabled) {
		pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &ctrl);
		pci_write_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				      ctrl & ~PCI_MSIX_FLAGS_ENABLE);
	}
}

/*
 * At open, before the new owner's first access: whatever the host
 * driver, an earlier owner or a write through sysfs left on the device
 * goes.  A function reset if there is one, else a bus or slot reset our
 * group covers, then the config space saved at bind time.  A reset that
 * failed only because someone holds device_lock (an unbind, a sysfs
 * reset) fails the open with EAGAIN, as vfio-pci's does.
 */
static int rvfio_open_reset(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	int r;

	pci_clear_master(pdev);
	r = pci_try_reset_function(pdev);
	if (r == -ENOTTY)
		r = rvfio_try_bus_reset(rdev);
	if (r == -EAGAIN)
		return r;
	pci_load_saved_state(pdev, rdev->probe_state);
	pci_restore_state(pdev);
	rvfio_msi_off(pdev);
	pci_clear_master(pdev);
	return 0;
}

/*
 * Remove holds device_lock, which release's reset could not take while
 * the owner closed: reset under it now, with __pci_reset_function_locked
 * as pci_reset_function would, and leave the device as it was at bind.
 */
static void rvfio_remove_reset(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;

	if (rdev->needs_reset) {
		pci_cfg_access_lock(pdev);
		__pci_reset_function_locked(pdev);
		pci_cfg_access_unlock(pdev);
		rdev->needs_reset = false;
	}
	pci_load_saved_state(pdev, rdev->probe_state);
	pci_restore_state(pdev);
	rvfio_msi_off(pdev);
}

/*
 * A reset userspace asked for (RESET, or initiate-FLR written to config
 * space), under rdev->lock.  No BAR access runs during it and no BAR page
 * stays mapped across it; afterwards the virtual registers follow the
 * device again and INTx keeps the mask state the handler left.
 */
int rvfio_reset_device(struct rvfio_dev *rdev)
{
	int kind;

	/* Interrupts set up before the reset would be stale after it (ioctl and FLR alike). */
	rvfio_irqs_off(rdev);
	down_write(&rdev->memory_lock);
	rdev->bars_enabled = false;
	if (rdev->mapping)
		unmap_mapping_range(rdev->mapping, 0, 0, true);
	kind = rvfio_reset(rdev);
	rvfio_config_init(rdev);
	rvfio_intx_reapply(rdev);
	rvfio_bars_update(rdev);
	up_write(&rdev->memory_lock);
	return kind;
}

static void rvfio_teardown(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;

	/* Stop the device first: no DMA may reach pages about to be unpinned. */
	rvfio_irqs_off(rdev);
	rvfio_reset(rdev);
	pci_clear_master(pdev);
	rvfio_unmap_bars(rdev);
	rdev->mapping = NULL;	/* no mapping is left: release runs after the last */
	rvfio_unmap_all(rdev);
	iommu_detach_group(rdev->domain, rdev->group);
	iommu_domain_free(rdev->domain);
	rdev->domain = NULL;
	iommu_group_release_dma_owner(rdev->group);
	iommu_group_put(rdev->group);
	rdev->group = NULL;
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	kfree(rdev->saved);
	rdev->saved = NULL;
	if (rdev->req_trigger)
		eventfd_ctx_put(rdev->req_trigger);
	rdev->req_trigger = NULL;
	mmdrop(rdev->mm);
	rdev->mm = NULL;
}

static int rvfio_claim(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	int r;

	rdev->group = iommu_group_get(&pdev->dev);
	if (!rdev->group) {
		pci_info(pdev, "no IOMMU group (is the IOMMU on? intel_iommu=on)\n");
		return -ENODEV;
	}
	if (!rvfio_msi_isolated(pdev, rdev->group) &&
	    !rvfio_allow_unsafe_interrupts) {
		pci_info(pdev, "the IOMMU cannot isolate this device's MSIs (no interrupt remapping)\n");
		r = -EPERM;
		goto put_group;
	}
	r = iommu_group_claim_dma_owner(rdev->group, rdev);
	if (r) {
		pci_info(pdev, "IOMMU group %d is not viable: another device in it is bound to a host driver\n",
			 iommu_group_id(rdev->group));
		/* The kernel says EPERM; to the user it is a busy group, not a permission. */
		r = -EBUSY;
		goto put_group;
	}
	rdev->domain = rvfio_domain_alloc(pdev);
	if (!rdev->domain) {
		r = -ENOMEM;
		goto release_owner;
	}
	r = iommu_attach_group(rdev->domain, rdev->group);
	if (r)
		goto free_domain;
	return 0;

free_domain:
	iommu_domain_free(rdev->domain);
	rdev->domain = NULL;
release_owner:
	iommu_group_release_dma_owner(rdev->group);
put_group:
	iommu_group_put(rdev->group);
	rdev->group = NULL;
	return r;
}

static void rvfio_unclaim(struct rvfio_dev *rdev)
{
	iommu_detach_group(rdev->domain, rdev->group);
	iommu_domain_free(rdev->domain);
	rdev->domain = NULL;
	iommu_group_release_dma_owner(rdev->group);
	iommu_group_put(rdev->group);
	rdev->group = NULL;
}

static int rvfio_open(struct inode *inode, struct file *filp)
{
	struct rvfio_dev *rdev = file_rdev(filp);
	struct pci_dev *pdev = rdev->pdev;
	int r;

	mutex_lock(&rdev->lock);
	r = -ENODEV;
	if (rdev->removing)
		goto out;
	/* One owner at a time: two VMMs must not share one IOVA space. */
	r = -EBUSY;
	if (rdev->opened)
		goto out;
	r = rvfio_claim(rdev);
	if (r)
		goto out;
	r = rvfio_open_reset(rdev);
	if (r)
		goto unclaim;
	r = pci_enable_device(pdev);
	if (r)
		goto unclaim;
	r = pci_request_regions(pdev, RINGVM_VFIO_DRIVER_NAME);
	if (r)
		goto disable;
	pci_save_state(pdev);
	rdev->saved = pci_store_saved_state(pdev);
	/* Without it no reset could put config space back: refuse the device. */
	r = -ENOMEM;
	if (!rdev->saved)
		goto release_regions;
	pci_set_master(pdev);
	rvfio_config_init(rdev);
	down_write(&rdev->memory_lock);
	rdev->mapping = filp->f_mapping;
	rvfio_bars_update(rdev);
	up_write(&rdev->memory_lock);

	mmgrab(current->mm);
	rdev->mm = current->mm;
	rdev->irq_kind = -1;
	rdev->opened = true;
	kref_get(&rdev->ref);	/* the file's, dropped at the end of release */
	mutex_unlock(&rdev->lock);
	return 0;

release_regions:
	pci_release_regions(pdev);
disable:
	pci_disable_device(pdev);
unclaim:
	rvfio_unclaim(rdev);
out:
	mutex_unlock(&rdev->lock);
	return r;
}

static void rvfio_dev_free(struct kref *ref)
{
	struct rvfio_dev *rdev = container_of(ref, struct rvfio_dev, ref);

	kfree(rdev->probe_state);
	kfree(rdev);
}

static int rvfio_release(struct inode *inode, struct file *filp)
{
	struct rvfio_dev *rdev = file_rdev(filp);

	mutex_lock(&rdev->lock);
	rvfio_teardown(rdev);
	WRITE_ONCE(rdev->opened, false);
	mutex_unlock(&rdev->lock);
	/*
	 * remove may see opened false and drop the driver's reference before
	 * this wake-up: the file's reference keeps rdev until after it.
	 */
	wake_up_all(&rdev->released);
	kref_put(&rdev->ref, rvfio_dev_free);
	return 0;
}

static void rvfio_device_info(struct rvfio_dev *rdev,
			      struct ringvm_vfio_device_info *info)
{
	struct pci_dev *pdev = rdev->pdev;

	*info = (struct ringvm_vfio_device_info) {
		.num_regions	= RINGVM_VFIO_NUM_REGIONS,
		.num_irqs	= RINGVM_VFIO_NUM_IRQS,
		.vendor		= pdev->vendor,
		.device		= pdev->device,
		.iova_pgsizes	= rdev->domain->pgsize_bitmap,
		.iova_start	= rdev->domain->geometry.aperture_start,
		.iova_end	= rdev->domain->geometry.aperture_end,
	};
	if (pdev->reset_methods[0])
		info->flags |= RINGVM_VFIO_DEVICE_FLAG_RESET;
	if (pci_intx_mask_supported(pdev))
		info->flags |= RINGVM_VFIO_DEVICE_FLAG_INTX_MASK;
}

static long rvfio_set_req_eventfd(struct rvfio_dev *rdev, s32 fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd != -1) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (rdev->req_trigger)
		eventfd_ctx_put(rdev->req_trigger);
	rdev->req_trigger = ctx;
	return 0;
}

union rvfio_ioctl_arg {
	struct ringvm_vfio_device_info dev;
	struct ringvm_vfio_region_info region;
	struct ringvm_vfio_irq_info irq;
	struct ringvm_vfio_dma_map map;
	struct ringvm_vfio_dma_unmap unmap;
	struct ringvm_vfio_irq_set set;
	s32 fd;
};

/* Under rdev->lock; @u is the argument, already copied in, copied out after. */
static long rvfio_ioctl_locked(struct rvfio_dev *rdev, unsigned int ioctl,
			       unsigned long arg, union rvfio_ioctl_arg *u,
			       const s32 *fds)
{
	switch (ioctl) {
	case RINGVM_VFIO_GET_DEVICE_INFO:
		rvfio_device_info(rdev, &u->dev);
		return 0;
	case RINGVM_VFIO_GET_REGION_INFO:
		return rvfio_region_info(rdev, &u->region);
	case RINGVM_VFIO_GET_IRQ_INFO:
		return rvfio_irq_info(rdev, &u->irq);
	case RINGVM_VFIO_SET_IRQS:
		return rvfio_set_irqs(rdev, &u->set, fds);
	case RINGVM_VFIO_UNMASK_INTX:
		return arg ? -EINVAL : rvfio_unmask_intx(rdev);
	case RINGVM_VFIO_RESET:
		if (arg)
			return -EINVAL;
		return rvfio_reset_device(rdev);
	case RINGVM_VFIO_SET_REQ_EVENTFD:
		return rvfio_set_req_eventfd(rdev, u->fd);
	}
	return -ENOTTY;
}

/*
 * Every argument is copied in before any lock of ours is taken and copied
 * out after it is dropped (see the lock order in rvfio.h).  MAP_DMA and
 * UNMAP_DMA take only dma_lock: they pin pages and charge locked_vm, which
 * take mmap_lock.
 */
static long rvfio_ioctl(struct file *filp, unsigned int ioctl,
			unsigned long arg)
{
	struct rvfio_dev *rdev = file_rdev(filp);
	void __user *argp = (void __user *)arg;
	unsigned int size = _IOC_SIZE(ioctl);
	union rvfio_ioctl_arg u;
	s32 *fds = NULL;
	long r;

	switch (ioctl) {
	case RINGVM_VFIO_GET_DEVICE_INFO:
	case RINGVM_VFIO_GET_REGION_INFO:
	case RINGVM_VFIO_GET_IRQ_INFO:
	case RINGVM_VFIO_MAP_DMA:
	case RINGVM_VFIO_UNMAP_DMA:
	case RINGVM_VFIO_SET_IRQS:
	case RINGVM_VFIO_UNMASK_INTX:
	case RINGVM_VFIO_RESET:
	case RINGVM_VFIO_SET_REQ_EVENTFD:
		break;
	default:
		return -ENOTTY;
	}
	BUILD_BUG_ON(sizeof(u) > 64);
	if ((_IOC_DIR(ioctl) & _IOC_WRITE) && copy_from_user(&u, argp, size))
		return -EFAULT;

	if (ioctl == RINGVM_VFIO_MAP_DMA)
		return rvfio_map_dma(rdev, &u.map);
	if (ioctl == RINGVM_VFIO_UNMAP_DMA)
		return rvfio_unmap_dma(rdev, &u.unmap);
	if (ioctl == RINGVM_VFIO_SET_IRQS && u.set.count &&
	    u.set.count <= RVFIO_MAX_VECTORS) {
		fds = memdup_user(u64_to_user_ptr(u.set.fds),
				  u.set.count * sizeof(*fds));
		if (IS_ERR(fds))
			return PTR_ERR(fds);
	}

	mutex_lock(&rdev->lock);
	r = rvfio_ioctl_locked(rdev, ioctl, arg, &u, fds);
	mutex_unlock(&rdev->lock);
	kfree(fds);

	if (!r && (_IOC_DIR(ioctl) & _IOC_READ) && copy_to_user(argp, &u, size))
		return -EFAULT;
	return r;
}

static ssize_t rvfio_read(struct file *filp, char __user *buf, size_t count,
			  loff_t *ppos)
{
	return rvfio_region_rw(file_rdev(filp), buf, count, *ppos, false);
}

static ssize_t rvfio_write(struct file *filp, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	return rvfio_region_rw(file_rdev(filp), (char __user *)buf, count,
			       *ppos, true);
}

/*
 * No lock: mmap runs under mmap_lock, which MAP_DMA takes under ours.
 * What it reads (the BAR's resource) is fixed while the device is bound.
 */
static int rvfio_mmap(struct file *filp, struct vm_area_struct *vma)
{
	return rvfio_region_mmap(file_rdev(filp), vma);
}

static const struct file_operations rvfio_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= rvfio_open,
	.release	= rvfio_release,
	.unlocked_ioctl	= rvfio_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.read		= rvfio_read,
	.write		= rvfio_write,
	.mmap		= rvfio_mmap,
	.llseek		= default_llseek,
};

int rvfio_dev_add(struct pci_dev *pdev)
{
	struct rvfio_dev *rdev;
	int r;

	rdev = kzalloc(sizeof(*rdev), GFP_KERNEL);
	if (!rdev)
		return -ENOMEM;
	rdev->pdev = pdev;
	mutex_init(&rdev->lock);
	mutex_init(&rdev->dma_lock);
	init_rwsem(&rdev->memory_lock);
	kref_init(&rdev->ref);
	init_waitqueue_head(&rdev->released);
	INIT_LIST_HEAD(&rdev->dmas);
	spin_lock_init(&rdev->intx_lock);
	rdev->irq_kind = -1;
	/* devtmpfs turns '!' into '/': the node lands in a directory. */
	snprintf(rdev->name, sizeof(rdev->name), "ringvm-vfio-dev!%s",
		 pci_name(pdev));
	rdev->misc.minor = MISC_DYNAMIC_MINOR;
	rdev->misc.name = rdev->name;
	rdev->misc.fops = &rvfio_dev_fops;
	rdev->misc.parent = &pdev->dev;
	rdev->misc.mode = 0600;
	/* What open puts back, whatever happened to the device since. */
	pci_save_state(pdev);
	rdev->probe_state = pci_store_saved_state(pdev);
	if (!rdev->probe_state) {
		kref_put(&rdev->ref, rvfio_dev_free);
		return -ENOMEM;
	}
	pci_set_drvdata(pdev, rdev);
	r = misc_register(&rdev->misc);
	if (r) {
		pci_set_drvdata(pdev, NULL);
		kref_put(&rdev->ref, rvfio_dev_free);
		return r;
	}
	pci_info(pdev, "bound: /dev/ringvm-vfio-dev/%s\n", pci_name(pdev));
	return 0;
}

/* Asks the owner, if it said how, to give the device back.  Returns whether it is open. */
static bool rvfio_request(struct rvfio_dev *rdev)
{
	bool opened;

	mutex_lock(&rdev->lock);
	opened = rdev->opened;
	if (opened && rdev->req_trigger)
		rvfio_eventfd_signal(rdev->req_trigger);
	mutex_unlock(&rdev->lock);
	return opened;
}

void rvfio_dev_remove(struct pci_dev *pdev)
{
	struct rvfio_dev *rdev = pci_get_drvdata(pdev);

	/* After this no open() is running and none can start. */
	misc_deregister(&rdev->misc);
	mutex_lock(&rdev->lock);
	rdev->removing = true;
	mutex_unlock(&rdev->lock);
	/*
	 * The device is in a VMM's hands: the driver core must not give it to
	 * anyone else until that VMM lets go, as vfio-pci does.  Ask it, and
	 * ask again now and then, as vfio-pci does, in case it was busy.
	 */
	if (rvfio_request(rdev)) {
		pci_info(pdev, "unbind waits for the owner to close the device\n");
		/*
		 * A condition, not a completion: no open can start once
		 * misc_deregister returned, so a release that ran before we
		 * looked cannot be taken for the one we wait for.
		 */
		while (!wait_event_timeout(rdev->released,
					   !READ_ONCE(rdev->opened), 10 * HZ))
			rvfio_request(rdev);
	}
	rvfio_remove_reset(rdev);
	pci_set_drvdata(pdev, NULL);
	kref_put(&rdev->ref, rvfio_dev_free);
}
