// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU file: creation, the shared run pages, and the ioctls, each
 * between ringvm_vcpu_load() and ringvm_vcpu_put() (loaded.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "capabilities.h"
#include "compat.h"
#include "entry_work.h"
#include "hardware.h"
#include "irq.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

#define RINGVM_MAX_MSR_ENTRIES	256

/*
 * struct ringvm_sregs before interrupt_bitmap (the ringvm ABI of 2026-11):
 * a VMM built against it keeps working.  Its SET_SREGS leaves the vCPU's
 * acknowledged interrupt as it is, since it cannot say anything about it.
 */
#define RINGVM_SREGS_V1_SIZE	offsetof(struct ringvm_sregs, interrupt_bitmap)
#define RINGVM_GET_SREGS_V1	_IOC(_IOC_READ, RINGVMIO, 0x83, RINGVM_SREGS_V1_SIZE)
#define RINGVM_SET_SREGS_V1	_IOC(_IOC_WRITE, RINGVMIO, 0x84, RINGVM_SREGS_V1_SIZE)

static DEFINE_IDA(vpid_ida);
static vm_fault_t vcpu_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct vcpu_vm_ops = {
	.fault = vcpu_fault,
};

/* Page 0: struct ringvm_run; page 1: string I/O data. */
static int vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct ringvm_vcpu *vcpu = filp->private_data;
	unsigned long npages = vma_pages(vma);
	int r;

	if (vma->vm_pgoff || npages > 2)
		return -EINVAL;
	ringvm_vma_set_io_flags(vma);
	vma->vm_ops = &vcpu_vm_ops;
	r = vm_insert_page(vma, vma->vm_start, virt_to_page(vcpu->run));
	if (!r && npages == 2)
		r = vm_insert_page(vma, vma->vm_start + PAGE_SIZE, virt_to_page(vcpu->pio_data));
	return r;
}

static long vcpu_msrs_ioctl(struct ringvm_vcpu *vcpu, struct ringvm_msrs __user *um,
			    bool set)
{
	struct ringvm_msr_entry *e;
	struct ringvm_msrs hdr;
	u32 i;
	long r;

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs > RINGVM_MAX_MSR_ENTRIES)
		return -E2BIG;
	e = memdup_user(um->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);

	ringvm_vcpu_load(vcpu);
	for (i = 0; i < hdr.nmsrs; i++) {
		r = set ? ringvm_set_msr(vcpu, e[i].index, e[i].data, true) :
			  ringvm_get_msr(vcpu, e[i].index, &e[i].data, true);
		if (r)
			break;
	}
	ringvm_vcpu_put(vcpu);

	r = i;
	if (!set && copy_to_user(um->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

/*
 * Register access needs the VMCS current; the body may sleep (SET_SREGS
 * reads PDPTEs from guest memory): the preempt notifier follows the task.
 */
#define WITH_VMCS(vcpu, stmt)			\
	do {					\
		ringvm_vcpu_load(vcpu);		\
		stmt;				\
		ringvm_vcpu_put(vcpu);		\
	} while (0)

static long vcpu_fpu_ioctl(struct ringvm_vcpu *vcpu, struct ringvm_fpu __user *uf, bool set);

static long vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct ringvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (ioctl) {
	case RINGVM_RUN:
		r = arg ? -EINVAL : ringvm_vcpu_run(vcpu);
		break;
	case RINGVM_GET_REGS: {
		struct ringvm_regs regs;

		WITH_VMCS(vcpu, ringvm_get_regs(vcpu, &regs));
		r = copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
		break;
	}
	case RINGVM_SET_REGS: {
		struct ringvm_regs regs;

		r = -EFAULT;
		if (copy_from_user(&regs, argp, sizeof(regs)))
			break;
		WITH_VMCS(vcpu, ringvm_set_regs(vcpu, &regs));
		r = 0;
		break;
	}
	case RINGVM_GET_SREGS:
	case RINGVM_GET_SREGS_V1: {
		struct ringvm_sregs sregs;

		WITH_VMCS(vcpu, ringvm_get_sregs(vcpu, &sregs));
		r = copy_to_user(argp, &sregs, _IOC_SIZE(ioctl)) ? -EFAULT : 0;
		break;
	}
	case RINGVM_SET_SREGS:
	case RINGVM_SET_SREGS_V1: {
		struct ringvm_sregs sregs = {};

		/* The old numbers are ABI: no field may go in before the bitmap. */
		BUILD_BUG_ON(RINGVM_SREGS_V1_SIZE != 280);

		r = -EFAULT;
		if (copy_from_user(&sregs, argp, _IOC_SIZE(ioctl)))
			break;
		if (ioctl == RINGVM_SET_SREGS_V1 && vcpu->pending_irq >= 0)
			__set_bit(vcpu->pending_irq, (unsigned long *)sregs.interrupt_bitmap);
		WITH_VMCS(vcpu, r = ringvm_set_sregs(vcpu, &sregs));
		break;
	}
	case RINGVM_GET_MSRS:
		r = vcpu_msrs_ioctl(vcpu, argp, false);
		break;
	case RINGVM_SET_MSRS:
		r = vcpu_msrs_ioctl(vcpu, argp, true);
		break;
	case RINGVM_GET_FPU:
		r = vcpu_fpu_ioctl(vcpu, argp, false);
		break;
	case RINGVM_SET_FPU:
		r = vcpu_fpu_ioctl(vcpu, argp, true);
		break;
	case RINGVM_SET_CPUID:
		r = ringvm_set_cpuid(vcpu, argp);
		break;
	case RINGVM_GET_CPUID:
		r = ringvm_get_cpuid(vcpu, argp);
		break;
	case RINGVM_INTERRUPT: {
		struct ringvm_interrupt irq;

		r = -EFAULT;
		if (copy_from_user(&irq, argp, sizeof(irq)))
			break;
		r = -ENXIO;	/* the in-kernel irqchip injects, as on KVM */
		if (vcpu->lapic)
			break;
		r = -EINVAL;
		if (irq.irq < 32 || irq.irq > 255)
			break;
		r = -EBUSY;
		if (vcpu->pending_irq >= 0)
			break;
		vcpu->pending_irq = irq.irq;
		vcpu->pending_irq_apic = false;
		r = 0;
		break;
	}
	case RINGVM_GET_MP_STATE:
	case RINGVM_SET_MP_STATE:
		r = ringvm_mp_state_ioctl(vcpu, ioctl, argp);
		break;
	case RINGVM_GET_LAPIC:
	case RINGVM_SET_LAPIC:
		r = ringvm_lapic_ioctl(vcpu, ioctl, argp);
		break;
	default:
		r = -ENOTTY;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

/* The legacy FXSAVE area heads the XSAVE image the FPU core hands out. */
static long vcpu_fpu_ioctl(struct ringvm_vcpu *vcpu, struct ringvm_fpu __user *uf, bool set)
{
	unsigned int size = vcpu->fpu.uabi_size;
	struct fxregs_state *fx;
	struct ringvm_fpu f;
	u32 pkru = 0;
	void *buf;
	long r = 0;

	buf = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, buf, size,
				       ringvm_host_xcr0 | XFEATURE_MASK_FPSSE, 0);
	fx = buf;
	if (!set) {
		memset(&f, 0, sizeof(f));
		memcpy(f.fpr, fx->st_space, sizeof(f.fpr));
		f.fcw = fx->cwd;
		f.fsw = fx->swd;
		f.ftwx = fx->twd;
		f.last_opcode = fx->fop;
		f.last_ip = fx->rip;
		f.last_dp = fx->rdp;
		memcpy(f.xmm, fx->xmm_space, sizeof(f.xmm));
		f.mxcsr = fx->mxcsr;
		r = copy_to_user(uf, &f, sizeof(f)) ? -EFAULT : 0;
	} else if (copy_from_user(&f, uf, sizeof(f))) {
		r = -EFAULT;
	} else {
		memcpy(fx->st_space, f.fpr, sizeof(f.fpr));
		fx->cwd = f.fcw;
		fx->swd = f.fsw;
		fx->twd = f.ftwx;
		fx->fop = f.last_opcode;
		fx->rip = f.last_ip;
		fx->rdp = f.last_dp;
		memcpy(fx->xmm_space, f.xmm, sizeof(f.xmm));
		fx->mxcsr = f.mxcsr;
		/* Mark x87 and SSE as present in the XSAVE header or they are not copied. */
		((u64 *)((u8 *)buf + 512))[0] |= XFEATURE_MASK_FPSSE;
		r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, buf,
						   ringvm_host_xcr0 | XFEATURE_MASK_FPSSE, &pkru);
	}
	kvfree(buf);
	return r;
}

static int vcpu_release(struct inode *inode, struct file *filp)
{
	struct ringvm_vcpu *vcpu = filp->private_data;
	struct ringvm_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	vm->vcpus[vcpu->id] = NULL;
	vm->nr_vcpus--;
	ringvm_lapic_detach(vcpu);
	mutex_unlock(&vm->lock);
	ringvm_vcpu_destroy(vcpu);
	ringvm_vm_put(vm);
	return 0;
}

static const struct file_operations ringvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= vcpu_release,
	.unlocked_ioctl	= vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vcpu_mmap,
	.llseek		= noop_llseek,
};

void ringvm_vcpu_destroy(struct ringvm_vcpu *vcpu)
{
	ringvm_vcpu_clear(vcpu);
	fpu_free_guest_fpstate(&vcpu->fpu);
	if (vcpu->vpid)
		ida_free(&vpid_ida, vcpu->vpid);
	kfree(vcpu->cpuid);
	ringvm_entry_work_free(vcpu->entry_work);
	free_page((unsigned long)vcpu->vmcs);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

int ringvm_vcpu_create(struct ringvm_vm *vm, unsigned long id)
{
	struct ringvm_vcpu *vcpu;
	struct file *file;
	int r, fd;

	if (id >= RINGVM_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->pending_irq = -1;
	vcpu->injected_irq = -1;
	vcpu->xcr0_allowed = XFEATURE_MASK_FP;	/* until SET_CPUID says more */
	mutex_init(&vcpu->mutex);
	ringvm_vcpu_loaded_init(vcpu);

	r = -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->entry_work = ringvm_entry_work_alloc();
	if (!vcpu->run || !vcpu->pio_data || !vcpu->vmcs || !vcpu->entry_work)
		goto out_free;
	if (!fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto out_free;
	if (vmx_caps.vpid) {
		r = ida_alloc_range(&vpid_ida, 1, 0xffff, GFP_KERNEL);
		if (r < 0)
			goto out_fpu;
		vcpu->vpid = r;
	}
	*(u32 *)vcpu->vmcs = vmx_caps.revision_id;

	/* VMCLEAR initialises a fresh VMCS on any CPU. */
	vmclear(__pa(vcpu->vmcs));
	ringvm_vcpu_load(vcpu);
	r = ringvm_vmcs_init(vcpu);
	if (!r)
		ringvm_vcpu_reset_state(vcpu);
	ringvm_vcpu_put(vcpu);
	if (r)
		goto out_vmcs;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_vmcs;
	}
	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		mutex_unlock(&vm->lock);
		put_unused_fd(fd);
		r = -EEXIST;
		goto out_vmcs;
	}
	/* The irqchip cannot appear after this: vcpus_created is set below, under the lock. */
	if (vm->irqchip) {
		r = ringvm_lapic_attach(vcpu);
		if (r) {
			mutex_unlock(&vm->lock);
			put_unused_fd(fd);
			goto out_vmcs;
		}
	}
	file = anon_inode_getfile("ringvm-vcpu", &ringvm_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		ringvm_lapic_detach(vcpu);
		mutex_unlock(&vm->lock);
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto out_vmcs;
	}
	/* The file's reference; its release drops it. */
	ringvm_vm_get(vm);
	vm->vcpus[id] = vcpu;
	vm->nr_vcpus++;
	vm->vcpus_created = true;
	mutex_unlock(&vm->lock);
	/* Published last: a close() from another thread may free @vcpu at once. */
	fd_install(fd, file);
	return fd;

out_vmcs:
	ringvm_vcpu_destroy(vcpu);
	return r;
out_fpu:
	fpu_free_guest_fpstate(&vcpu->fpu);
out_free:
	ringvm_entry_work_free(vcpu->entry_work);
	free_page((unsigned long)vcpu->vmcs);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	return r;
}
