// SPDX-License-Identifier: GPL-2.0
#include "devices/vfio_msi.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "vmm/error.h"

namespace ringvm {

namespace {

// MSI message control (PCI 3.0 6.8.1.3).
constexpr uint16_t kMsiEnable = 1u << 0, kMsiMmeMask = 7u << 4, kMsi64 = 1u << 7,
		   kMsiPerVectorMask = 1u << 8;
constexpr unsigned kMsiMmcShift = 1, kMsiMmeShift = 4;
// MSI-X table and PBA registers: BIR in the low three bits.
constexpr uint32_t kMsixBirMask = 7;
constexpr uint64_t kPage = 4096;

const char *kind_name(int kind)
{
	return kind == static_cast<int>(kVfioIrqMsix) ? "MSI-X" : "MSI";
}

unsigned log2_floor(unsigned n)
{
	unsigned l = 0;
	while (n >>= 1)
		l++;
	return l;
}

} // namespace

VfioMsi::VfioMsi(VfioBroker &broker, PciConfig &cfg, const ConfigReader &device,
		 unsigned msi_cap, unsigned msix_cap,
		 const std::function<uint64_t(unsigned bar)> &bar_size)
	: broker_(broker), cfg_(cfg)
{
	if (msi_cap)
		setup_msi(device, msi_cap);
	if (msix_cap)
		setup_msix(device, msix_cap, bar_size);
}

IrqfdBinding::IrqfdBinding(MsiSink &sink, uint32_t gsi, int fd)
{
	sink.bind_irqfd(gsi, fd, true);
	sink_ = &sink;
	gsi_ = gsi;
	fd_ = fd;
}

IrqfdBinding::~IrqfdBinding()
{
	try {
		unbind();
	} catch (const Error &) {
		// The VM is going: its irqfds with it.
	}
}

IrqfdBinding &IrqfdBinding::operator=(IrqfdBinding &&o) noexcept
{
	if (this != &o) {
		try {
			unbind();
		} catch (const Error &) {
		}
		sink_ = std::exchange(o.sink_, nullptr);
		gsi_ = o.gsi_;
		fd_ = o.fd_;
	}
	return *this;
}

void IrqfdBinding::unbind()
{
	if (MsiSink *s = std::exchange(sink_, nullptr))
		s->bind_irqfd(gsi_, fd_, false);
}

VfioMsi::~VfioMsi()
{
	// As when the guest turns it off: the irqfds, then the broker's
	// vectors, then the eventfds.
	if (kind_ < 0)
		return;
	try {
		vectors_off();
	} catch (const Error &) {
		// The broker turns them off when the device is closed.
	}
}

void VfioMsi::setup_msi(const ConfigReader &device, unsigned cap)
{
	uint16_t ctrl = static_cast<uint16_t>(device(cap + 2, 2));
	unsigned offered = std::min(1u << ((ctrl >> kMsiMmcShift) & 7), 32u);
	unsigned max = std::min(offered, broker_.irq_count(kVfioIrqMsi));
	if (!max)
		return; // the broker cannot give the guest any vector
	MsiCap m;
	m.cap = cap;
	m.is64 = ctrl & kMsi64;
	m.per_vector_mask = ctrl & kMsiPerVectorMask;
	// A power of two: what Multiple Message Capable can say.
	m.max_vectors = 1u << log2_floor(max);
	m.len = m.per_vector_mask ? (m.is64 ? 0x18 : 0x14) : (m.is64 ? 0xe : 0xa);
	if (cap < 0x40 || cap + m.len > 256)
		return;
	msi_ = m;
	// The guest's copy starts as after a reset: disabled, one vector,
	// nothing programmed, nothing masked.
	cfg_.poke(cap + 2, 2,
		  (ctrl & (kMsi64 | kMsiPerVectorMask)) |
			  (log2_floor(m.max_vectors) << kMsiMmcShift));
	cfg_.set_writable(cap + 2, 2, kMsiEnable | kMsiMmeMask);
	cfg_.set_writable(cap + 4, 4, 0xfffffffc);
	if (m.is64)
		cfg_.set_writable(cap + 8, 4, 0xffffffff);
	cfg_.set_writable(m.data_off(), 2, 0xffff);
	if (m.per_vector_mask)
		cfg_.set_writable(m.mask_off(), 4,
				  m.max_vectors == 32 ? ~0u : (1u << m.max_vectors) - 1);
}

void VfioMsi::setup_msix(const ConfigReader &device, unsigned cap,
			 const std::function<uint64_t(unsigned)> &bar_size)
{
	// The device's table, all of which traps; the guest is shown at most
	// kMaxGuestMsixVectors of it (vfio_msi.h).
	unsigned dev_n = (device(cap + 2, 2) & 0x7ff) + 1;
	unsigned n = std::min(dev_n, kMaxGuestMsixVectors);
	uint32_t table = device(cap + 4, 4), pba = device(cap + 8, 4);
	table_ = {table & kMsixBirMask, table & ~kMsixBirMask, uint64_t{Msix::kEntrySize} * dev_n};
	pba_ = {pba & kMsixBirMask, pba & ~kMsixBirMask, (dev_n + 63) / 64 * 8};
	// Both must lie in memory BARs the guest has, or it could not reach
	// them; such a device is shown without MSI-X.
	for (const MsixLoc *l : {&table_, &pba_}) {
		if (l->bar >= kPciNumBars || l->off + l->len > bar_size(l->bar)) {
			table_ = pba_ = {};
			return;
		}
	}
	// Not offered (the broker gives fewer vectors): the table and PBA
	// still trap, and read 0.
	if (cap < 0x40 || cap + 12 > 256 || broker_.irq_count(kVfioIrqMsix) < n)
		return;
	msix_ = std::make_unique<Msix>(cfg_, Msix::Existing{cap}, n);
	msix_cap_ = cap;
	cfg_.poke(cap + 4, 4, table);
	cfg_.poke(cap + 8, 4, pba);
}

std::vector<std::pair<unsigned, unsigned>> VfioMsi::config_ranges() const
{
	std::vector<std::pair<unsigned, unsigned>> r;
	if (msi_.cap)
		r.push_back({msi_.cap + 2, msi_.cap + msi_.len});
	if (msix_)
		r.push_back({msix_cap_ + 2, msix_cap_ + 12});
	return r;
}

std::vector<std::pair<uint64_t, uint64_t>> VfioMsi::trapped_pages(unsigned bar) const
{
	std::vector<std::pair<uint64_t, uint64_t>> r;
	for (const MsixLoc *l : {&table_, &pba_}) {
		if (!l->len || l->bar != bar)
			continue;
		uint64_t first = l->off & ~(kPage - 1);
		uint64_t end = (l->off + l->len + kPage - 1) & ~(kPage - 1);
		r.push_back({first, end});
	}
	std::sort(r.begin(), r.end());
	// The table and PBA often share a page, or sit side by side.
	if (r.size() == 2 && r[1].first <= r[0].second) {
		r[0].second = std::max(r[0].second, r[1].second);
		r.pop_back();
	}
	return r;
}

void VfioMsi::show(MsiSink &sink, std::function<void(bool on)> intx)
{
	if (!msi_.cap && !msix_)
		return;
	sink_ = &sink;
	set_intx_ = std::move(intx);
	routes_.resize(std::max(msi_.max_vectors, msix_ ? msix_->vectors() : 0u));
	if (msix_) {
		msix_->set_sink(&sink);
		msix_->on_change([this] { sync(); });
	}
}

void VfioMsi::config_written()
{
	if (!sink_)
		return;
	// Multiple Message Enable past Multiple Message Capable is undefined
	// (PCI 3.0 6.8.1.3): the register keeps what the function can.
	if (msi_.cap) {
		uint32_t c = msi_control();
		unsigned mmc = log2_floor(msi_.max_vectors);
		if (((c & kMsiMmeMask) >> kMsiMmeShift) > mmc)
			cfg_.poke(msi_.cap + 2, 2, (c & ~kMsiMmeMask) | (mmc << kMsiMmeShift));
	}
	if (msix_)
		msix_->config_written(); // sends what a cleared function mask let go, then sync()
	else
		sync();
}

void VfioMsi::vectors_off()
{
	// The irqfds go first, then the broker's vectors, then the eventfds.
	for (Vector &vec : vectors_)
		vec.irqfd.unbind();
	int was = kind_;
	kind_ = -1;
	// EINVAL: nothing was on at the broker (a reset already turned it off).
	int err = broker_.set_irqs(static_cast<unsigned>(was), {});
	vectors_.clear();
	if (err && err != EINVAL)
		throw Error("cannot turn off the " + std::string(kind_name(was)) + " of " +
			    broker_.bdf() + " (RINGVM_VFIO_SET_IRQS): " + std::strerror(err));
}

void VfioMsi::reset()
{
	if (kind_ >= 0)
		vectors_off();
	asked_kind_ = -1;
	asked_n_ = 0;
	if (msi_.cap) {
		// Disabled, one vector, nothing programmed, masked or pending.
		cfg_.poke(msi_.cap + 2, 2, msi_control() & ~(kMsiEnable | kMsiMmeMask));
		cfg_.poke(msi_.cap + 4, 4, 0);
		if (msi_.is64)
			cfg_.poke(msi_.cap + 8, 4, 0);
		cfg_.poke(msi_.data_off(), 2, 0);
		if (msi_.per_vector_mask) {
			cfg_.poke(msi_.mask_off(), 4, 0);
			cfg_.poke(msi_.pending_off(), 4, 0);
		}
	}
	if (msix_)
		msix_->reset();
}

void VfioMsi::config_reading(unsigned off, unsigned size)
{
	// The guest looks at MSI's pending bits: count what came while masked.
	if (kind_ == static_cast<int>(kVfioIrqMsi) && msi_.per_vector_mask &&
	    off < msi_.pending_off() + 4 && off + size > msi_.pending_off())
		poll_unbound();
}

bool VfioMsi::msix_covers(unsigned bar, uint64_t off, size_t len) const
{
	return table_.holds(bar, off, len) || pba_.holds(bar, off, len);
}

void VfioMsi::msix_read(unsigned bar, uint64_t off, std::span<uint8_t> data)
{
	// Past the entries the guest is shown (a capped table), or MSI-X not
	// offered: reads 0.
	unsigned shown = msix_ ? msix_->vectors() : 0;
	uint64_t shown_table = uint64_t{Msix::kEntrySize} * shown;
	uint64_t shown_pba = (shown + 63) / 64 * 8;
	if (table_.holds(bar, off, data.size())) {
		if (off - table_.off + data.size() <= shown_table)
			msix_->read(off - table_.off, data);
		else
			std::fill(data.begin(), data.end(), 0);
		return;
	}
	if (off - pba_.off + data.size() > shown_pba) {
		std::fill(data.begin(), data.end(), 0);
		return;
	}
	poll_unbound(); // the PBA: what came while masked
	msix_->read(msix_->pba_offset() + (off - pba_.off), data);
}

void VfioMsi::msix_write(unsigned bar, uint64_t off, std::span<const uint8_t> data)
{
	// The PBA is read-only: only the table takes writes (then sync()),
	// and only the entries the guest is shown.
	if (msix_ && table_.holds(bar, off, data.size()) &&
	    off - table_.off + data.size() <= uint64_t{Msix::kEntrySize} * msix_->vectors())
		msix_->write(off - table_.off, data);
}

void VfioMsi::sync()
{
	int want = -1;
	unsigned n = 0;
	// Software must not enable both (PCI 3.0 6.8.2.3); if it does, MSI-X.
	if (msix_ && msix_->enabled()) {
		want = static_cast<int>(kVfioIrqMsix);
		n = msix_->vectors();
	} else if (msi_enabled()) {
		want = static_cast<int>(kVfioIrqMsi);
		n = msi_vectors();
	}
	// Once per guest request: a refused or shortened one is not asked
	// again until the guest changes it.
	if (want != asked_kind_ || n != asked_n_) {
		asked_kind_ = want;
		asked_n_ = n;
		switch_kind(want, n);
	}
	for (unsigned v = 0; v < vectors_.size(); v++)
		sync_vector(v);
}

void VfioMsi::switch_kind(int want, unsigned n)
{
	if (kind_ >= 0) {
		vectors_off();
		if (want < 0)
			set_intx_(true);
	} else if (want >= 0) {
		set_intx_(false);
	}
	if (want < 0)
		return;
	// As QEMU's vfio_msi_enable: MSI takes fewer vectors if the broker
	// offers fewer (the device then sends only those); a final refusal
	// leaves the guest on INTx with its enable bit as written. Nothing
	// here ends the VM: it is a guest's config or MMIO write.
	std::string reason;
	for (unsigned k = n;; k /= 2) {
		std::vector<int> fds;
		std::vector<Vector> vecs;
		int err = 0;
		try {
			vecs = std::vector<Vector>(k);
			for (const Vector &vec : vecs)
				fds.push_back(vec.fd.get());
			err = broker_.set_irqs(static_cast<unsigned>(want), fds);
		} catch (const Error &e) {
			err = -1;
			reason = e.what();
		}
		if (!err) {
			vectors_ = std::move(vecs);
			kind_ = want;
			if (k < n && !fewer_logged_) {
				fewer_logged_ = true;
				std::fprintf(stderr,
					     "ringvm: %s: the broker gives the guest %u MSI vectors of the "
					     "%u it enabled (RINGVM_VFIO_SET_IRQS)\n",
					     broker_.bdf().c_str(), k, n);
			}
			return;
		}
		if (err > 0)
			reason = std::strerror(err);
		if (want != static_cast<int>(kVfioIrqMsi) || k <= 1)
			break;
	}
	if (!refusal_logged_) {
		refusal_logged_ = true;
		std::fprintf(stderr,
			     "ringvm: cannot give the guest the %s of %s (RINGVM_VFIO_SET_IRQS, %u "
			     "vectors): %s; the device stays on INTx\n",
			     kind_name(want), broker_.bdf().c_str(), n, reason.c_str());
	}
	set_intx_(true);
}

void VfioMsi::sync_vector(unsigned v)
{
	Vector &vec = vectors_[v];
	Route &r = routes_[v];
	std::optional<Message> msg = live_message(v);
	int want = -1;
	if (msg) {
		if (!r.gsi)
			r.gsi = sink_->add_msi_route();
		if (r.routed != msg) {
			// A message the hypervisor will not route (not an APIC
			// message) has nowhere to go: the vector stays unbound.
			try {
				sink_->set_msi_route(*r.gsi, msg->first, msg->second);
				r.routed = msg;
			} catch (const Error &) {
				r.routed.reset();
			}
		}
		if (r.routed == msg)
			want = static_cast<int>(*r.gsi);
	}
	if (want == vec.irqfd.gsi())
		return;
	vec.irqfd.unbind();
	if (want < 0)
		return;
	// What fired while the vector was masked is sent once it can go; a
	// signal between the read and the bind is the irqfd's at once.
	bool fired = drain(v) != 0;
	vec.irqfd = IrqfdBinding(*sink_, static_cast<uint32_t>(want), vec.fd.get());
	if (kind_ == static_cast<int>(kVfioIrqMsi) && msi_pending(v)) {
		set_msi_pending(v, false);
		fired = true;
	}
	if (fired)
		sink_->signal_msi(msg->first, msg->second);
}

void VfioMsi::poll_unbound()
{
	for (unsigned v = 0; v < vectors_.size(); v++) {
		if (vectors_[v].irqfd.gsi() >= 0 || !drain(v))
			continue;
		if (kind_ == static_cast<int>(kVfioIrqMsix)) {
			msix_->notify(static_cast<uint16_t>(v)); // masked: its pending bit
		} else if (msi_masked(v)) {
			set_msi_pending(v, true);
		} else if (auto m = msi_message(v)) {
			sink_->signal_msi(m->first, m->second); // unroutable: dropped there
		}
	}
}

uint64_t VfioMsi::drain(unsigned v)
{
	uint64_t n = 0;
	// Non-blocking: 0 when nothing came.
	if (::read(vectors_[v].fd.get(), &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

uint32_t VfioMsi::msi_control() const
{
	return msi_.cap ? cfg_.read(msi_.cap + 2, 2) : 0;
}

bool VfioMsi::msi_enabled() const
{
	return msi_control() & kMsiEnable;
}

unsigned VfioMsi::msi_vectors() const
{
	// More than the device can (Multiple Message Enable past Capable) is
	// undefined: give it what it has.
	return std::min(1u << ((msi_control() & kMsiMmeMask) >> kMsiMmeShift), msi_.max_vectors);
}

bool VfioMsi::msi_masked(unsigned v) const
{
	return msi_.per_vector_mask && ((cfg_.read(msi_.mask_off(), 4) >> v) & 1);
}

bool VfioMsi::msi_pending(unsigned v) const
{
	return msi_.per_vector_mask && ((cfg_.read(msi_.pending_off(), 4) >> v) & 1);
}

void VfioMsi::set_msi_pending(unsigned v, bool on)
{
	uint32_t p = cfg_.read(msi_.pending_off(), 4);
	cfg_.poke(msi_.pending_off(), 4, on ? p | (1u << v) : p & ~(1u << v));
}

std::optional<VfioMsi::Message> VfioMsi::msi_message(unsigned v) const
{
	unsigned n = msi_vectors();
	if (!msi_enabled() || v >= n)
		return std::nullopt;
	uint64_t addr = cfg_.read(msi_.cap + 4, 4);
	if (msi_.is64)
		addr |= uint64_t{cfg_.read(msi_.cap + 8, 4)} << 32;
	// With n vectors the function puts the vector's number in the low
	// log2(n) bits of the data (PCI 3.0 6.8.1.6).
	uint32_t data = (cfg_.read(msi_.data_off(), 2) & ~(n - 1)) | v;
	return Message{addr, data};
}

std::optional<VfioMsi::Message> VfioMsi::live_message(unsigned v) const
{
	if (kind_ == static_cast<int>(kVfioIrqMsix))
		return msix_->live_message(static_cast<uint16_t>(v));
	if (msi_masked(v))
		return std::nullopt;
	return msi_message(v);
}

} // namespace ringvm
