// SPDX-License-Identifier: GPL-2.0
#include "cli/terminal.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace ringvm::cli {

namespace {

// The saved state for the fatal-signal handler, which may use only
// async-signal-safe calls; one raw terminal exists at a time.
volatile sig_atomic_t g_fd = -1;
termios g_saved;
constexpr int kFatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT};
struct sigaction g_old[sizeof(kFatal) / sizeof(kFatal[0])];

void restore_and_reraise(int sig)
{
	if (g_fd >= 0)
		tcsetattr(g_fd, TCSANOW, &g_saved);
	// SA_RESETHAND put the default action back: this ends the process
	// the way the signal meant to, core dump included.
	raise(sig);
}

} // namespace

RawTerminal::RawTerminal(int fd) : fd_(fd)
{
	if (!isatty(fd) || tcgetattr(fd, &saved_) < 0)
		return;
	termios raw = saved_;
	cfmakeraw(&raw);
	// Output keeps its newline translation, so ringvm's own messages on
	// stderr still start at the left margin.
	raw.c_oflag |= OPOST | ONLCR;
	g_saved = saved_;
	g_fd = fd;
	struct sigaction sa {};
	sa.sa_handler = restore_and_reraise;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(kFatal) / sizeof(kFatal[0]); i++)
		sigaction(kFatal[i], &sa, &g_old[i]);
	if (tcsetattr(fd, TCSAFLUSH, &raw) < 0) {
		g_fd = -1;
		return;
	}
	active_ = true;
}

RawTerminal::~RawTerminal()
{
	if (!active_)
		return;
	while (tcsetattr(fd_, TCSAFLUSH, &saved_) < 0 && errno == EINTR) {
	}
	g_fd = -1;
	for (size_t i = 0; i < sizeof(kFatal) / sizeof(kFatal[0]); i++)
		sigaction(kFatal[i], &g_old[i], nullptr);
}

} // namespace ringvm::cli
