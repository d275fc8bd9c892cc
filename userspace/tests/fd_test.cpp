// SPDX-License-Identifier: GPL-2.0
#include "vmm/fd.h"

#include <fcntl.h>

#include <cerrno>

#include <gtest/gtest.h>

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

TEST(Fd, ClosesOnDestruction)
{
	int raw = ::open("/dev/null", O_RDONLY);
	ASSERT_GE(raw, 0);
	{
		ringvm::Fd fd(raw);
		EXPECT_TRUE(is_open(raw));
	}
	EXPECT_FALSE(is_open(raw));
}

TEST(Fd, MoveTransfersOwnership)
{
	ringvm::Fd a(::open("/dev/null", O_RDONLY));
	int raw = a.get();
	ringvm::Fd b(std::move(a));
	EXPECT_FALSE(a.valid());
	EXPECT_EQ(raw, b.get());
	ringvm::Fd c;
	c = std::move(b);
	EXPECT_EQ(raw, c.get());
	EXPECT_TRUE(is_open(raw));
}

TEST(Fd, ResetClosesPrevious)
{
	ringvm::Fd a(::open("/dev/null", O_RDONLY));
	int first = a.get();
	a.reset(::open("/dev/null", O_RDONLY));
	EXPECT_FALSE(is_open(first) && first != a.get());
	EXPECT_TRUE(a.valid());
}

TEST(Fd, ReleaseGivesUpOwnership)
{
	int raw;
	{
		ringvm::Fd a(::open("/dev/null", O_RDONLY));
		raw = a.release();
		EXPECT_FALSE(a.valid());
	}
	EXPECT_TRUE(is_open(raw));
	::close(raw);
}

} // namespace
