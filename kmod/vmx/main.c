// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm.ko entry: module load/unload and the /dev/ringvm system device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <asm/cpufeature.h>

#include <linux/ringvm.h>

static long ringvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	switch (ioctl) {
	case RINGVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return RINGVM_API_VERSION;
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
	int r;

	/*
	 * The kernel clears X86_FEATURE_VMX when firmware locked
	 * IA32_FEATURE_CONTROL without VMX enabled, so one test covers both.
	 */
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("CPU has no VMX, or firmware disabled it: not loading\n");
		return -ENODEV;
	}

	r = misc_register(&ringvm_dev);
	if (r) {
		pr_err("cannot register /dev/ringvm: %d\n", r);
		return r;
	}
	return 0;
}

static void __exit ringvm_exit(void)
{
	misc_deregister(&ringvm_dev);
}

module_init(ringvm_init);
module_exit(ringvm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ringvm: VMX/EPT virtual machines");
