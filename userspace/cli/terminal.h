// SPDX-License-Identifier: GPL-2.0
// The interactive console's terminal. While the guest owns it the terminal is
// raw, so every key (Ctrl-C, Ctrl-Z, Ctrl-\) reaches the guest instead of
// signalling ringvm; it is put back on every way out: a return, an exception,
// and the fatal signals that would otherwise leave the user's shell unusable.
#pragma once

#include <termios.h>

namespace ringvm::cli {

class RawTerminal {
public:
	// Nothing happens when @fd is not a terminal (a pipe, a file, a test).
	explicit RawTerminal(int fd);
	~RawTerminal();
	RawTerminal(const RawTerminal &) = delete;
	RawTerminal &operator=(const RawTerminal &) = delete;

	bool active() const { return active_; }

private:
	int fd_;
	bool active_ = false;
	termios saved_{};
};

} // namespace ringvm::cli
