// SPDX-License-Identifier: GPL-2.0
/* ringvm_vfio.ko load / API / unload. */
#include <linux/ringvm_vfio.h>

#define RV_MODULE	"ringvm_vfio"
#define RV_DEVICE	"/dev/ringvm-vfio"
#define RV_API_IOCTL	RINGVM_VFIO_GET_API_VERSION
#define RV_API_VERSION	RINGVM_VFIO_API_VERSION
#define RV_IOCTL_MAGIC	RINGVM_VFIO_IO

#include "module_lifecycle.h"
