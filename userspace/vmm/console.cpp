// SPDX-License-Identifier: GPL-2.0
#include "vmm/console.h"

#include <unistd.h>

#include <cerrno>

namespace ringvm {

void Console::put(uint8_t byte)
{
	if (fd_ >= 0) {
		// A console that went away (closed pipe) must not stop the guest.
		while (::write(fd_, &byte, 1) < 0 && errno == EINTR) {
		}
	}
	std::lock_guard lk(mu_);
	if (byte == '\n') {
		lines_.push_back(std::move(partial_));
		partial_.clear();
		if (lines_.size() > keep_)
			lines_.pop_front();
	} else if (byte != '\r' && partial_.size() < 512) {
		partial_.push_back(static_cast<char>(byte));
	}
}

std::vector<std::string> Console::tail() const
{
	std::lock_guard lk(mu_);
	std::vector<std::string> out(lines_.begin(), lines_.end());
	if (!partial_.empty())
		out.push_back(partial_);
	return out;
}

ConsoleEscape::Action ConsoleEscape::feed(uint8_t byte, std::vector<uint8_t> &out)
{
	if (!armed_) {
		if (byte == kCtrlA)
			armed_ = true;
		else
			out.push_back(byte);
		return Action::None;
	}
	armed_ = false;
	if (byte == 'x' || byte == 'X')
		return Action::Quit;
	if (byte == 'h' || byte == 'H' || byte == '?')
		return Action::Help;
	out.push_back(kCtrlA);
	if (byte != kCtrlA)
		out.push_back(byte);
	return Action::None;
}

} // namespace ringvm
