// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vhost.ko entry: module load/unload and /dev/ringvm-vhost.
 * Each open file is a device (dev.c); an open file pins the module, so
 * unload is refused while any device exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>

#include "vhost.h"

static const struct file_operations ringvm_vhost_fops = {
	.owner		= THIS_MODULE,
	.open		= rv_dev_open,
	.release	= rv_dev_release,
	.unlocked_ioctl	= rv_dev_ioctl,
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
