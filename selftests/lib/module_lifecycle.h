/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load / API version / unknown ioctl / unload tests, shared by the three
 * modules.  The including file defines:
 *   RV_MODULE       module name ("ringvm")
 *   RV_DEVICE       its device node ("/dev/ringvm")
 *   RV_API_IOCTL    its GET_API_VERSION ioctl
 *   RV_API_VERSION  the version that ioctl must return
 *   RV_IOCTL_MAGIC  its ioctl type byte
 */
#ifndef RINGVM_MODULE_LIFECYCLE_H
#define RINGVM_MODULE_LIFECYCLE_H

#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "ringvm_selftest.h"

FIXTURE(module) {
	int dummy;
};

FIXTURE_SETUP(module)
{
	ASSERT_FALSE(rv_path_exists(RV_DEVICE)) {
		TH_LOG("%s present before the module was loaded", RV_DEVICE);
	}
	ASSERT_EQ(0, rv_load_module(RV_MODULE));
	ASSERT_TRUE(rv_path_exists(RV_DEVICE));
}

FIXTURE_TEARDOWN(module)
{
	EXPECT_EQ(0, rv_unload_module(RV_MODULE));
	EXPECT_FALSE(rv_path_exists(RV_DEVICE));
}

TEST_F(module, api_version)
{
	int fd = open(RV_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(RV_API_VERSION, ioctl(fd, RV_API_IOCTL, 0));
	close(fd);
}

TEST_F(module, api_version_rejects_argument)
{
	int fd = open(RV_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, RV_API_IOCTL, 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(module, unknown_ioctl_is_enotty)
{
	const unsigned long bad[] = {
		_IO(RV_IOCTL_MAGIC, 0xff),
		_IOWR(RV_IOCTL_MAGIC, 0xfe, __u64),
		_IO(0xAE, 0x00),	/* KVM_GET_API_VERSION: not ours */
		TCGETS,
	};
	int fd = open(RV_DEVICE, O_RDWR | O_CLOEXEC);
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(fd, bad[i], 0));
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("ioctl 0x%lx", bad[i]);
		}
	}
	close(fd);
}

/* An open fd pins the module: unload must be refused, not pull code from under it. */
TEST_F(module, unload_refused_while_open)
{
	int fd = open(RV_DEVICE, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, rv_unload_module(RV_MODULE));
	EXPECT_EQ(RV_API_VERSION, ioctl(fd, RV_API_IOCTL, 0));
	close(fd);
}

TEST_F(module, reload_cycles)
{
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, rv_unload_module(RV_MODULE));
		ASSERT_FALSE(rv_path_exists(RV_DEVICE));
		ASSERT_EQ(0, rv_load_module(RV_MODULE));
		ASSERT_TRUE(rv_path_exists(RV_DEVICE));
	}
}

TEST_HARNESS_MAIN

#endif /* RINGVM_MODULE_LIFECYCLE_H */
