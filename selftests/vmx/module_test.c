// SPDX-License-Identifier: GPL-2.0
/* ringvm.ko load / API / unload, on a host with VMX (Bochs). */
#include <linux/ringvm.h>

#define RV_MODULE	"ringvm"
#define RV_DEVICE	"/dev/ringvm"
#define RV_API_IOCTL	RINGVM_GET_API_VERSION
#define RV_API_VERSION	RINGVM_API_VERSION
#define RV_IOCTL_MAGIC	RINGVMIO

#include "module_lifecycle.h"

/* The suite is only meaningful on a host that really offers VMX. */
TEST(host_has_vmx)
{
	ASSERT_TRUE(rv_cpu_has_flag("vmx"));
}
