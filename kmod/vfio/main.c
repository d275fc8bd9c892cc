// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm_vfio.ko entry: the /dev/ringvm-vfio control node and the PCI
 * driver that administrators bind devices to with driver_override.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/pci.h>

#include "rvfio.h"

bool rvfio_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, rvfio_allow_unsafe_interrupts,
		   bool, 0444);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Hand out devices whose MSIs the IOMMU cannot isolate (no interrupt remapping)");

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

static int rvfio_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	/* Bridges carry other devices' traffic: never hand one to a guest. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;
	return rvfio_dev_add(pdev);
}

static void rvfio_remove(struct pci_dev *pdev)
{
	rvfio_dev_remove(pdev);
}

/*
 * No ID table: a device reaches us only through driver_override.
 * driver_managed_dma keeps the driver core from attaching the group to
 * the kernel's DMA domain, so that open() can claim it for userspace.
 */
static struct pci_driver rvfio_pci_driver = {
	.name			= RINGVM_VFIO_DRIVER_NAME,
	.id_table		= NULL,
	.probe			= rvfio_probe,
	.remove			= rvfio_remove,
	.driver_managed_dma	= true,
};

static int __init ringvm_vfio_init(void)
{
	int r;

	r = misc_register(&ringvm_vfio_misc);
	if (r)
		return r;
	r = pci_register_driver(&rvfio_pci_driver);
	if (r)
		misc_deregister(&ringvm_vfio_misc);
	return r;
}

static void __exit ringvm_vfio_exit(void)
{
	pci_unregister_driver(&rvfio_pci_driver);
	misc_deregister(&ringvm_vfio_misc);
}

module_init(ringvm_vfio_init);
module_exit(ringvm_vfio_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ringvm: IOMMU-backed PCI passthrough broker");
