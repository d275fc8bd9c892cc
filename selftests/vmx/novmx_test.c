// SPDX-License-Identifier: GPL-2.0
/*
 * ringvm.ko on a CPU without VMX (the QEMU/TCG host): the load must be
 * refused with a one-line reason in the kernel log, and leave nothing behind.
 */
#include "kselftest_harness.h"
#include "ringvm_selftest.h"

TEST(refuses_load_without_vmx)
{
	int kmsg;

	ASSERT_FALSE(rv_cpu_has_flag("vmx")) {
		TH_LOG("this host has VMX: the test is meant for one without");
	}
	kmsg = rv_kmsg_open_tail();
	ASSERT_LE(0, kmsg);

	EXPECT_EQ(-ENODEV, rv_load_module("ringvm"));
	EXPECT_TRUE(rv_kmsg_find(kmsg, "ringvm: CPU has no VMX"));
	EXPECT_FALSE(rv_path_exists("/dev/ringvm"));
	EXPECT_EQ(-ENOENT, rv_unload_module("ringvm"));
	close(kmsg);
}

TEST_HARNESS_MAIN
