/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtual machine: its memory slots, EPT, and vCPUs.
 */
#ifndef RINGVM_VM_H
#define RINGVM_VM_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/ringvm.h>

#define RINGVM_MAX_VCPUS	16
#define RINGVM_EPT_CACHE	3	/* table pages one EPT walk may need */

struct ringvm_vcpu;
struct mm_struct;
struct rv_irqchip;

struct ringvm_memslot {
	u64 gpa;
	u64 npages;
	unsigned long hva;
	u32 flags;
	bool used;
};

struct ringvm_vm {
	struct kref kref;
	struct mm_struct *mm;		/* the creator's; slots are addresses in it */
	pid_t pid;
	kuid_t uid;			/* the creator's euid: whose VM netlink shows */
	struct list_head link;		/* vm_list */
	unsigned int id;

	struct mutex lock;		/* slots, vCPU creation, EPT faults */
	/*
	 * EPT tables and leaves, the notifier's state below; slots change
	 * under both locks, so the notifier may read them under this one.
	 */
	spinlock_t mmu_lock;
	struct ringvm_memslot slots[RINGVM_MAX_MEMSLOTS];

	u64 *ept_root;			/* PML4, one page */
	u64 eptp;
	void *ept_cache[RINGVM_EPT_CACHE];	/* zeroed pages for new tables */
	unsigned int nr_ept_cache;
	unsigned long pinned_pages;	/* charged to mm->locked_vm */
	unsigned long device_pages;	/* leaves on VM_IO/VM_PFNMAP memory */

	struct mmu_notifier mmu_notifier;
	unsigned long mmu_seq;		/* bumped as each invalidation ends */
	unsigned int mmu_invalidating;	/* invalidations under way ... */
	unsigned long inval_start;	/* ... and the VMM addresses they cover */
	unsigned long inval_end;

	struct ringvm_vcpu *vcpus[RINGVM_MAX_VCPUS];
	unsigned int nr_vcpus;
	bool vcpus_created;		/* ever: the irqchip must come first */

	/* NULL until RINGVM_CREATE_IRQCHIP; set once under lock (irq.c). */
	struct rv_irqchip *irqchip;

	struct {			/* irqfd.c */
		struct mutex assign_lock;
		spinlock_t lock;
		struct list_head items;
		struct mutex resampler_lock;
		struct list_head resamplers;
		int source_id;		/* plain irqfds' interrupt source */
	} irqfds;

	struct mutex ioeventfd_lock;	/* ioeventfds */
	struct list_head ioeventfds;
	unsigned int nr_ioeventfds;
};

int ringvm_vm_create(unsigned long type);

/* ioeventfds (ioeventfd.c). */
int ringvm_ioeventfd(struct ringvm_vm *vm, const struct ringvm_ioeventfd *a);
/* True when an ioeventfd took this MMIO write: the guest goes on. */
bool ringvm_ioeventfd_write(struct ringvm_vm *vm, u64 addr, u32 len, u64 val);
void ringvm_ioeventfd_free_all(struct ringvm_vm *vm);
void ringvm_vm_get(struct ringvm_vm *vm);
void ringvm_vm_put(struct ringvm_vm *vm);

/* The in-kernel irqchip (irq.c). */
long ringvm_irq_ioctl(struct ringvm_vm *vm, unsigned int ioctl, void __user *argp);
void ringvm_irqchip_destroy(struct ringvm_vm *vm);
/* The VM's irqchip, or NULL before RINGVM_CREATE_IRQCHIP (an acquire load). */
struct rv_irqchip *ringvm_vm_irqchip(struct ringvm_vm *vm);
/*
 * Drive GSI @gsi from interrupt source @source_id (0 is RINGVM_IRQ_LINE;
 * others come from ringvm_irq_source_alloc); the GSI's level is the OR of
 * its sources'.  Returns the RINGVM_IRQ_LINE_STATUS value (> 0 delivered,
 * 0 coalesced, -1 masked/unrouted) or -ENXIO/-EINVAL.  Process context;
 * may hold a spinlock (it never sleeps) but not from hard-IRQ context.
 */
int ringvm_irq_set(struct ringvm_vm *vm, int source_id, u32 gsi, bool level);
int ringvm_irq_set_msi_inatomic(struct ringvm_vm *vm, u32 gsi);
/* A source id of one's own (> 0), or -ENXIO without irqchip, -ENOSPC. */
int ringvm_irq_source_alloc(struct ringvm_vm *vm);
/* Release @id; the GSIs it alone held high go low. */
void ringvm_irq_source_free(struct ringvm_vm *vm, int id);

/* RINGVM_SET_GSI_ROUTING, RINGVM_SIGNAL_MSI (routing.c); -ENOTTY for others. */
int ringvm_irqfd(struct ringvm_vm *vm, const struct ringvm_irqfd *args);
void ringvm_irqfd_acked(struct ringvm_vm *vm, u32 chip, u32 pin);
void ringvm_irqfd_vm_init(struct ringvm_vm *vm);
void ringvm_irqfd_release(struct ringvm_vm *vm);
int ringvm_irqfd_init(void);
void ringvm_irqfd_exit(void);

long ringvm_routing_ioctl(struct ringvm_vm *vm, unsigned int ioctl, void __user *argp);

/* Memory slots (memslot.c); callers hold vm->lock. */
int ringvm_set_memory_region(struct ringvm_vm *vm,
			     const struct ringvm_userspace_memory_region *mr);
const struct ringvm_memslot *ringvm_find_slot(struct ringvm_vm *vm, u64 gpa);
void ringvm_free_all_slots(struct ringvm_vm *vm);

/* Guest-physical access through the slots, from the VMM's task context. */
int ringvm_read_guest(struct ringvm_vm *vm, u64 gpa, void *buf, unsigned int len);
int ringvm_write_guest(struct ringvm_vm *vm, u64 gpa, const void *buf, unsigned int len);

/* VM list walkers for the netlink family. */
extern struct mutex ringvm_vm_list_lock;
extern struct list_head ringvm_vm_list;

#endif /* RINGVM_VM_H */
