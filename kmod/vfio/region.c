// SPDX-License-Identifier: GPL-2.0
/*
 * Regions: the six BARs and config space, reached with pread/pwrite at
 * RINGVM_VFIO_REGION_OFFSET(index) + offset, MMIO BARs also with mmap.
 * Config space goes through config.c's permission tables; memory BARs
 * are reachable only while they decode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "rvfio.h"

#define RVFIO_OFFSET_MASK	(RINGVM_VFIO_REGION_OFFSET(1) - 1)

static bool rvfio_bar_mmapable(struct pci_dev *pdev, int bar)
{
	/* A sub-page BAR would share its page with someone else's registers. */
	return (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
	       PAGE_ALIGNED(pci_resource_start(pdev, bar)) &&
	       PAGE_ALIGNED(pci_resource_len(pdev, bar));
}

long rvfio_region_info(struct rvfio_dev *rdev,
		       struct ringvm_vfio_region_info *info)
{
	struct pci_dev *pdev = rdev->pdev;
	unsigned long fl;

	if (info->index >= RINGVM_VFIO_NUM_REGIONS)
		return -EINVAL;
	info->offset = RINGVM_VFIO_REGION_OFFSET(info->index);
	info->flags = 0;
	info->size = 0;
	if (info->index == RINGVM_VFIO_REGION_CONFIG) {
		info->size = pdev->cfg_size;
		info->flags = RINGVM_VFIO_REGION_READ | RINGVM_VFIO_REGION_WRITE;
	} else if (pci_resource_len(pdev, info->index)) {
		fl = pci_resource_flags(pdev, info->index);
		info->size = pci_resource_len(pdev, info->index);
		info->flags = RINGVM_VFIO_REGION_READ | RINGVM_VFIO_REGION_WRITE;
		if (fl & IORESOURCE_IO)
			info->flags |= RINGVM_VFIO_REGION_IO_PORT;
		else if (rvfio_bar_mmapable(pdev, info->index))
			info->flags |= RINGVM_VFIO_REGION_MMAP;
	}
	return 0;
}

/* @val: in for a write, out for a read; the caller copies it from/to the user. */
static ssize_t rvfio_config_rw(struct rvfio_dev *rdev, u64 *val, size_t count,
			       u64 pos, bool write)
{
	u32 v32 = 0;
	int r;

	if ((count != 1 && count != 2 && count != 4) || pos % count ||
	    pos + count > rdev->pdev->cfg_size)
		return -EINVAL;
	if (write)
		return rvfio_config_write(rdev, pos, count, *val);
	r = rvfio_config_read(rdev, pos, count, &v32);
	*val = v32;
	return r ? r : count;
}

static void __iomem *rvfio_bar_iomap(struct rvfio_dev *rdev, int bar)
{
	if (!rdev->bar_map[bar])
		rdev->bar_map[bar] = pci_iomap(rdev->pdev, bar, 0);
	return rdev->bar_map[bar];
}

static ssize_t rvfio_bar_rw(struct rvfio_dev *rdev, int bar, u64 *val,
			    size_t count, u64 pos, bool write)
{
	struct pci_dev *pdev = rdev->pdev;
	bool mem = pci_resource_flags(pdev, bar) & IORESOURCE_MEM;
	void __iomem *io;

	if (!pci_resource_len(pdev, bar))
		return -EINVAL;
	if ((count != 1 && count != 2 && count != 4 && !(count == 8 && mem)) ||
	    pos % count || pos + count > pci_resource_len(pdev, bar))
		return -EINVAL;
	io = rvfio_bar_iomap(rdev, bar);
	if (!io)
		return -ENOMEM;
	io += pos;
	/*
	 * MMIO to a function whose decode is off (or mid-reset) ends in an
	 * Unsupported Request, which many platforms escalate to a machine
	 * check: refuse it, as vfio-pci does.
	 */
	down_read(&rdev->memory_lock);
	if (mem && !rdev->bars_enabled) {
		up_read(&rdev->memory_lock);
		return -EIO;
	}
	if (write) {
		switch (count) {
		case 1:
			iowrite8(*val, io);
			break;
		case 2:
			iowrite16(*val, io);
			break;
		case 4:
			iowrite32(*val, io);
			break;
		default:
			writeq(*val, io);
		}
		up_read(&rdev->memory_lock);
		return count;
	}
	switch (count) {
	case 1:
		*val = ioread8(io);
		break;
	case 2:
		*val = ioread16(io);
		break;
	case 4:
		*val = ioread32(io);
		break;
	default:
		*val = readq(io);
	}
	up_read(&rdev->memory_lock);
	return count;
}

/*
 * The user's bytes are copied in before rdev->lock is taken and out after
 * it is dropped: a fault on @buf (which may even be this device's own BAR
 * mapping) must never happen under a lock of ours.
 */
ssize_t rvfio_region_rw(struct rvfio_dev *rdev, char __user *buf,
			size_t count, loff_t ppos, bool write)
{
	u64 index = (u64)ppos >> RINGVM_VFIO_REGION_SHIFT;
	u64 pos = (u64)ppos & RVFIO_OFFSET_MASK;
	u64 val = 0;
	ssize_t r;

	if (ppos < 0 || index >= RINGVM_VFIO_NUM_REGIONS || count > sizeof(val))
		return -EINVAL;
	if (write && copy_from_user(&val, buf, count))
		return -EFAULT;
	mutex_lock(&rdev->lock);
	if (index == RINGVM_VFIO_REGION_CONFIG)
		r = rvfio_config_rw(rdev, &val, count, pos, write);
	else
		r = rvfio_bar_rw(rdev, index, &val, count, pos, write);
	mutex_unlock(&rdev->lock);
	if (r > 0 && !write && copy_to_user(buf, &val, count))
		return -EFAULT;
	return r;
}

/*
 * BAR pages are mapped on fault, and only while the BARs decode: zapped
 * when decode goes off or the device resets, a later access faults here
 * and gets SIGBUS until decode is back, as with vfio-pci.  Zapping goes
 * through the MMU notifiers, so a VM's memory slot over the mapping (KVM,
 * ringvm.ko) loses its EPT entries too and faults back through here.
 */
static vm_fault_t rvfio_bar_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct rvfio_dev *rdev = vma->vm_private_data;
	u64 index = vma->vm_pgoff >> (RINGVM_VFIO_REGION_SHIFT - PAGE_SHIFT);
	unsigned long pgoff = vmf->pgoff & (RVFIO_OFFSET_MASK >> PAGE_SHIFT);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&rdev->memory_lock);
	if (rdev->bars_enabled)
		ret = vmf_insert_pfn(vma, vmf->address,
				     (pci_resource_start(rdev->pdev, index) >> PAGE_SHIFT) +
				     pgoff);
	up_read(&rdev->memory_lock);
	return ret;
}

static const struct vm_operations_struct rvfio_bar_vm_ops = {
	.fault = rvfio_bar_fault,
};

/* Takes no lock: see rvfio_mmap. */
int rvfio_region_mmap(struct rvfio_dev *rdev, struct vm_area_struct *vma)
{
	struct pci_dev *pdev = rdev->pdev;
	u64 index = vma->vm_pgoff >> (RINGVM_VFIO_REGION_SHIFT - PAGE_SHIFT);
	u64 off = ((u64)vma->vm_pgoff << PAGE_SHIFT) & RVFIO_OFFSET_MASK;
	u64 len = vma->vm_end - vma->vm_start;
	u64 bar_len;

	if (index > RINGVM_VFIO_REGION_BAR5 || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	bar_len = pci_resource_len(pdev, index);
	if (!bar_len || !rvfio_bar_mmapable(pdev, index))
		return -EINVAL;
	if (off >= bar_len || len > bar_len - off)
		return -EINVAL;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = rdev;
	vma->vm_ops = &rvfio_bar_vm_ops;
	rvfio_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	return 0;
}

/*
 * Under rdev->lock (it reads the virtual config space) and memory_lock
 * held for writing: reads whether the BARs decode now and, when they do
 * not, takes every BAR page out of the owner's page tables so that no
 * access can reach the device until they do again.
 */
void rvfio_bars_update(struct rvfio_dev *rdev)
{
	struct pci_dev *pdev = rdev->pdev;
	u16 cmd = 0;

	lockdep_assert_held(&rdev->lock);
	lockdep_assert_held_write(&rdev->memory_lock);

	/* A VF's bit is virtual (rvfio_config_init_vf). */
	if (pdev->no_command_memory)
		cmd = rdev->cfg_virt[PCI_COMMAND];
	else
		pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	rdev->bars_enabled = (cmd & PCI_COMMAND_MEMORY) &&
			     pdev->current_state == PCI_D0;
	if (!rdev->bars_enabled && rdev->mapping)
		unmap_mapping_range(rdev->mapping, 0, 0, true);
}

void rvfio_unmap_bars(struct rvfio_dev *rdev)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (rdev->bar_map[i])
			pci_iounmap(rdev->pdev, rdev->bar_map[i]);
		rdev->bar_map[i] = NULL;
	}
}
