// SPDX-License-Identifier: GPL-2.0
#include "board/attach.h"

#include <linux/ringvm_vhost.h>

#include <vector>

#include "devices/e1000.h"
#include "devices/vfio_pci.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "vmm/passthrough.h"
#include "vmm/vhost_net.h"

namespace ringvm {

namespace {

// With vhost, a doorbell write needs no VMM at all: the hypervisor's
// ioeventfd signals the worker's kick eventfd and the guest goes on. On the
// in-kernel irqchip the worker's call eventfd is an irqfd on its queue's
// MSI-X route whenever the vector can send, so neither does the interrupt;
// otherwise (INTx, a masked vector) the VMM turns calls into interrupts.
// The error eventfd always comes to the VMM: DEVICE_NEEDS_RESET.
void wire_vhost(Machine &m, VirtioPci &dev)
{
	VhostQueues *vhost = dev.vhost();
	if (!vhost)
		return;
	std::vector<size_t> call_watches;
	std::vector<int> call_fds;
	for (unsigned q = 0; q < dev.num_queues(); q++) {
		call_fds.push_back(vhost->call_fd(q));
		call_watches.push_back(
			m.watch_fd(vhost->call_fd(q), [&dev, q] { dev.interrupt_queue(q); }));
		m.watch_fd(vhost->err_fd(q), [&dev, q] { dev.vhost_failed(q); });
	}
	m.on_vm_created([&m, &dev, call_watches, call_fds](Vm &vm) {
		dev.set_doorbell_fn([&vm](uint64_t gpa, int fd, bool assign) {
			return vm.set_ioeventfd(gpa, 2, fd, assign);
		});
		if (MsiSink *sink = m.msi_sink()) {
			dev.set_msi_sink(sink);
			dev.route_calls_in_kernel(call_fds, [&m, call_watches](unsigned q, bool on) {
				m.set_watching(call_watches[q], on);
			});
		}
	});
}

// MSI-X reaches the guest only through the in-kernel irqchip's local
// APICs, known once the VM exists.
unsigned add_virtio(Machine &m, std::unique_ptr<VirtioPci> dev)
{
	VirtioPci *d = dev.get(); // owned by the machine's PCI bus from here on
	m.on_vm_created([&m, d](Vm &) { d->set_msi_sink(m.msi_sink()); });
	return m.add_pci(std::move(dev));
}

} // namespace

void add_disk(Machine &m, DiskImage image, bool vhost)
{
	auto dev = VirtioBlk::create(m.memory(), std::move(image), vhost);
	wire_vhost(m, *dev); // owned by the machine's PCI bus from here on
	add_virtio(m, std::move(dev));
}

void add_rng(Machine &m)
{
	add_virtio(m, std::make_unique<VirtioRng>(m.memory()));
}

void add_net(Machine &m, Tap &tap, const NetConfig &cfg, uint64_t mac)
{
	tap.configure(cfg);
	if (cfg.model == NicModel::E1000) {
		auto dev = std::make_unique<E1000>(m.memory(), tap.fd(), mac, m.clock());
		E1000 *nic = dev.get(); // owned by the machine's PCI bus from here on
		m.add_timed(*nic);
		m.watch_fd(tap.fd(), [nic] { nic->on_tap_readable(); }, false);
		m.add_pci(std::move(dev));
		return;
	}
	std::unique_ptr<VhostWorker> vhost;
	if (cfg.vhost == VhostKind::Ringvm)
		vhost = std::make_unique<VhostDevice>(RINGVM_VHOST_DEV_NET);
	else if (cfg.vhost == VhostKind::Linux)
		vhost = std::make_unique<LinuxVhostNet>();
	auto dev = std::make_unique<VirtioNet>(m.memory(), tap.fd(), mac, std::move(vhost));
	VirtioNet *net = dev.get(); // owned by the machine's PCI bus from here on
	if (net->vhost())
		wire_vhost(m, *net);
	else
		m.watch_fd(tap.fd(), [net] { net->on_tap_readable(); }, false);
	add_virtio(m, std::move(dev));
}

unsigned add_passthrough(Machine &m, std::unique_ptr<VfioBroker> broker)
{
	VfioPciOptions o;
	o.alloc_mem_slot = [&m] { return m.alloc_mem_slot(); };
	auto dev = std::make_unique<VfioPci>(std::move(broker), m.memory(), std::move(o));
	VfioPci *d = dev.get(); // owned by the machine's bus from here on
	unsigned slot = m.add_pci(std::move(dev));
	if (d->intx_fd() >= 0) {
		// Which irqchip the guest gets is known once the VM exists.
		m.pic().on_line_ready([d](unsigned line) { d->line_ready(line); });
		m.on_vm_created([&m, d](Vm &vm) {
			if (m.kernel_irqchip()) {
				d->intx_through_kernel(vm);
				m.watch_fd(d->intx_resample_fd(), [d] { d->intx_resampled(); });
			} else {
				m.watch_fd(d->intx_fd(), [d] { d->intx_fired(); });
			}
		});
	}
	// No hot-unplug here: a device the host takes back ends the VM, which
	// closes the node and lets the unbind finish.
	m.watch_fd(d->req_fd(), [&m, d] {
		m.stop(kStatusDeviceReclaimed,
		       "the host asked for " + d->bdf() + " back (its driver is being unbound)");
	});
	m.on_vm_created([&m, d](Vm &vm) {
		d->attach_vm(vm);
		// MSI and MSI-X go to the in-kernel irqchip's local APICs; on the
		// userspace PICs the guest is not offered them and keeps INTx.
		if (MsiSink *sink = m.msi_sink()) {
			d->route_msi(*sink);
			return;
		}
		// An SR-IOV VF has no INTx (the broker offers none, whatever its
		// pin says): without local APICs for its MSI-X the guest's driver
		// would wait for interrupts that never come.
		const VfioMsi *msi = d->msi();
		if (d->intx_fd() < 0 && msi && (msi->msi_cap() || msi->msix_cap()))
			throw Error("cannot pass through " + d->bdf() +
				    " without the in-kernel irqchip: it has no INTx (an SR-IOV "
				    "virtual function has none), only MSI or MSI-X, which need "
				    "the guest's local APICs (drop --irqchip user)");
	});
	return slot;
}

unsigned add_passthrough(Machine &m, const std::string &bdf)
{
	return add_passthrough(m, open_vfio_broker(passthrough::normalize_bdf(bdf)));
}

} // namespace ringvm
