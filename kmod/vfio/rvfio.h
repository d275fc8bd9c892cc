/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ringvm_vfio internals: one struct rvfio_dev per PCI device bound to the
 * "ringvm-vfio" driver, shared by the files that each handle one concern.
 */
#ifndef RINGVM_VFIO_INTERNAL_H
#define RINGVM_VFIO_INTERNAL_H

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include <linux/ringvm_vfio.h>

/* MSI-X allows at most 2048 vectors. */
#define RVFIO_MAX_VECTORS	2048
/* Bounds the kernel memory one open device can make us allocate. */
#define RVFIO_MAX_MAPPINGS	4096
/* One mapping's page array must stay far below kvmalloc's INT_MAX. */
#define RVFIO_MAX_MAP_SIZE	(1ULL << 36)

struct rvfio_dma {
	struct list_head node;
	u64 iova;
	u64 size;
	unsigned long npages;
	bool writable;		/* the device may write: unpin dirty */
	struct page **pages;
};

struct rvfio_vector {
	struct rvfio_dev *rdev;
	struct eventfd_ctx *trigger;
	int irq;		/* Linux IRQ number, 0 when not requested */
	char name[40];
};

struct rvfio_dev {
	struct pci_dev *pdev;
	struct miscdevice misc;
	char name[48];		/* "ringvm-vfio-dev!<BDF>" */

	/*
	 * Lock order: lock -> dma_lock -> mmap_lock.  Nothing here is taken
	 * under mmap_lock (mmap takes no lock of ours), and no user memory is
	 * copied while either is held: a fault on the copy would take
	 * mmap_lock under it.
	 *
	 * lock serialises open/release, the ioctls other than the DMA ones
	 * and region access.
	 */
	struct mutex lock;
	bool opened;
	bool removing;
	/*
	 * The driver holds one reference and an open file another, so that
	 * release can still wake remove (and touch rdev) after remove has
	 * seen the device closed.
	 */
	struct kref ref;
	wait_queue_head_t released;	/* woken when opened goes false */
	struct pci_saved_state *probe_state;	/* config space at bind time */
	bool needs_reset;	/* release could not reset: remove will */

	/* Valid while opened. */
	struct iommu_group *group;
	struct iommu_domain *domain;
	struct mm_struct *mm;	/* mmgrab'd: the mm that pays for pinned pages */
	/* dma_lock: the mappings; taken alone by MAP_DMA / UNMAP_DMA. */
	struct mutex dma_lock;
	struct list_head dmas;
	unsigned int ndmas;
	struct pci_saved_state *saved;
	void __iomem *bar_map[PCI_STD_NUM_BARS];

	/*
	 * BAR access.  memory_lock (read) covers every MMIO access we make
	 * for userspace and every fault that maps a BAR page; it is held
	 * for writing while memory decode changes or the device resets, and
	 * the mappings are zapped then.  bars_enabled: decode on and in D0.
	 * Order: mmap_lock -> memory_lock (faults), lock -> memory_lock.
	 */
	struct rw_semaphore memory_lock;
	bool bars_enabled;
	struct address_space *mapping;	/* the open file's: the owner's mmaps */

	/* config.c: userspace's view of config space, per byte (see there). */
	u8 cfg_wmask[PCI_CFG_SPACE_SIZE];
	u8 cfg_vmask[PCI_CFG_SPACE_SIZE];
	u8 cfg_virt[PCI_CFG_SPACE_SIZE];
	DECLARE_BITMAP(cfg_owned, PCI_CFG_SPACE_SIZE);
	DECLARE_BITMAP(cfg_fixed, PCI_CFG_SPACE_SIZE);	/* virtual, read-only */
	u8 exp_cap;		/* PCI Express capability offset, or 0 */

	/* Interrupts: one kind at a time. */
	int irq_kind;		/* RINGVM_VFIO_IRQ_* or -1 */
	unsigned int nvec;
	struct rvfio_vector *vec;
	spinlock_t intx_lock;	/* intx_masked vs. the INTx handler */
	bool intx_masked;

	struct eventfd_ctx *req_trigger;	/* SET_REQ_EVENTFD, or NULL */
};

extern bool rvfio_allow_unsafe_interrupts;

/* device.c */
int rvfio_dev_add(struct pci_dev *pdev);
void rvfio_dev_remove(struct pci_dev *pdev);
int rvfio_reset_device(struct rvfio_dev *rdev);

/* config.c */
void rvfio_config_init(struct rvfio_dev *rdev);
int rvfio_config_read(struct rvfio_dev *rdev, unsigned int pos,
		      unsigned int len, u32 *val);
int rvfio_config_write(struct rvfio_dev *rdev, unsigned int pos,
		       unsigned int len, u32 val);

/* dma.c */
long rvfio_map_dma(struct rvfio_dev *rdev, const struct ringvm_vfio_dma_map *m);
long rvfio_unmap_dma(struct rvfio_dev *rdev,
		     const struct ringvm_vfio_dma_unmap *u);
void rvfio_unmap_all(struct rvfio_dev *rdev);

/* region.c */
long rvfio_region_info(struct rvfio_dev *rdev,
		       struct ringvm_vfio_region_info *info);
ssize_t rvfio_region_rw(struct rvfio_dev *rdev, char __user *buf,
			size_t count, loff_t pos, bool write);
int rvfio_region_mmap(struct rvfio_dev *rdev, struct vm_area_struct *vma);
void rvfio_unmap_bars(struct rvfio_dev *rdev);
void rvfio_bars_update(struct rvfio_dev *rdev);

/* irq.c */
long rvfio_irq_info(struct rvfio_dev *rdev, struct ringvm_vfio_irq_info *info);
long rvfio_set_irqs(struct rvfio_dev *rdev,
		    const struct ringvm_vfio_irq_set *set, const s32 *fds);
long rvfio_unmask_intx(struct rvfio_dev *rdev);
void rvfio_irqs_off(struct rvfio_dev *rdev);
void rvfio_intx_reapply(struct rvfio_dev *rdev);

#endif /* RINGVM_VFIO_INTERNAL_H */
