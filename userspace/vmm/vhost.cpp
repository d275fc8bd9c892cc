// SPDX-License-Identifier: GPL-2.0
#include "vmm/vhost.h"

#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <linux/ringvm_vhost.h>

#include "vmm/device.h"
#include "vmm/error.h"

namespace ringvm {

EventFd::EventFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
	if (!fd_)
		throw sys_error("create an eventfd", errno);
}

void EventFd::signal() const
{
	uint64_t one = 1;
	// Only EAGAIN (counter saturated) can fail here: a wakeup is pending.
	[[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof(one));
}

std::string vhost_unavailable_reason()
{
	try {
		open_device(kVhostDevice, {});
	} catch (const Error &e) {
		return e.what();
	}
	return {};
}

VhostDevice::VhostDevice(uint32_t type, const std::string &path)
	: fd_(open_device(kVhostDevice, path))
{
	ioctl_or_throw(RINGVM_VHOST_SET_OWNER, nullptr, "take ownership of the vhost device");
	ioctl_or_throw(RINGVM_VHOST_SET_DEVICE_TYPE, &type, "set the vhost device type");
}

void VhostDevice::ioctl_or_throw(unsigned long req, void *arg, const char *what)
{
	if (::ioctl(fd_.get(), req, arg) < 0)
		throw sys_error(std::string(what) + " (ringvm_vhost)", errno);
}

uint64_t VhostDevice::features()
{
	uint64_t f = 0;
	ioctl_or_throw(RINGVM_VHOST_GET_FEATURES, &f, "read the vhost features");
	return f;
}

void VhostDevice::set_features(uint64_t f)
{
	ioctl_or_throw(RINGVM_VHOST_SET_FEATURES, &f, "set the vhost features");
}

void VhostDevice::set_mem_table(GuestMemory &mem)
{
	auto table = vhost_mem_table<ringvm_vhost_memory, ringvm_vhost_mem_region>(mem);
	ioctl_or_throw(RINGVM_VHOST_SET_MEM_TABLE, table.data(), "set the vhost memory table");
}

void VhostDevice::set_backend(int fd)
{
	ringvm_vhost_backend b{};
	b.fd = fd;
	ioctl_or_throw(RINGVM_VHOST_SET_BACKEND, &b, "attach the vhost backend");
}

void VhostDevice::set_blk_id(std::string_view id)
{
	ringvm_vhost_blk_id b{};
	if (id.size() > sizeof(b.id))
		throw Error("cannot give ringvm_vhost the disk serial '" + std::string(id) +
			    "': longer than " + std::to_string(sizeof(b.id)) + " bytes");
	std::memcpy(b.id, id.data(), id.size());
	ioctl_or_throw(RINGVM_VHOST_SET_BLK_ID, &b, "set the disk serial (vhost)");
}

void VhostDevice::start_queue(unsigned q, uint16_t num, uint64_t desc, uint64_t avail,
			      uint64_t used, int kick, int call, int err)
{
	ringvm_vhost_vring_state s{q, num};
	ioctl_or_throw(RINGVM_VHOST_SET_VRING_NUM, &s, "set the vring size");
	ringvm_vhost_vring_addr a{};
	a.index = q;
	a.desc_gpa = desc;
	a.avail_gpa = avail;
	a.used_gpa = used;
	ioctl_or_throw(RINGVM_VHOST_SET_VRING_ADDR, &a, "set the vring addresses");
	s = {q, 0};
	ioctl_or_throw(RINGVM_VHOST_SET_VRING_BASE, &s, "set the vring base");
	ringvm_vhost_vring_file f{q, call};
	ioctl_or_throw(RINGVM_VHOST_SET_VRING_CALL, &f, "set the vring call eventfd");
	f = {q, err};
	ioctl_or_throw(RINGVM_VHOST_SET_VRING_ERR, &f, "set the vring error eventfd");
	f = {q, kick};
	ioctl_or_throw(RINGVM_VHOST_SET_VRING_KICK, &f, "set the vring kick eventfd");
}

std::string VhostDevice::why_stopped(unsigned q)
{
	return "ringvm_vhost stopped queue " + std::to_string(q) + " (error " +
	       std::to_string(queue_error(q)) + ")";
}

uint32_t VhostDevice::queue_error(unsigned q)
{
	ringvm_vhost_vring_stats st{};
	st.index = q;
	ioctl_or_throw(RINGVM_VHOST_GET_VRING_STATS, &st, "read the vring stats");
	return st.error;
}

} // namespace ringvm
