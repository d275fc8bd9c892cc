// SPDX-License-Identifier: GPL-2.0
// libnl objects owned by unique_ptr, each freed by its own function: for
// the generic-netlink statistics (vm_stats) and the tap's rtnetlink setup.
#pragma once

#include <memory>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

namespace ringvm {

struct NlFree {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
	void operator()(nl_msg *m) const { nlmsg_free(m); }
	void operator()(nl_addr *a) const { nl_addr_put(a); }
	void operator()(rtnl_link *l) const { rtnl_link_put(l); }
	void operator()(rtnl_addr *a) const { rtnl_addr_put(a); }
};

template <typename T> using NlPtr = std::unique_ptr<T, NlFree>;

} // namespace ringvm
