// SPDX-License-Identifier: GPL-2.0
// The guest's console as the VMM sees it: every byte the UART sends goes to a
// file descriptor at once, and the last lines are kept for the diagnostic
// printed when a guest dies.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace ringvm {

class Console {
public:
	// fd < 0 discards output (tests); the fd is not owned.
	explicit Console(int fd, size_t keep_lines = 20) : fd_(fd), keep_(keep_lines) {}
	void put(uint8_t byte);
	// Up to keep_lines complete lines, then the unterminated one if any.
	std::vector<std::string> tail() const;

private:
	int fd_;
	size_t keep_;
	mutable std::mutex mu_;
	std::deque<std::string> lines_;
	std::string partial_;
};

} // namespace ringvm
