// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm.ko entry: module load/unload and the /dev/ringvm system device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/preempt.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include <linux/ringvm.h>

#include "apicv.h"
#include "capabilities.h"
#include "hardware.h"
#include "netlink.h"
#include "spec.h"
#include "vcpu.h"
#include "vm.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static long check_extension(unsigned long ext)
{
	switch (ext) {
	case RINGVM_CAP_USER_MEMORY:
	case RINGVM_CAP_READONLY_MEM:
	case RINGVM_CAP_IMMEDIATE_EXIT:
	case RINGVM_CAP_EXT_CPUID:
	case RINGVM_CAP_DEVICE_MEMORY:
		return 1;
	case RINGVM_CAP_IRQCHIP:
	case RINGVM_CAP_IRQ_INJECT_STATUS:
	case RINGVM_CAP_MP_STATE:
	case RINGVM_CAP_SIGNAL_MSI:
	case RINGVM_CAP_IRQFD:
	case RINGVM_CAP_IRQFD_RESAMPLE:
		return vmx_caps.virtual_nmis;
	case RINGVM_CAP_IRQ_ROUTING:
		return vmx_caps.virtual_nmis ? RINGVM_MAX_IRQ_ROUTES : 0;
	case RINGVM_CAP_APICV:
		return vmx_caps.virtual_nmis && ringvm_apicv_enabled();
	case RINGVM_CAP_IOEVENTFD:
		return RINGVM_MAX_IOEVENTFDS;
	case RINGVM_CAP_NR_MEMSLOTS:
		return RINGVM_MAX_MEMSLOTS;
	case RINGVM_CAP_NR_VCPUS:
	case RINGVM_CAP_MAX_VCPU_ID:
		return RINGVM_MAX_VCPUS;
	default:
		return 0;
	}
}

static long get_msr_index_list(struct ringvm_msr_list __user *ul)
{
	u32 n;

	if (get_user(n, &ul->nmsrs))
		return -EFAULT;
	if (put_user(ringvm_msr_index_count, &ul->nmsrs))
		return -EFAULT;
	if (n < ringvm_msr_index_count)
		return -E2BIG;
	if (copy_to_user(ul->indices, ringvm_msr_index_list,
			 ringvm_msr_index_count * sizeof(u32)))
		return -EFAULT;
	return 0;
}

static long ringvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	switch (ioctl) {
	case RINGVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return RINGVM_API_VERSION;
	case RINGVM_CREATE_VM:
		return ringvm_vm_create(arg);
	case RINGVM_CHECK_EXTENSION:
		return check_extension(arg);
	case RINGVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return 2 * PAGE_SIZE;
	case RINGVM_GET_SUPPORTED_CPUID:
		return ringvm_get_supported_cpuid((void __user *)arg);
	case RINGVM_GET_MSR_INDEX_LIST:
		return get_msr_index_list((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ringvm_chardev_ops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ringvm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ringvm_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ringvm",
	.fops	= &ringvm_chardev_ops,
	.mode	= 0660,
};

static int __init ringvm_init(void)
{
	u64 debugctl;
	int r;

	/*
	 * The kernel clears X86_FEATURE_VMX when firmware locked
	 * IA32_FEATURE_CONTROL without VMX enabled, so one test covers both.
	 */
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("CPU has no VMX, or firmware disabled it: not loading\n");
		return -ENODEV;
	}
	r = ringvm_read_vmx_caps();
	if (r)
		return r;
	ringvm_apicv_init();
	ringvm_spec_init();
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		ringvm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	vmx_caps.host_debugctl = !rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &debugctl);
	/* 10 ms of TSC, in the timer's units: a bound, not a scheduler tick. */
	ringvm_preemption_ticks = min_t(u64, U32_MAX,
					((u64)tsc_khz * 10) >> vmx_caps.preemption_timer_shift);

	ringvm_msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!ringvm_msr_bitmap)
		return -ENOMEM;
	ringvm_msr_bitmap_init(ringvm_msr_bitmap);

	r = ringvm_irqfd_init();
	if (r)
		goto out_bitmap;
	r = ringvm_hardware_init();
	if (r)
		goto out_irqfd;
	r = ringvm_netlink_init();
	if (r)
		goto out_hw;
	/* vCPUs move their VMCS between CPUs from preempt notifiers. */
	preempt_notifier_inc();
	r = misc_register(&ringvm_dev);
	if (r) {
		pr_err("cannot register /dev/ringvm: %d\n", r);
		goto out_notifier;
	}
	return 0;

out_notifier:
	preempt_notifier_dec();
	ringvm_netlink_exit();
out_hw:
	ringvm_hardware_exit();
out_irqfd:
	ringvm_irqfd_exit();
out_bitmap:
	free_page((unsigned long)ringvm_msr_bitmap);
	return r;
}

static void __exit ringvm_exit(void)
{
	misc_deregister(&ringvm_dev);
	preempt_notifier_dec();
	ringvm_netlink_exit();
	ringvm_hardware_exit();
	ringvm_irqfd_exit();
	free_page((unsigned long)ringvm_msr_bitmap);
}

module_init(ringvm_init);
module_exit(ringvm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ringvm: VMX/EPT virtual machines");
