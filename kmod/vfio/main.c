// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vfio.ko entry: module load/unload and /dev/ringvm-vfio.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

#include <linux/ringvm_vfio.h>

static long ringvm_vfio_ioctl(struct file *filp, unsigned int ioctl,
			      unsigned long arg)
{
	switch (ioctl) {
	case RINGVM_VFIO_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return RINGVM_VFIO_API_VERSION;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ringvm_vfio_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ringvm_vfio_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ringvm_vfio_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ringvm-vfio",
	.fops	= &ringvm_vfio_fops,
	.mode	= 0600,
};

static int __init ringvm_vfio_init(void)
{
	return misc_register(&ringvm_vfio_misc);
}

static void __exit ringvm_vfio_exit(void)
{
	misc_deregister(&ringvm_vfio_misc);
}

module_init(ringvm_vfio_init);
module_exit(ringvm_vfio_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ringvm: IOMMU-backed PCI passthrough broker");
