/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel interfaces that changed between Debian 12's 6.1 and 6.12
 * kernels, behind one name each.
 */
#ifndef RINGVM_COMPAT_H
#define RINGVM_COMPAT_H

#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/version.h>
#include <asm/fpu/api.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <asm/gsseg.h>		/* load_gs_index(), in special_insns.h before */
#endif

static inline void ringvm_vma_set_io_flags(struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
#endif
}

/* The NMI entry KVM uses to hand an NMI that exited a guest back to the host. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
extern void asm_exc_nmi_kvm_vmx(void);
#define RINGVM_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#else
extern void asm_exc_nmi_noist(void);
#define RINGVM_NMI_ENTRY	asm_exc_nmi_noist
#endif

static inline void ringvm_fpu_swap(struct fpu_guest *gfpu, bool enter_guest)
{
	fpu_swap_kvm_fpstate(gfpu, enter_guest);
}

/* hrtimer_setup() replaced hrtimer_init() + ->function in 6.13; 6.15 removed the latter. */
static inline void ringvm_hrtimer_setup(struct hrtimer *timer,
					enum hrtimer_restart (*fn)(struct hrtimer *),
					clockid_t clock, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/* eventfd_signal() lost its count argument in 6.8. */
static inline void ringvm_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * The PFN a VM_IO/VM_PFNMAP mapping has at @addr (mmap_lock held):
 * follow_pte() took the VMA in 6.10 and gave way to follow_pfnmap_start()
 * in 6.12.  -EINVAL when no PTE is present.
 */
static inline int ringvm_follow_pfn(struct vm_area_struct *vma, unsigned long addr,
				    unsigned long *pfn, bool *writable)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int r = follow_pfnmap_start(&args);

	if (r)
		return r;
	*pfn = args.pfn;
	*writable = args.writable;
	follow_pfnmap_end(&args);
	return 0;
#else
	spinlock_t *ptl;
	pte_t *ptep;
	int r;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	r = follow_pte(vma, addr, &ptep, &ptl);
#else
	r = follow_pte(vma->vm_mm, addr, &ptep, &ptl);
#endif
	if (r)
		return r;
	*pfn = pte_pfn(*ptep);
	*writable = pte_write(*ptep);
	pte_unmap_unlock(ptep, ptl);
	return 0;
#endif
}

/*
 * The reschedule IPI that makes a CPU leave guest mode (KVM's kick).  Since
 * 6.3 smp_send_reschedule() also traces, with a tracepoint modules lack.
 */
static inline void ringvm_send_reschedule(int cpu)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	arch_smp_send_reschedule(cpu);
#else
	smp_send_reschedule(cpu);
#endif
}

/*
 * Suspend and resume callbacks: struct syscore_ops registered directly,
 * or (RINGVM_SYSCORE_DATA, set by Kbuild from the header) wrapped in a
 * struct syscore whose callbacks take a context pointer.
 */
#ifdef RINGVM_SYSCORE_DATA
#define RINGVM_DEFINE_SYSCORE(name, suspend_fn, resume_fn)			\
static int name##_suspend(void *data) { return suspend_fn(); }		\
static void name##_resume(void *data) { resume_fn(); }			\
static const struct syscore_ops name##_ops = {				\
	.suspend = name##_suspend,					\
	.resume = name##_resume,					\
};									\
static struct syscore name = { .ops = &name##_ops }
#define ringvm_register_syscore(s)	register_syscore(s)
#define ringvm_unregister_syscore(s)	unregister_syscore(s)
#else
#define RINGVM_DEFINE_SYSCORE(name, suspend_fn, resume_fn)			\
static struct syscore_ops name = {					\
	.suspend = suspend_fn,						\
	.resume = resume_fn,						\
}
#define ringvm_register_syscore(s)	register_syscore_ops(s)
#define ringvm_unregister_syscore(s)	unregister_syscore_ops(s)
#endif

#endif /* RINGVM_COMPAT_H */
