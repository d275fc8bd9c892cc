// SPDX-License-Identifier: GPL-2.0
#include "net/tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>

#include "vmm/error.h"
#include "vmm/netlink.h"

namespace ringvm {

namespace {

Error nl_error(const std::string &what, int err)
{
	return Error("cannot " + what + ": " + nl_geterror(err) +
		     (err == -NLE_PERM ? " (run as root or with CAP_NET_ADMIN)" : ""));
}

NlPtr<nl_sock> route_socket()
{
	NlPtr<nl_sock> sk(nl_socket_alloc());
	if (!sk)
		throw Error("cannot allocate a netlink socket: out of memory");
	int err = nl_connect(sk.get(), NETLINK_ROUTE);
	if (err < 0)
		throw nl_error("connect to rtnetlink", err);
	return sk;
}

NlPtr<rtnl_link> get_link(nl_sock *sk, const std::string &name)
{
	rtnl_link *l = nullptr;
	int err = rtnl_link_get_kernel(sk, 0, name.c_str(), &l);
	if (err < 0)
		throw nl_error("find network interface " + name, err);
	return NlPtr<rtnl_link>(l);
}

uint64_t parse_mac(const std::string &s)
{
	unsigned b[6];
	char tail;
	if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
			&b[5], &tail) != 6)
		throw Error("invalid mac '" + s + "': give six hex bytes such as 52:54:00:12:34:56");
	if (b[0] & 1)
		throw Error("invalid mac '" + s + "': a multicast address cannot name a NIC");
	uint64_t v = 0;
	for (unsigned x : b)
		v = (v << 8) | x;
	return v;
}

} // namespace

NetConfig parse_net_option(const std::string &spec)
{
	NetConfig cfg;
	std::stringstream ss(spec);
	std::string item;
	while (std::getline(ss, item, ',')) {
		auto eq = item.find('=');
		std::string key = item.substr(0, eq);
		std::string val = eq == std::string::npos ? "" : item.substr(eq + 1);
		if (eq == std::string::npos || val.empty())
			throw Error("invalid --net '" + spec + "': '" + item + "' is not KEY=VALUE");
		if (key == "tap") {
			if (val.size() >= IFNAMSIZ)
				throw Error("invalid --net '" + spec + "': interface name longer than " +
					    std::to_string(IFNAMSIZ - 1) + " characters");
			cfg.tap = val;
		} else if (key == "bridge") {
			cfg.bridge = val;
		} else if (key == "host_ip") {
			auto slash = val.find('/');
			in_addr a{};
			if (slash == std::string::npos ||
			    inet_pton(AF_INET, val.substr(0, slash).c_str(), &a) != 1 ||
			    val.substr(slash + 1).empty() || val.size() - slash - 1 > 2 ||
			    val.substr(slash + 1).find_first_not_of("0123456789") != std::string::npos ||
			    std::stoi(val.substr(slash + 1)) > 32)
				throw Error("invalid --net host_ip '" + val +
					    "': give an IPv4 address with a prefix, such as 10.0.2.1/24");
			cfg.host_ip = val;
		} else if (key == "mac") {
			cfg.mac = parse_mac(val);
		} else if (key == "model") {
			if (val == "virtio")
				cfg.model = NicModel::Virtio;
			else if (val == "e1000")
				cfg.model = NicModel::E1000;
			else
				throw Error("invalid --net model '" + val + "': give virtio or e1000");
		} else {
			throw Error("invalid --net '" + spec + "': unknown key '" + key +
				    "' (tap, bridge, host_ip, mac, model)");
		}
	}
	if (cfg.tap.empty())
		throw Error("invalid --net '" + spec + "': name the tap interface with tap=NAME");
	return cfg;
}

Tap::Tap(const std::string &name, bool vnet_hdr) : name_(name)
{
	int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		throw sys_error("open /dev/net/tun" +
					std::string(errno == ENOENT ? " (load tun.ko)" : ""),
				errno);
	fd_ = Fd(fd);
	ifreq ifr{};
	ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0));
	std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
	if (::ioctl(fd, TUNSETIFF, &ifr) < 0)
		throw sys_error("attach to tap " + name +
					(errno == EPERM ? " (run as root or with CAP_NET_ADMIN)" : ""),
				errno);
}

void Tap::configure(const NetConfig &cfg)
{
	auto sk = route_socket();
	auto link = get_link(sk.get(), name_);
	NlPtr<rtnl_link> change(rtnl_link_alloc());
	if (!change)
		throw Error("cannot allocate a netlink link: out of memory");
	rtnl_link_set_flags(change.get(), IFF_UP);
	int err = rtnl_link_change(sk.get(), link.get(), change.get(), 0);
	if (err < 0)
		throw nl_error("bring " + name_ + " up", err);
	if (!cfg.host_ip.empty()) {
		nl_addr *local = nullptr;
		err = nl_addr_parse(cfg.host_ip.c_str(), AF_INET, &local);
		if (err < 0)
			throw nl_error("parse " + cfg.host_ip, err);
		NlPtr<nl_addr> local_ref(local);
		NlPtr<rtnl_addr> addr(rtnl_addr_alloc());
		if (!addr)
			throw Error("cannot allocate a netlink address: out of memory");
		rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link.get()));
		rtnl_addr_set_local(addr.get(), local);
		err = rtnl_addr_add(sk.get(), addr.get(), 0);
		if (err < 0 && err != -NLE_EXIST)
			throw nl_error("give " + name_ + " the address " + cfg.host_ip, err);
	}
	if (!cfg.bridge.empty()) {
		auto br = get_link(sk.get(), cfg.bridge);
		err = rtnl_link_enslave(sk.get(), br.get(), link.get());
		if (err < 0)
			throw nl_error("add " + name_ + " to bridge " + cfg.bridge, err);
	}
}

} // namespace ringvm
