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

// The console's escape, as in QEMU: Ctrl-A x ends the VM, Ctrl-A h prints
// the keys, Ctrl-A Ctrl-A sends one Ctrl-A to the guest, Ctrl-A and anything
// else sends both.
class ConsoleEscape {
public:
	static constexpr uint8_t kCtrlA = 0x01;
	enum class Action { None, Quit, Help };
	// What the keys do, for Ctrl-A h (CRLF: the terminal is raw).
	static constexpr const char *kHelp =
		"\r\nringvm console keys:\r\n"
		"  Ctrl-A x        end the VM (exit status 10)\r\n"
		"  Ctrl-A h        this help\r\n"
		"  Ctrl-A Ctrl-A   send Ctrl-A to the guest\r\n"
		"  anything else, Ctrl-C too, goes to the guest\r\n";
	// Appends what the guest gets for @byte to @out.
	Action feed(uint8_t byte, std::vector<uint8_t> &out);

private:
	bool armed_ = false;
};

} // namespace ringvm
