// SPDX-License-Identifier: GPL-2.0
// The console's terminal on a real pseudo-terminal: raw while ringvm owns it
// (the keys that would signal ringvm go to the guest), and exactly as before
// after a return and after a fatal signal.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cli/terminal.h"
#include "vmm/fd.h"

namespace ringvm::cli {
namespace {

struct Pty {
	Fd master, slave;
	Pty()
	{
		int m, s;
		if (openpty(&m, &s, nullptr, nullptr, nullptr) < 0)
			ADD_FAILURE() << "openpty: " << std::strerror(errno);
		master = Fd(m);
		slave = Fd(s);
	}
};

termios attrs(int fd)
{
	termios t{};
	EXPECT_EQ(0, tcgetattr(fd, &t));
	return t;
}

bool same(const termios &a, const termios &b)
{
	return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
	       a.c_lflag == b.c_lflag && std::memcmp(a.c_cc, b.c_cc, sizeof(a.c_cc)) == 0;
}

TEST(RawTerminal, RawWhileHeldAndRestoredAfter)
{
	Pty p;
	termios before = attrs(p.slave.get());
	ASSERT_TRUE(before.c_lflag & ISIG) << "a new pty starts cooked";
	{
		RawTerminal raw(p.slave.get());
		ASSERT_TRUE(raw.active());
		termios t = attrs(p.slave.get());
		// Ctrl-C, Ctrl-Z and Ctrl-\ are bytes for the guest, not signals.
		EXPECT_FALSE(t.c_lflag & ISIG);
		EXPECT_FALSE(t.c_lflag & ICANON);
		EXPECT_FALSE(t.c_lflag & ECHO);
		EXPECT_FALSE(t.c_iflag & (ICRNL | IXON));
		EXPECT_TRUE(t.c_oflag & OPOST);
	}
	EXPECT_TRUE(same(before, attrs(p.slave.get())));
}

TEST(RawTerminal, NotATerminalIsLeftAlone)
{
	int fds[2];
	ASSERT_EQ(0, ::pipe(fds));
	Fd r(fds[0]), w(fds[1]);
	RawTerminal raw(r.get());
	EXPECT_FALSE(raw.active());
}

TEST(RawTerminal, RestoredWhenTheProcessDiesOfASignal)
{
	Pty p;
	termios before = attrs(p.slave.get());
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		rlimit no_core{0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		RawTerminal raw(p.slave.get());
		if (!raw.active())
			_exit(3);
		std::abort(); // no destructor runs: only the handler can restore
	}
	int status = 0;
	ASSERT_EQ(pid, ::waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
	EXPECT_EQ(SIGABRT, WTERMSIG(status)) << "the signal's own action must still happen";
	EXPECT_TRUE(same(before, attrs(p.slave.get())));
}

} // namespace
} // namespace ringvm::cli
