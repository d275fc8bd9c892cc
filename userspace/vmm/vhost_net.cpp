// SPDX-License-Identifier: GPL-2.0
#include "vmm/vhost_net.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>

// One of <linux/virtio_net.h>'s structs has a field named `class`, a C++
// keyword; nothing here uses that struct.
#define class class_
#include <linux/virtio_net.h>
#undef class

#include "vmm/error.h"

namespace ringvm {

namespace {

Fd open_vhost_net(const std::string &path)
{
	const std::string p = path.empty() ? kLinuxVhostNetPath : path;
	Fd fd(::open(p.c_str(), O_RDWR | O_CLOEXEC));
	if (!fd) {
		int err = errno;
		std::string fix = err == ENOENT ? " (modprobe vhost_net, or give --vhost ringvm|off)"
			: err == EACCES || err == EPERM ? " (run as root or give access to " + p + ")"
							  : std::string();
		throw Error(sys_error("open " + p + " for --vhost linux", err).what() + fix);
	}
	return fd;
}

} // namespace

size_t virtio_net_hdr_len(uint64_t f)
{
	bool long_hdr = f & ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MRG_RXBUF));
	return long_hdr ? sizeof(virtio_net_hdr_mrg_rxbuf) : sizeof(virtio_net_hdr);
}

LinuxVhostNet::LinuxVhostNet(const std::string &path, IoctlFn io)
	: LinuxVhostNet(open_vhost_net(path), std::move(io))
{
}

LinuxVhostNet::LinuxVhostNet(Fd fd, IoctlFn io) : fd_(std::move(fd)), io_(std::move(io))
{
	if (!io_)
		io_ = [](int f, unsigned long req, void *arg) { return ::ioctl(f, req, arg); };
	call(fd_.get(), VHOST_SET_OWNER, nullptr, "take ownership of /dev/vhost-net");
}

void LinuxVhostNet::call(int fd, unsigned long req, void *arg, const char *what)
{
	if (io_(fd, req, arg) < 0)
		throw sys_error(std::string(what) + " (vhost-net)", errno);
}

uint64_t LinuxVhostNet::features()
{
	uint64_t f = 0;
	call(fd_.get(), VHOST_GET_FEATURES, &f, "read the vhost-net features");
	return f;
}

void LinuxVhostNet::set_features(uint64_t f)
{
	call(fd_.get(), VHOST_SET_FEATURES, &f, "set the vhost-net features");
	features_ = f;
}

void LinuxVhostNet::set_mem_table(GuestMemory &mem)
{
	auto table = vhost_mem_table<vhost_memory, vhost_memory_region>(mem);
	call(fd_.get(), VHOST_SET_MEM_TABLE, table.data(), "set the vhost-net memory table");
	mem_ = &mem;
}

void LinuxVhostNet::start_queue(unsigned q, uint16_t num, uint64_t desc, uint64_t avail,
				uint64_t used, int kick, int call_fd, int err)
{
	if (!mem_)
		throw Error("cannot start vhost-net queue " + std::to_string(q) +
			    ": no memory table set");
	// Linux's worker takes the rings at this process's addresses; each ring
	// must lie within guest RAM (GuestMemory::span throws otherwise).
	auto hva = [this](uint64_t gpa, uint64_t len) {
		return reinterpret_cast<uintptr_t>(mem_->span(gpa, len).data());
	};
	vhost_vring_state s{q, num};
	call(fd_.get(), VHOST_SET_VRING_NUM, &s, "set the vring size");
	s = {q, 0};
	call(fd_.get(), VHOST_SET_VRING_BASE, &s, "set the vring base");
	vhost_vring_addr a{};
	a.index = q;
	a.desc_user_addr = hva(desc, 16ull * num);
	a.avail_user_addr = hva(avail, 6 + 2ull * num);
	a.used_user_addr = hva(used, 6 + 8ull * num);
	call(fd_.get(), VHOST_SET_VRING_ADDR, &a, "set the vring addresses");
	vhost_vring_file f{q, kick};
	call(fd_.get(), VHOST_SET_VRING_KICK, &f, "set the vring kick eventfd");
	f = {q, call_fd};
	call(fd_.get(), VHOST_SET_VRING_CALL, &f, "set the vring call eventfd");
	f = {q, err};
	call(fd_.get(), VHOST_SET_VRING_ERR, &f, "set the vring error eventfd");
	if (std::find(started_.begin(), started_.end(), q) == started_.end())
		started_.push_back(q);
}

void LinuxVhostNet::set_backend(int fd)
{
	if (fd >= 0) {
		// vhost-net hands the tap whole frames with their header; a tap
		// without one would take the header for the Ethernet frame.
		ifreq ifr{};
		call(fd, TUNGETIFF, &ifr, "read the tap's flags");
		if (!(ifr.ifr_flags & IFF_VNET_HDR))
			throw Error("cannot give the tap to vhost-net: it was opened without "
				    "IFF_VNET_HDR");
		int len = static_cast<int>(virtio_net_hdr_len(features_));
		call(fd, TUNSETVNETHDRSZ, &len, "set the tap's virtio-net header size");
	}
	for (unsigned q : started_) {
		vhost_vring_file b{q, fd};
		call(fd_.get(), VHOST_NET_SET_BACKEND, &b,
		     fd >= 0 ? "attach the tap to a vhost-net queue"
			     : "detach the tap from a vhost-net queue");
	}
	if (fd < 0)
		started_.clear();
}

std::string LinuxVhostNet::why_stopped(unsigned q)
{
	// vhost-net signals its error eventfd with no reason attached (vq_err
	// logs one only under dynamic debug): a ring it could not use.
	return "vhost-net stopped queue " + std::to_string(q) + " (a ring it could not use)";
}

} // namespace ringvm
