// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vhost.ko entry: module load/unload and /dev/ringvm-vhost.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

#include <linux/ringvm_vhost.h>

static long ringvm_vhost_ioctl(struct file *filp, unsigned int ioctl,
			       unsigned long arg)
{
	switch (ioctl) {
	case RINGVM_VHOST_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return RINGVM_VHOST_API_VERSION;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ringvm_vhost_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ringvm_vhost_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ringvm_vhost_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ringvm-vhost",
	.fops	= &ringvm_vhost_fops,
	.mode	= 0660,
};

static int __init ringvm_vhost_init(void)
{
	return misc_register(&ringvm_vhost_misc);
}

static void __exit ringvm_vhost_exit(void)
{
	misc_deregister(&ringvm_vhost_misc);
}

module_init(ringvm_vhost_init);
module_exit(ringvm_vhost_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ringvm: in-kernel virtqueue worker");
