// SPDX-License-Identifier: GPL-2.0
// A tap interface for `--net tap=NAME`: the fd that frames go through, and
// the link set up through rtnetlink (libnl-route), as a VMM's network setup
// is expected to be: up, optionally addressed or enslaved to a bridge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "vmm/fd.h"
#include "vmm/vhost.h"

namespace ringvm {

// Which NIC the guest sees on the tap.
enum class NicModel { Virtio, E1000 };

struct NetConfig {
	std::string tap;	     // interface name; created if missing
	std::string bridge;	     // enslave the tap to this bridge, if set
	std::string host_ip;	     // "ADDR/PREFIX" given to the tap, if set
	std::optional<uint64_t> mac; // the guest's MAC (48 bits)
	NicModel model = NicModel::Virtio;
	VhostKind vhost = VhostKind::Ringvm; // virtio only
};

// Parses "tap=NAME[,bridge=BR][,host_ip=A.B.C.D/N][,mac=xx:xx:xx:xx:xx:xx]
// [,model=virtio|e1000]";
// throws Error naming what is wrong.
NetConfig parse_net_option(const std::string &spec);

class Tap {
public:
	// Opens (creating if needed) tap @name: IFF_TAP | IFF_NO_PI,
	// non-blocking, and with @vnet_hdr a virtio-net header before each frame
	// (IFF_VNET_HDR, for Linux's vhost-net). Throws Error with the reason
	// and the fix.
	explicit Tap(const std::string &name, bool vnet_hdr = false);
	int fd() const { return fd_.get(); }
	const std::string &name() const { return name_; }
	// Link up; then the address and the bridge, if asked.
	void configure(const NetConfig &cfg);

private:
	Fd fd_;
	std::string name_;
};

} // namespace ringvm
