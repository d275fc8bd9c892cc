// SPDX-License-Identifier: GPL-2.0
/* ringvm_vhost.ko load / API / unload. */
#include <linux/ringvm_vhost.h>

#define RV_MODULE	"ringvm_vhost"
#define RV_DEVICE	"/dev/ringvm-vhost"
#define RV_API_IOCTL	RINGVM_VHOST_GET_API_VERSION
#define RV_API_VERSION	RINGVM_VHOST_API_VERSION
#define RV_IOCTL_MAGIC	RINGVM_VHOST_IO

#include "module_lifecycle.h"
