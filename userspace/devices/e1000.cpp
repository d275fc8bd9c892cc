// SPDX-License-Identifier: GPL-2.0
#include "devices/e1000.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "devices/e1000_regs.h"

namespace ringvm {

using namespace e1000;

namespace {

constexpr uint32_t kClassEthernet = 0x020000;
// The largest packet transmit gathers: a TSO payload (64 KiB) and headers.
constexpr size_t kTxMax = 65536 + 256;
constexpr size_t kFrameMax = 65536;
constexpr size_t kMinFrame = 60; // without the FCS

uint32_t crc32_ieee(std::span<const uint8_t> d)
{
	uint32_t crc = 0xffffffff;
	for (uint8_t b : d) {
		crc ^= b;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

// Ones' complement sum of @d, folded to 16 bits, not inverted.
uint32_t csum_add(uint32_t sum, std::span<const uint8_t> d)
{
	size_t i = 0;
	for (; i + 1 < d.size(); i += 2)
		sum += (uint32_t(d[i]) << 8) | d[i + 1];
	if (i < d.size())
		sum += uint32_t(d[i]) << 8;
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(sum);
}

void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}

uint16_t get_be16(const uint8_t *p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// Checksums [start, end] of @pkt (@end 0: to the packet's end), plus @extra,
// into @at. As on the part, the field itself is summed: the driver leaves 0
// there for an IP header and the pseudo-header sum for TCP/UDP.
void insert_csum(std::span<uint8_t> pkt, size_t start, size_t end, size_t at, uint32_t extra = 0)
{
	if (pkt.empty())
		return;
	if (end == 0 || end >= pkt.size())
		end = pkt.size() - 1;
	if (start > end || at + 2 > pkt.size())
		return; // a context that does not fit this packet: sent as is
	uint32_t s = csum_add(extra, pkt.subspan(start, end - start + 1));
	put_be16(&pkt[at], static_cast<uint16_t>(~csum_fold(s)));
}

uint16_t le16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

} // namespace

E1000::E1000(GuestMemory &mem, int tap_fd, uint64_t mac, Clock clock)
	: mem_(mem), tap_(tap_fd), clock_(std::move(clock)), cfg_(0x8086, 0x100e, kClassEthernet << 8 | 3),
	  regs_(kE1000BarSize / 4)
{
	cfg_.add_mem_bar(0, kE1000BarSize);
	cfg_.poke(kPciIntPin, 1, 1);
	cfg_.poke(0x2c, 2, 0x8086); // subsystem vendor
	cfg_.poke(0x2e, 2, 0x001e); // subsystem: the 82540EM desktop adapter
	cfg_.set_writable(kPciCommand, 2, 0x0546);
	cfg_.set_writable(kPciIntLine, 1, 0xff);

	// MAC words low byte first, then a checksum word bringing the sum of
	// the 64 words to 0xbaba; everything else 0 (no ID LED or flow
	// control settings, which the driver then takes from its defaults).
	for (int i = 0; i < 3; i++)
		eeprom_[i] = static_cast<uint16_t>(((mac >> (8 * (5 - 2 * i - 1))) & 0xff) << 8 |
						   ((mac >> (8 * (5 - 2 * i))) & 0xff));
	uint16_t sum = 0;
	for (unsigned i = 0; i < kEepromWords - 1; i++)
		sum = static_cast<uint16_t>(sum + eeprom_[i]);
	eeprom_[kEepromWords - 1] = static_cast<uint16_t>(kEepromChecksum - sum);
	reset();
}

void E1000::reset()
{
	std::fill(regs_.begin(), regs_.end(), 0);
	reg(kCtrl) = kCtrlSlu | (1u << 3) /* ASDE */ | (2u << 8) /* 1000 Mb/s */ | (1u << 0);
	reg(kStatus) = kStatusFd | kStatusLu | kStatusSpeed1000 | kStatusAsdv1000;
	reg(kEecd) = kEecdPres;
	reg(kMdic) = kMdicReady;
	reg(0x1000) = 0x30; // PBA: 48 KiB receive, 16 KiB transmit
	// RA[0] comes from the EEPROM on reset, as on the real part.
	reg(kRal0) = uint32_t(eeprom_[0]) | uint32_t(eeprom_[1]) << 16;
	reg(kRal0 + 4) = uint32_t(eeprom_[2]) | kRahAv;

	phy_ = {};
	phy_[kPhyCtrl] = 0x1140;   // autonegotiation on, 1000 Mb/s full duplex
	phy_[kPhyStatus] = 0x796d; // link up, autonegotiation complete
	phy_[kPhyId1] = 0x0141;	   // Marvell 88E1011
	phy_[kPhyId2] = 0x0c20;
	phy_[4] = 0x0de1;  // advertisement
	phy_[5] = 0x45e1;  // link partner: the same, acknowledged
	phy_[6] = 0x000f;  // autonegotiation expansion
	phy_[9] = 0x0e00;  // 1000BASE-T control
	phy_[10] = 0x3c00; // 1000BASE-T status: partner 1000 FD/HD, receivers OK
	phy_[15] = 0x3000; // extended status: 1000BASE-T FD/HD
	phy_[0x10] = 0x0360;
	phy_[0x11] = 0xac00; // 1000 Mb/s, full duplex, resolved, link up
	phy_[0x14] = 0x0c60;

	ee_bits_in_ = 0;
	ee_in_ = 0;
	ee_reading_ = false;
	rx_stopped_ = tx_stopped_ = false;
	rx_error_.clear();
	tx_error_.clear();
	ctx_ = {};
	pkt_.clear();
	pkt_started_ = false;
	deadline_.reset();
	raised_once_ = false;
	intx_.set(false);
}

void E1000::bar_read(unsigned bar, uint64_t off, std::span<uint8_t> data)
{
	std::fill(data.begin(), data.end(), 0);
	if (bar != 0 || off >= kE1000BarSize || data.size() > 4)
		return;
	// Sub-dword reads see the dword (with its read side effects, as a
	// real part's byte-enabled read would have).
	uint32_t base = static_cast<uint32_t>(off & ~3ull), shift = static_cast<uint32_t>(off & 3);
	if (shift + data.size() > 4)
		return;
	uint32_t v = read_reg(base);
	for (size_t i = 0; i < data.size(); i++)
		data[i] = static_cast<uint8_t>(v >> (8 * (shift + i)));
}

void E1000::bar_write(unsigned bar, uint64_t off, std::span<const uint8_t> data)
{
	// The driver writes whole dwords; anything else is dropped, as there
	// is no sensible merge for command registers.
	if (bar != 0 || off >= kE1000BarSize || (off & 3) || data.size() != 4)
		return;
	uint32_t v;
	std::memcpy(&v, data.data(), 4);
	write_reg(static_cast<uint32_t>(off), v);
}

uint32_t E1000::read_reg(uint32_t off)
{
	switch (off) {
	case kIcr: {
		uint32_t v = reg(kIcr);
		reg(kIcr) = 0;
		update_irq();
		return v;
	}
	case kEecd:
		return read_eecd();
	case kIcs:
	case kImc:
		return 0; // write-only
	case kIms:
		return reg(kIms);
	default:
		break;
	}
	if (off >= kStatsStart && off < kStatsEnd) {
		uint32_t v = reg(off);
		reg(off) = 0;
		return v;
	}
	return reg(off);
}

void E1000::write_reg(uint32_t off, uint32_t v)
{
	switch (off) {
	case kCtrl:
		if (v & kCtrlRst) {
			reset();
			return;
		}
		reg(kCtrl) = v & ~kCtrlPhyRst; // the PHY reset completes at once
		return;
	case kStatus:
		return; // read-only
	case kEerd:
		// The register path to the EEPROM (the driver on this MAC bit-bangs
		// EECD instead): a read completes at once.
		if (v & kEerdStart) {
			unsigned a = (v >> 8) & 0xff;
			uint16_t w = a < kEepromWords ? eeprom_[a] : 0;
			reg(kEerd) = (uint32_t(w) << 16) | (a << 8) | kEerdDone;
		}
		return;
	case kEecd:
		write_eecd(v);
		return;
	case kMdic:
		mdic(v);
		return;
	case kIcr: // write 1 to clear
		reg(kIcr) &= ~v;
		update_irq();
		return;
	case kIcs:
		set_causes(v & kIntMask);
		return;
	case kIms:
		reg(kIms) |= v & kIntMask;
		update_irq();
		return;
	case kImc:
		reg(kIms) &= ~v;
		update_irq();
		return;
	case kItr:
		reg(kItr) = v & 0xffff;
		update_irq();
		return;
	case kRctl: {
		uint32_t old = reg(kRctl);
		reg(kRctl) = v;
		if (!(old & kRctlEn) && (v & kRctlEn)) {
			rx_stopped_ = false;
			rx_error_.clear();
		}
		return;
	}
	case kTctl: {
		uint32_t old = reg(kTctl);
		reg(kTctl) = v;
		if (!(old & kTctlEn) && (v & kTctlEn)) {
			tx_stopped_ = false;
			tx_error_.clear();
		}
		transmit();
		return;
	}
	case kRdbal:
	case kRdbah:
	case kRdlen:
		reg(off) = off == kRdlen ? v & 0xfff80 : off == kRdbal ? v & ~0xfu : v;
		rx_stopped_ = false; // a new ring: try again
		rx_error_.clear();
		return;
	case kTdbal:
	case kTdbah:
	case kTdlen:
		reg(off) = off == kTdlen ? v & 0xfff80 : off == kTdbal ? v & ~0xfu : v;
		tx_stopped_ = false;
		tx_error_.clear();
		return;
	case kRdh:
	case kRdt:
	case kTdh:
		reg(off) = v & 0xffff;
		return;
	case kTdt:
		reg(off) = v & 0xffff;
		transmit();
		return;
	default:
		break;
	}
	if (off >= kStatsStart && off < kStatsEnd)
		return; // read-only counters
	reg(off) = v;
}

// The driver bit-bangs Microwire: a start bit, a 2-bit opcode and a 6-bit
// address shifted in on SK's rising edges with CS high, then 16 data bits
// shifted out on DO, most significant first. Dropping CS ends the command.
void E1000::write_eecd(uint32_t v)
{
	uint32_t old = reg(kEecd);
	uint32_t keep = kEecdSk | kEecdCs | kEecdDi | kEecdReq;
	reg(kEecd) = (v & keep) | kEecdPres | ((v & kEecdReq) ? kEecdGnt : 0);
	if (!(v & kEecdCs)) {
		ee_bits_in_ = 0;
		ee_in_ = 0;
		ee_reading_ = false;
		return;
	}
	if ((old & kEecdSk) || !(v & kEecdSk))
		return; // only rising clock edges move data
	if (ee_reading_) {
		ee_out_++;
		return;
	}
	ee_in_ = (ee_in_ << 1) | ((v & kEecdDi) ? 1 : 0);
	if (++ee_bits_in_ == 3 + kEepromAddrBits) {
		ee_reading_ = (ee_in_ >> kEepromAddrBits) == kEepromReadOpcode;
		// The first data bit goes out on the next rising edge.
		ee_out_ = ((ee_in_ & (kEepromWords - 1)) << 4) - 1;
	}
}

uint32_t E1000::read_eecd() const
{
	uint32_t v = reg(kEecd) & ~kEecdDo;
	if (ee_reading_) {
		unsigned bit = ee_out_ & 0x3ff; // wraps past the last word, as the part does
		uint16_t w = eeprom_[(bit >> 4) % kEepromWords];
		if ((w >> (15 - (bit & 15))) & 1)
			v |= kEecdDo;
	}
	return v;
}

void E1000::mdic(uint32_t v)
{
	unsigned phy = (v >> 21) & 0x1f, r = (v >> 16) & 0x1f;
	uint32_t op = v & (3u << 26);
	uint32_t out = v & ~(kMdicReady | kMdicError);
	if (phy != kPhyAddr || (op != kMdicOpRead && op != kMdicOpWrite)) {
		reg(kMdic) = out | kMdicReady | kMdicError;
		return;
	}
	if (op == kMdicOpRead) {
		out = (out & ~0xffffu) | phy_[r];
	} else if (r != kPhyStatus && r != kPhyId1 && r != kPhyId2 && r != 5 && r != 10 &&
		   r != 0x11) {
		// Reset and autonegotiation restart finish at once: the link is
		// always up at 1000 Mb/s full duplex.
		uint16_t d = static_cast<uint16_t>(v);
		if (r == kPhyCtrl)
			d &= static_cast<uint16_t>(~(kPhyCtrlReset | kPhyCtrlRestartAn));
		phy_[r] = d;
	}
	reg(kMdic) = out | kMdicReady;
}

void E1000::set_causes(uint32_t causes)
{
	reg(kIcr) |= causes;
	update_irq();
}

// The line follows ICR & IMS, except that it may not rise again within
// ITR * 256 ns of when it last rose.
void E1000::update_irq()
{
	bool want = reg(kIcr) & reg(kIms);
	if (!want || intx_.level()) {
		if (!want) {
			intx_.set(false);
			if (deadline_) {
				deadline_.reset();
				rearm();
			}
		}
		return;
	}
	uint64_t gap = uint64_t(reg(kItr) & 0xffff) * 256;
	uint64_t now = clock_();
	if (gap && raised_once_ && now - last_raise_ < gap) {
		uint64_t at = last_raise_ + gap;
		if (deadline_ != at) {
			deadline_ = at;
			rearm();
		}
		return;
	}
	if (deadline_) {
		deadline_.reset();
		rearm();
	}
	last_raise_ = now;
	raised_once_ = true;
	intx_.set(true);
}

std::optional<uint64_t> E1000::next_deadline() { return deadline_; }

void E1000::expire(uint64_t now)
{
	(void)now;
	deadline_.reset();
	update_irq();
}

E1000::Ring E1000::ring(uint32_t bal) const
{
	return {uint64_t(reg(bal + 4)) << 32 | reg(bal), reg(bal + 8) / uint32_t(kDescLen)};
}

// Statistics: a packet counter and a 64-bit octet counter split low/high.
void E1000::count(uint32_t pkts_reg, uint32_t octets_lo, uint64_t octets)
{
	reg(pkts_reg)++;
	uint64_t o = (uint64_t(reg(octets_lo + 4)) << 32 | reg(octets_lo)) + octets;
	reg(octets_lo) = static_cast<uint32_t>(o);
	reg(octets_lo + 4) = static_cast<uint32_t>(o >> 32);
}

void E1000::config_write(unsigned off, unsigned size, uint32_t v)
{
	// Status error bits are write-one-to-clear.
	uint32_t st = 0;
	if (off == kPciStatus && size == 2)
		st = v;
	else if (off == kPciCommand && size == 4)
		st = v >> 16;
	if (st & kPciStatusRecvMasterAbort)
		cfg_.poke(kPciStatus, 2, cfg_.read(kPciStatus, 2) & ~kPciStatusRecvMasterAbort);
	cfg_.write(off, size, v);
}

void E1000::dma_error()
{
	cfg_.poke(kPciStatus, 2, cfg_.read(kPciStatus, 2) | kPciStatusRecvMasterAbort);
}

size_t E1000::rx_buffer_size() const
{
	uint32_t rctl = reg(kRctl);
	unsigned bs = (rctl >> kRctlBsizeShift) & 3;
	if ((rctl & kRctlBsex) && bs)
		return 32768u >> bs; // 16384, 8192, 4096
	return 2048u >> bs;
}

bool E1000::accept(std::span<const uint8_t> f) const
{
	uint32_t rctl = reg(kRctl);
	const uint8_t *d = f.data();
	if (!(d[0] & 1)) {
		if (rctl & kRctlUpe)
			return true;
		for (uint32_t a = kRal0; a < kRaEnd; a += 8) {
			uint32_t lo = reg(a), hi = reg(a + 4);
			uint8_t m[6] = {uint8_t(lo), uint8_t(lo >> 8), uint8_t(lo >> 16),
					uint8_t(lo >> 24), uint8_t(hi), uint8_t(hi >> 8)};
			if ((hi & kRahAv) && !std::memcmp(m, d, 6))
				return true;
		}
		return false;
	}
	if (rctl & kRctlMpe)
		return true;
	if (std::all_of(d, d + 6, [](uint8_t b) { return b == 0xff; }))
		return rctl & kRctlBam;
	// The multicast table: 12 bits of the address, where RCTL.MO says.
	unsigned mo = (rctl >> kRctlMoShift) & 3;
	unsigned hash = ((d[4] >> (4 - mo)) | (unsigned(d[5]) << (4 + mo))) & 0xfff;
	return reg(kMta + 4 * (hash >> 5)) & (1u << (hash & 31));
}

void E1000::rx_fail(const std::string &why)
{
	rx_stopped_ = true;
	rx_error_ = why;
	dma_error();
}

void E1000::on_tap_readable()
{
	rx_buf_.resize(kFrameMax);
	for (;;) {
		ssize_t n = ::read(tap_, rx_buf_.data(), rx_buf_.size());
		if (n <= 0)
			break; // EAGAIN: drained
		receive({rx_buf_.data(), static_cast<size_t>(n)});
	}
}

void E1000::receive(std::span<const uint8_t> frame)
{
	if (!(reg(kRctl) & kRctlEn) || frame.size() < 14 || !accept(frame))
		return; // filtered, as on the wire
	if (rx_stopped_) {
		rx_dropped_++;
		return;
	}
	// Short frames are padded, and the FCS is kept unless RCTL.SECRC: the
	// driver strips 4 bytes from every frame it is given.
	auto &f = rx_frame_;
	f.assign(frame.begin(), frame.end());
	if (f.size() < kMinFrame)
		f.resize(kMinFrame, 0);
	if (!(reg(kRctl) & kRctlSecrc)) {
		uint32_t crc = crc32_ieee(f);
		for (int i = 0; i < 4; i++)
			f.push_back(static_cast<uint8_t>(crc >> (8 * i)));
	}

	Ring r = ring(kRdbal);
	uint32_t rdh = reg(kRdh), rdt = reg(kRdt);
	if (r.count == 0 || rdh >= r.count || rdt >= r.count) {
		rx_fail("receive head " + std::to_string(rdh) + " or tail " + std::to_string(rdt) +
			" outside a ring of " + std::to_string(r.count) + " descriptors");
		rx_dropped_++;
		return;
	}
	if (!mem_.contains(r.base, uint64_t(r.count) * kDescLen)) {
		rx_fail("receive ring at " + std::to_string(r.base) + " is not in guest RAM");
		rx_dropped_++;
		return;
	}
	size_t bufsz = rx_buffer_size();
	uint32_t avail = (rdt + r.count - rdh) % r.count;
	size_t need = (f.size() + bufsz - 1) / bufsz;
	if (avail < need) {
		// No room: the frame is missed, as when the part's FIFO overflows.
		reg(kMpc)++;
		rx_dropped_++;
		set_causes(kIntRxo);
		return;
	}
	for (size_t done = 0; done < f.size();) {
		auto d = mem_.span(r.base + uint64_t(rdh) * kDescLen, kDescLen);
		uint64_t addr;
		std::memcpy(&addr, d.data(), 8);
		size_t n = std::min(bufsz, f.size() - done);
		if (!mem_.contains(addr, bufsz)) {
			rx_fail("receive buffer at " + std::to_string(addr) + " (" +
				std::to_string(bufsz) + " bytes) is not in guest RAM");
			rx_dropped_++;
			return;
		}
		std::memcpy(mem_.span(addr, n).data(), f.data() + done, n);
		done += n;
		uint16_t len = static_cast<uint16_t>(n);
		std::memcpy(d.data() + 8, &len, 2);
		d[10] = d[11] = 0; // checksum: not computed, IXSM says so
		d[12] = kRxdStatDd | kRxdStatIxsm | (done == f.size() ? kRxdStatEop : 0);
		d[13] = 0;
		d[14] = d[15] = 0;
		rdh = (rdh + 1) % r.count;
		reg(kRdh) = rdh;
	}
	count(kGprc, kGorcl, f.size());
	count(kTpr, kTorl, f.size());
	if (frame[0] & 1)
		reg(std::all_of(frame.begin(), frame.begin() + 6, [](uint8_t b) { return b == 0xff; })
			    ? kBprc
			    : kMprc)++;
	uint32_t causes = kIntRxt0;
	unsigned rdmts = (reg(kRctl) >> kRctlRdmtsShift) & 3;
	if (rdmts < 3 && (rdt + r.count - rdh) % r.count <= (r.count >> (rdmts + 1)))
		causes |= kIntRxdmt0;
	set_causes(causes);
}

void E1000::tx_fail(const std::string &why)
{
	tx_stopped_ = true;
	tx_error_ = why;
	pkt_.clear();
	pkt_started_ = false;
	dma_error();
}

void E1000::transmit()
{
	if (!(reg(kTctl) & kTctlEn) || tx_stopped_)
		return;
	Ring r = ring(kTdbal);
	uint32_t tdh = reg(kTdh), tdt = reg(kTdt);
	if (tdh == tdt)
		return;
	if (r.count == 0 || tdh >= r.count || tdt >= r.count) {
		tx_fail("transmit head " + std::to_string(tdh) + " or tail " + std::to_string(tdt) +
			" outside a ring of " + std::to_string(r.count) + " descriptors");
		return;
	}
	if (!mem_.contains(r.base, uint64_t(r.count) * kDescLen)) {
		tx_fail("transmit ring at " + std::to_string(r.base) + " is not in guest RAM");
		return;
	}
	while (tdh != tdt) {
		auto d = mem_.span(r.base + uint64_t(tdh) * kDescLen, kDescLen);
		uint64_t addr;
		uint32_t lower;
		std::memcpy(&addr, d.data(), 8);
		std::memcpy(&lower, d.data() + 8, 4);
		// The command byte is bits 31:24 in all three formats.
		uint8_t cmd = static_cast<uint8_t>(lower >> 24);
		bool ext = cmd & kTxdCmdDext;
		unsigned dtyp = (lower >> kTxdDtypShift) & 0xf;
		if (ext && dtyp == kTxdDtypContext) {
			ctx_.ipcss = d[0];
			ctx_.ipcso = d[1];
			ctx_.ipcse = le16(&d[2]);
			ctx_.tucss = d[4];
			ctx_.tucso = d[5];
			ctx_.tucse = le16(&d[6]);
			ctx_.paylen = lower & 0xfffff;
			ctx_.tucmd = cmd;
			ctx_.hdr_len = d[13];
			ctx_.mss = le16(&d[14]);
		} else {
			uint32_t len = ext ? lower & 0xfffff : lower & 0xffff;
			if (!pkt_started_) {
				pkt_popts_ = ext ? d[13] : 0;
				pkt_tse_ = ext && (cmd & kTxdCmdTse);
				pkt_started_ = true;
			}
			if (pkt_.size() + len > kTxMax) {
				tx_fail("transmit packet longer than " + std::to_string(kTxMax) +
					" bytes");
				return;
			}
			if (!mem_.contains(addr, len)) {
				tx_fail("transmit buffer at " + std::to_string(addr) + " (" +
					std::to_string(len) + " bytes) is not in guest RAM");
				return;
			}
			auto src = mem_.span(addr, len);
			pkt_.insert(pkt_.end(), src.begin(), src.end());
			if (cmd & kTxdCmdEop) {
				send_packet();
				pkt_.clear();
				pkt_started_ = false;
			}
		}
		if (cmd & kTxdCmdRs)
			d[12] |= kTxdStatDd;
		tdh = (tdh + 1) % r.count;
		reg(kTdh) = tdh;
	}
	set_causes(kIntTxdw | kIntTxqe);
}

void E1000::send_packet()
{
	if (pkt_tse_ && (ctx_.tucmd & kTucmdTse)) {
		send_tso();
		return;
	}
	if (pkt_popts_ & kTxdPoptIxsm)
		insert_csum(pkt_, ctx_.ipcss, ctx_.ipcse, ctx_.ipcso);
	if (pkt_popts_ & kTxdPoptTxsm)
		insert_csum(pkt_, ctx_.tucss, ctx_.tucse, ctx_.tucso);
	emit(pkt_);
}

// TCP segmentation: every segment gets the headers with the IP length and
// ID, the TCP sequence number and flags and both checksums redone. The
// driver left IP length and checksum 0 and the TCP checksum holding the
// pseudo-header sum without the length, which is added here.
void E1000::send_tso()
{
	size_t hl = ctx_.hdr_len, mss = ctx_.mss;
	bool tcp = ctx_.tucmd & kTucmdTcp, v4 = ctx_.tucmd & kTucmdIp;
	if (!tcp || !mss || hl >= pkt_.size() || ctx_.tucss + 20u > hl || ctx_.ipcss + 20u > hl) {
		tx_dropped_++; // a context this device cannot segment by
		return;
	}
	std::vector<uint8_t> seg;
	uint16_t id = get_be16(&pkt_[ctx_.ipcss + 4]);
	uint32_t seq = uint32_t(get_be16(&pkt_[ctx_.tucss + 4])) << 16 |
		       get_be16(&pkt_[ctx_.tucss + 6]);
	size_t total = pkt_.size() - hl;
	for (size_t off = 0, i = 0; off < total; off += mss, i++) {
		size_t n = std::min(mss, total - off);
		bool last = off + n == total;
		seg.assign(pkt_.begin(), pkt_.begin() + static_cast<long>(hl));
		seg.insert(seg.end(), pkt_.begin() + static_cast<long>(hl + off),
			   pkt_.begin() + static_cast<long>(hl + off + n));
		uint8_t *ip = &seg[ctx_.ipcss], *th = &seg[ctx_.tucss];
		if (v4) {
			put_be16(ip + 2, static_cast<uint16_t>(hl - ctx_.ipcss + n));
			put_be16(ip + 4, static_cast<uint16_t>(id + i));
			insert_csum(seg, ctx_.ipcss, ctx_.ipcse ? ctx_.ipcse : ctx_.tucss - 1,
				    ctx_.ipcso);
		} else {
			put_be16(ip + 4, static_cast<uint16_t>(hl - ctx_.ipcss - 40 + n));
		}
		uint32_t s = seq + static_cast<uint32_t>(off);
		put_be16(th + 4, static_cast<uint16_t>(s >> 16));
		put_be16(th + 6, static_cast<uint16_t>(s));
		if (!last)
			th[13] &= static_cast<uint8_t>(~0x09); // FIN and PSH: last segment only
		insert_csum(seg, ctx_.tucss, 0, ctx_.tucso,
			    static_cast<uint32_t>(hl - ctx_.tucss + n));
		emit(seg);
	}
}

void E1000::emit(std::span<uint8_t> frame)
{
	// A tap that cannot take the frame now drops it, as a busy link would.
	if (::write(tap_, frame.data(), frame.size()) < 0) {
		tx_dropped_++;
		return;
	}
	count(kGptc, kGotcl, frame.size());
	count(kTpt, kTotl, frame.size());
}

} // namespace ringvm
