// SPDX-License-Identifier: GPL-2.0
/*
 * The VM file: created by RINGVM_CREATE_VM, it owns memory slots, EPT and
 * vCPUs.  Each vCPU file holds a reference, so the VM lives until the last
 * of its files is closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ept.h"
#include "hardware.h"
#include "vcpu.h"
#include "vm.h"

DEFINE_MUTEX(ringvm_vm_list_lock);
LIST_HEAD(ringvm_vm_list);
static unsigned int next_vm_id;

void ringvm_vm_get(struct ringvm_vm *vm)
{
	kref_get(&vm->kref);
}

static void vm_release(struct kref *kref)
{
	struct ringvm_vm *vm = container_of(kref, struct ringvm_vm, kref);

	mutex_lock(&ringvm_vm_list_lock);
	list_del(&vm->link);
	mutex_unlock(&ringvm_vm_list_lock);

	ringvm_ioeventfd_free_all(vm);
	ringvm_irqfd_release(vm);
	ringvm_irqchip_destroy(vm);
	ringvm_mmu_notifier_unregister(vm);
	ringvm_free_all_slots(vm);
	ringvm_ept_destroy(vm);
	mmdrop(vm->mm);
	kfree(vm);
	ringvm_hardware_put();
}

void ringvm_vm_put(struct ringvm_vm *vm)
{
	kref_put(&vm->kref, vm_release);
}

static long vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct ringvm_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	/* The VM's memory is addresses in its creator's mm: no one else may use it. */
	if (current->mm != vm->mm)
		return -EIO;

	switch (ioctl) {
	case RINGVM_CREATE_VCPU:
		r = ringvm_vcpu_create(vm, arg);
		break;
	case RINGVM_SET_USER_MEMORY_REGION: {
		struct ringvm_userspace_memory_region mr;

		if (copy_from_user(&mr, argp, sizeof(mr)))
			return -EFAULT;
		mutex_lock(&vm->lock);
		r = ringvm_set_memory_region(vm, &mr);
		mutex_unlock(&vm->lock);
		break;
	}
	case RINGVM_IOEVENTFD: {
		struct ringvm_ioeventfd a;

		if (copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		r = ringvm_ioeventfd(vm, &a);
		break;
	}
	case RINGVM_IRQFD: {
		struct ringvm_irqfd a;

		if (copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		r = ringvm_irqfd(vm, &a);
		break;
	}
	case RINGVM_SET_GSI_ROUTING:
	case RINGVM_SIGNAL_MSI:
		r = ringvm_routing_ioctl(vm, ioctl, argp);
		break;
	default:
		r = ringvm_irq_ioctl(vm, ioctl, argp);
	}
	return r;
}

static int vm_release_file(struct inode *inode, struct file *filp)
{
	ringvm_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations ringvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= vm_release_file,
	.unlocked_ioctl	= vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

int ringvm_vm_create(unsigned long type)
{
	struct ringvm_vm *vm;
	struct file *file;
	int r, fd;

	if (type)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->kref);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	INIT_LIST_HEAD(&vm->link);
	mutex_init(&vm->ioeventfd_lock);
	INIT_LIST_HEAD(&vm->ioeventfds);
	ringvm_irqfd_vm_init(vm);

	r = ringvm_hardware_get();
	if (r)
		goto out_free;
	r = ringvm_ept_init(vm);
	if (r)
		goto out_hw;

	mmgrab(current->mm);
	vm->mm = current->mm;
	vm->pid = task_tgid_nr(current);
	vm->uid = current_euid();
	r = ringvm_mmu_notifier_register(vm);
	if (r)
		goto out_mm;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto out_notifier;
	}
	/* The file pins the module (fops.owner) until its release has run. */
	file = anon_inode_getfile("ringvm-vm", &ringvm_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto out_notifier;
	}

	mutex_lock(&ringvm_vm_list_lock);
	vm->id = ++next_vm_id;
	list_add_tail(&vm->link, &ringvm_vm_list);
	mutex_unlock(&ringvm_vm_list_lock);
	/*
	 * Published last: once the fd is in the table another thread can
	 * close it and free the VM, so nothing may touch @vm after this.
	 */
	fd_install(fd, file);
	return fd;

out_notifier:
	ringvm_mmu_notifier_unregister(vm);
out_mm:
	mmdrop(vm->mm);
	ringvm_ept_destroy(vm);
out_hw:
	ringvm_hardware_put();
out_free:
	kfree(vm);
	return r;
}
