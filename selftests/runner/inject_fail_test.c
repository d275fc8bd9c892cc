// SPDX-License-Identifier: GPL-2.0
/* Runner self-check only: `make check RINGVM_INJECT=fail` adds this failing suite. */
#include "kselftest_harness.h"

TEST(injected_failure)
{
	EXPECT_EQ(0, 1);
}

TEST_HARNESS_MAIN
