// SPDX-License-Identifier: GPL-2.0
// What `ringvm run` puts on the machine's PCI bus beyond the platform:
// disks (virtio-blk), NICs (virtio-net on a tap) and host functions passed
// through ringvm_vfio, each with its eventfds watched by the machine and,
// with vhost, its doorbells rung inside the hypervisor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "board/machine.h"
#include "devices/virtio_blk.h"
#include "net/tap.h"
#include "vmm/vfio_broker.h"

namespace ringvm {

// virtio-blk for `--disk` (open_disk_image()); with @vhost the kernel serves
// the queue.
void add_disk(Machine &m, DiskImage image, bool vhost);

// virtio-rng for `--rng`.
void add_rng(Machine &m);

// The NIC for `--net`: virtio-net, or an 82540EM for model=e1000. The tap
// is set up through rtnetlink first, so a bad interface or missing privilege is reported before the guest boots.
// @tap must outlive the machine.
void add_net(Machine &m, Tap &tap, const NetConfig &cfg, uint64_t mac);

// Opens @bdf through ringvm_vfio and puts it on @m's PCI bus, with its
// eventfds watched, its line re-armed from the PIC, and its mmap'able BARs
// memory slots of the VM once it exists, if it maps device memory. Returns
// the PCI slot.
unsigned add_passthrough(Machine &m, const std::string &bdf);
// The same with a broker already open (the unit tests' fake).
unsigned add_passthrough(Machine &m, std::unique_ptr<VfioBroker> broker);

} // namespace ringvm
