/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel APIs ringvm_vfio uses that changed between Debian's 6.1 and
 * 6.12 kernels; every version test lives here.
 */
#ifndef RINGVM_VFIO_COMPAT_H
#define RINGVM_VFIO_COMPAT_H

#include <linux/version.h>
#include <linux/eventfd.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>

static inline void rvfio_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static inline int rvfio_iommu_map(struct iommu_domain *d, unsigned long iova,
				  phys_addr_t paddr, size_t size, int prot)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_map(d, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#else
	return iommu_map(d, iova, paddr, size, prot);
#endif
}

/* NULL or ERR_PTR on failure, depending on the kernel; callers see NULL. */
static inline struct iommu_domain *rvfio_domain_alloc(struct pci_dev *pdev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct iommu_domain *d = iommu_paging_domain_alloc(&pdev->dev);

	return IS_ERR(d) ? NULL : d;
#else
	return iommu_domain_alloc(&pci_bus_type);
#endif
}

/* Can the device's MSIs be confined to the vectors the broker set up? */
static inline bool rvfio_msi_isolated(struct pci_dev *pdev,
				      struct iommu_group *group)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_group_has_isolated_msi(group);
#else
	return device_iommu_capable(&pdev->dev, IOMMU_CAP_INTR_REMAP);
#endif
}

static inline void rvfio_vm_flags_set(struct vm_area_struct *vma,
				      unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* RINGVM_VFIO_COMPAT_H */
