// SPDX-License-Identifier: GPL-2.0
/*
 * Regions: the six BARs and config space, reached with pread/pwrite at
 * RINGVM_VFIO_REGION_OFFSET(index) + offset, MMIO BARs also with mmap.
 * Config writes that would let userspace move a BAR or reprogram the MSI
 * or MSI-X capability are refused; bus mastering and INTx masking stay
 * the broker's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "rvfio.h"

#define RVFIO_OFFSET_MASK	(RINGVM_VFIO_REGION_OFFSET(1) - 1)
#define RVFIO_CMD_OWNED		(PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

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

/* Length of the MSI capability, which depends on its own flags. */
static unsigned int rvfio_msi_cap_len(struct pci_dev *pdev)
{
	u16 ctrl;
	unsigned int len = 10;

	pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &ctrl);
	if (ctrl & PCI_MSI_FLAGS_64BIT)
		len += 4;
	if (ctrl & PCI_MSI_FLAGS_MASKBIT)
		len += 10;
	return len;
}

static bool rvfio_in(unsigned int pos, unsigned int len, unsigned int start,
		     unsigned int size)
{
	return pos < start + size && start < pos + len;
}

/* -EPERM for a write the broker keeps for itself, 0 otherwise. */
static int rvfio_config_write_allowed(struct pci_dev *pdev, unsigned int pos,
				      unsigned int len, u32 val)
{
	if (rvfio_in(pos, len, PCI_BASE_ADDRESS_0, 6 * 4) ||
	    rvfio_in(pos, len, PCI_ROM_ADDRESS, 4))
		return -EPERM;
	if (pdev->msi_cap &&
	    rvfio_in(pos, len, pdev->msi_cap, rvfio_msi_cap_len(pdev)))
		return -EPERM;
	if (pdev->msix_cap &&
	    rvfio_in(pos, len, pdev->msix_cap, PCI_CAP_MSIX_SIZEOF))
		return -EPERM;
	return 0;
}

/*
 * A write covering the command register (a byte or word of it, or the
 * dword with status).  Bus master and INTx disable stay as the device
 * has them: the broker keeps mastering on while open, and DisINTx is the
 * INTx handler's mask.  Read, merge and write happen under intx_lock,
 * which the handler holds while it sets DisINTx: otherwise a write
 * merged from a value read just before an interrupt would unmask the
 * line the handler had just masked, and the still-asserted level
 * interrupt would storm until the kernel disabled the line.
 */
static int rvfio_config_write_cmd(struct rvfio_dev *rdev, unsigned int pos,
				  unsigned int len, u32 val)
{
	struct pci_dev *pdev = rdev->pdev;
	unsigned int shift = (pos - PCI_COMMAND) * 8;
	u32 owned = RVFIO_CMD_OWNED >> shift;
	unsigned long flags;
	u16 cmd;
	int r;

	spin_lock_irqsave(&rdev->intx_lock, flags);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	val = (val & ~owned) | ((cmd >> shift) & owned);
	/* The plain accessors: the user ones may sleep on a blocked config space. */
	if (len == 1)
		r = pci_write_config_byte(pdev, pos, val);
	else if (len == 2)
		r = pci_write_config_word(pdev, pos, val);
	else
		r = pci_write_config_dword(pdev, pos, val);
	spin_unlock_irqrestore(&rdev->intx_lock, flags);
	return r ? pcibios_err_to_errno(r) : len;
}

/* @val: in for a write, out for a read; the caller copies it from/to the user. */
static ssize_t rvfio_config_rw(struct rvfio_dev *rdev, u64 *val, size_t count,
			       u64 pos, bool write)
{
	struct pci_dev *pdev = rdev->pdev;
	u32 v32 = 0;
	int r;

	if ((count != 1 && count != 2 && count != 4) || pos % count ||
	    pos + count > pdev->cfg_size)
		return -EINVAL;
	if (write) {
		r = rvfio_config_write_allowed(pdev, pos, count, *val);
		if (r)
			return r;
		if (rvfio_in(pos, count, PCI_COMMAND, 2))
			return rvfio_config_write_cmd(rdev, pos, count, *val);
		if (count == 1)
			r = pci_user_write_config_byte(pdev, pos, *val);
		else if (count == 2)
			r = pci_user_write_config_word(pdev, pos, *val);
		else
			r = pci_user_write_config_dword(pdev, pos, *val);
		return r ? r : count;
	}
	if (count == 1) {
		u8 v;

		r = pci_user_read_config_byte(pdev, pos, &v);
		v32 = v;
	} else if (count == 2) {
		u16 v;

		r = pci_user_read_config_word(pdev, pos, &v);
		v32 = v;
	} else {
		r = pci_user_read_config_dword(pdev, pos, &v32);
	}
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
	return io_remap_pfn_range(vma, vma->vm_start,
				  (pci_resource_start(pdev, index) + off) >> PAGE_SHIFT,
				  len, vma->vm_page_prot);
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
