// SPDX-License-Identifier: GPL-2.0
// The layouts are ACPI 6.5's; no system header has them (<linux/acpi.h> is
// the kernel's, not a UAPI header), so they are packed structs of our own.
#include "board/acpi.h"

#include <cstring>
#include <string>
#include <vector>

#include "board/aml.h"
#include "devices/acpi_pm.h"
#include "devices/pci_bus.h"
#include "vmm/error.h"

namespace ringvm {

namespace {

struct [[gnu::packed]] Rsdp {
	char signature[8];
	uint8_t checksum; // of the first 20 bytes
	char oem_id[6];
	uint8_t revision; // 2: the XSDT fields are valid
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum; // of all 36 bytes
	uint8_t reserved[3];
};
static_assert(sizeof(Rsdp) == 36);

struct [[gnu::packed]] Header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
};
static_assert(sizeof(Header) == 36);

struct [[gnu::packed]] Gas {
	uint8_t space; // 1: system I/O
	uint8_t bit_width, bit_offset, access_size;
	uint64_t address;
};
static_assert(sizeof(Gas) == 12);

Gas io_gas(uint16_t port, uint8_t bytes)
{
	// Access size: 1 byte, 2 word, 3 dword.
	uint8_t access = bytes == 1 ? 1 : bytes == 2 ? 2 : 3;
	return Gas{1, static_cast<uint8_t>(8 * bytes), 0, access, port};
}

struct [[gnu::packed]] Fadt {
	Header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk;
	uint32_t pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	Gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	Gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk, x_pm2_cnt_blk;
	Gas x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk, sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor;
};
static_assert(sizeof(Fadt) == 276);

struct [[gnu::packed]] Facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature, waking_vector, global_lock, flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
};
static_assert(sizeof(Facs) == 64);

// MADT entries (ACPI 6.5, 5.2.12).
struct [[gnu::packed]] MadtLapic {
	uint8_t type = 0, length = 8, uid, apic_id;
	uint32_t flags = 1; // enabled
};
struct [[gnu::packed]] MadtIoapic {
	uint8_t type = 1, length = 12, id, reserved = 0;
	uint32_t address, gsi_base;
};
struct [[gnu::packed]] MadtOverride {
	uint8_t type = 2, length = 10, bus = 0, source;
	uint32_t gsi;
	uint16_t flags;
};
struct [[gnu::packed]] MadtLapicNmi {
	uint8_t type = 4, length = 6, uid = 0xff; // every processor
	uint16_t flags = 0;
	uint8_t lint = 1;
};

// MPS INTI flags: active low (3), level (3 << 2); 0 is "as the bus says".
constexpr uint16_t kLevelLow = 3 | 3 << 2;
// FADT flags: WBINVD, C1 on all CPUs, no sleep button, RTC wake status not
// fixed, 32-bit PM timer, reset register supported.
constexpr uint32_t kFadtFlags = 1u << 0 | 1u << 2 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 10;
// IAPC_BOOT_ARCH: legacy (ISA) devices, an i8042, no VGA.
constexpr uint16_t kBootArch = 1u << 0 | 1u << 1 | 1u << 2;

class Writer {
public:
	explicit Writer(GuestMemory &mem) : mem_(mem) {}
	// Places @bytes at the next 16-byte boundary; returns its address.
	uint64_t put(std::vector<uint8_t> bytes, size_t align = 16)
	{
		at_ = (at_ + align - 1) & ~(align - 1);
		if (at_ + bytes.size() > kAcpiEnd)
			throw Error("the ACPI tables do not fit below 1 MiB");
		uint64_t gpa = at_;
		mem_.write(gpa, bytes);
		at_ += bytes.size();
		return gpa;
	}

private:
	GuestMemory &mem_;
	uint64_t at_ = kAcpiBase + 64; // the RSDP goes at kAcpiBase
};

uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = static_cast<uint8_t>(sum + p[i]);
	return static_cast<uint8_t>(-sum);
}

void copy_id(char *to, const char *from, size_t n)
{
	std::memset(to, ' ', n);
	std::memcpy(to, from, std::min(n, std::strlen(from)));
}

// A table: @h's fields filled in for @body's size, then the checksum.
template <typename T> void append_raw(std::vector<uint8_t> &v, const T &t)
{
	const auto *p = reinterpret_cast<const uint8_t *>(&t);
	v.insert(v.end(), p, p + sizeof(t));
}

std::vector<uint8_t> table(const char *sig, uint8_t revision, std::vector<uint8_t> body)
{
	Header h{};
	std::memcpy(h.signature, sig, 4);
	h.length = static_cast<uint32_t>(sizeof(h) + body.size());
	h.revision = revision;
	copy_id(h.oem_id, "RINGVM", 6);
	copy_id(h.oem_table_id, "RINGVMPC", 8);
	h.oem_revision = 1;
	copy_id(h.creator_id, "RVMM", 4);
	h.creator_revision = 1;
	// Sized once and copied into: GCC 12 at -O2 reports a false overflow
	// (-Wstringop-overflow) for an insert of the body after the header.
	std::vector<uint8_t> out(sizeof(h) + body.size());
	std::memcpy(out.data(), &h, sizeof(h));
	if (!body.empty())
		std::memcpy(out.data() + sizeof(h), body.data(), body.size());
	out[9] = checksum(out.data(), out.size());
	return out;
}

std::vector<uint8_t> madt(int cpus)
{
	std::vector<uint8_t> b;
	uint32_t lapic = static_cast<uint32_t>(kLapicAddr), pcat_compat = 1;
	append_raw(b, lapic);
	append_raw(b, pcat_compat); // the 8259s exist (and are masked by the OS)
	for (int i = 0; i < cpus; i++) {
		MadtLapic e;
		e.uid = e.apic_id = static_cast<uint8_t>(i);
		append_raw(b, e);
	}
	MadtIoapic io;
	io.id = 0;
	io.address = static_cast<uint32_t>(kIoapicAddr);
	io.gsi_base = 0;
	append_raw(b, io);
	// The PIT's IRQ 0 is I/O APIC pin 2 (board/irq_router.h routes it so).
	MadtOverride timer;
	timer.source = 0;
	timer.gsi = 2;
	timer.flags = 0;
	append_raw(b, timer);
	// The SCI and the PCI INTx lines (PciBus::intx_line) are level
	// triggered and active low, as on PC boards: Linux takes a _PRT entry
	// that names a GSI as level, active low, and refuses to share a pin set
	// up otherwise ("failed to register GSI"), which is what a PCI function
	// on the SCI's line 9 met while the override said active high.  Both
	// I/O APICs (KVM's and ringvm's) ignore polarity: the VMM drives 1.
	for (uint8_t irq : {uint8_t{5}, kSciIrq, uint8_t{10}, uint8_t{11}}) {
		MadtOverride o;
		o.source = irq;
		o.gsi = irq;
		o.flags = kLevelLow;
		append_raw(b, o);
	}
	append_raw(b, MadtLapicNmi{});
	return table("APIC", 5, b);
}

std::vector<uint8_t> fadt(uint64_t facs, uint64_t dsdt)
{
	Fadt f{};
	f.firmware_ctrl = static_cast<uint32_t>(facs);
	f.dsdt = static_cast<uint32_t>(dsdt);
	f.x_firmware_ctrl = facs;
	f.x_dsdt = dsdt;
	f.sci_int = kSciIrq;
	f.smi_cmd = 0; // always in ACPI mode: SCI_EN reads 1
	f.pm1a_evt_blk = AcpiPm::kPm1aEvt;
	f.pm1a_cnt_blk = AcpiPm::kPm1aCnt;
	f.pm_tmr_blk = AcpiPm::kPmTmr;
	f.pm1_evt_len = 4;
	f.pm1_cnt_len = 2;
	f.pm_tmr_len = 4;
	f.x_pm1a_evt_blk = io_gas(AcpiPm::kPm1aEvt, 4);
	f.x_pm1a_cnt_blk = io_gas(AcpiPm::kPm1aCnt, 2);
	f.x_pm_tmr_blk = io_gas(AcpiPm::kPmTmr, 4);
	f.p_lvl2_lat = 101;  // > 100: no C2
	f.p_lvl3_lat = 1001; // > 1000: no C3
	f.iapc_boot_arch = kBootArch;
	f.flags = kFadtFlags;
	f.reset_reg = io_gas(AcpiPm::kReset, 1);
	f.reset_value = AcpiPm::kResetValue;
	f.minor_version = 5;
	std::vector<uint8_t> body(reinterpret_cast<uint8_t *>(&f) + sizeof(Header),
				  reinterpret_cast<uint8_t *>(&f) + sizeof(f));
	return table("FACP", 6, body);
}

std::vector<uint8_t> facs()
{
	Facs f{};
	std::memcpy(f.signature, "FACS", 4);
	f.length = sizeof(f);
	f.version = 2;
	std::vector<uint8_t> out;
	append_raw(out, f);
	return out;
}

// Little-endian bytes of @v, @n of them, onto @out.
void put_le(aml::Bytes &out, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A Word Address Space Descriptor (ACPI 6.5, 6.4.3.5.3) the bridge produces:
// @type 1 for I/O, 2 for bus numbers; fixed bounds [@min, @max].
void word_window(aml::Bytes &out, uint8_t type, uint16_t min, uint16_t max)
{
	const uint8_t range = type == 1 ? 3 : 0; // I/O: ISA and non-ISA ranges
	out.insert(out.end(), {0x88, 13, 0, type, 0x0c, range});
	put_le(out, 0, 2);
	put_le(out, min, 2);
	put_le(out, max, 2);
	put_le(out, 0, 2);
	put_le(out, uint32_t{max} - min + 1, 2);
}

// _CRS of the host bridge: what firmware tells the OS its PCI windows are.
// Without one Linux finds no window for the BARs the VMM assigned ("can't
// claim; no compatible bridge window") and keeps them only as firmware's.
aml::Bytes pci_root_crs()
{
	aml::Bytes r;
	word_window(r, 2, 0, 0xff);
	word_window(r, 1, 0, 0xcf7);
	// IO(Decode16, 0xcf8, 0xcf8, 1, 8): the configuration ports themselves.
	r.insert(r.end(), {0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08});
	word_window(r, 1, 0xd00, 0xffff);
	// DWord Memory Descriptor (6.4.3.5.2): read-write, non-cacheable, the
	// window PciBus assigns BARs from.
	r.insert(r.end(), {0x87, 23, 0, 0, 0x0c, 0x01});
	put_le(r, 0, 4);
	put_le(r, PciBus::kMmioBase, 4);
	put_le(r, PciBus::kMmioEnd - 1, 4);
	put_le(r, 0, 4);
	put_le(r, PciBus::kMmioEnd - PciBus::kMmioBase, 4);
	r.insert(r.end(), {0x79, 0x00}); // End Tag, checksum 0: not checked
	return r;
}

aml::Bytes pci_root()
{
	using namespace aml;
	// _PRT: INTx pin p of slot s reaches the line the PCI bus wired for
	// it, the swizzle PciBus::intx_line() applies to pin A.
	std::vector<Bytes> prt;
	for (unsigned slot = 1; slot < 32; slot++)
		for (unsigned pin = 0; pin < 4; pin++)
			prt.push_back(package({integer(slot << 16 | 0xffff), integer(pin), integer(0),
					       integer(PciBus::intx_line(slot + pin))}));
	// _PRT has 124 entries: a package holds at most 255, so one will do.
	Bytes body = name("_HID", eisa_id("PNP0A03"));
	auto add = [&](const Bytes &b) { body.insert(body.end(), b.begin(), b.end()); };
	add(name("_UID", integer(0)));
	add(name("_BBN", integer(0)));
	add(name("_PRT", package(prt)));
	add(name("_CRS", buffer(pci_root_crs())));
	return device("PCI0", body);
}

aml::Bytes com1()
{
	using namespace aml;
	// IO(Decode16, 0x3f8, 0x3f8, 1, 8), IRQNoFlags() {4}, EndTag.
	Bytes crs{0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00};
	Bytes body = name("_HID", eisa_id("PNP0501"));
	auto add = [&](const Bytes &b) { body.insert(body.end(), b.begin(), b.end()); };
	add(name("_UID", integer(0)));
	add(name("_CRS", buffer(crs)));
	return device("COM1", body);
}

std::vector<uint8_t> dsdt()
{
	using namespace aml;
	Bytes sb = pci_root();
	Bytes c = com1();
	sb.insert(sb.end(), c.begin(), c.end());
	Bytes body = scope("\\_SB", sb);
	// \_S5: SLP_TYP for PM1a and PM1b, then two reserved values.
	Bytes s5 = name("\\_S5", package({integer(AcpiPm::kSlpTypS5), integer(AcpiPm::kSlpTypS5),
					 integer(0), integer(0)}));
	body.insert(body.end(), s5.begin(), s5.end());
	return table("DSDT", 2, body);
}

} // namespace

uint64_t write_acpi_tables(GuestMemory &mem, int cpus)
{
	if (cpus < 1 || cpus > 255)
		throw Error("cannot describe " + std::to_string(cpus) + " vCPUs in the MADT");
	Writer w(mem);
	uint64_t dsdt_at = w.put(dsdt());
	uint64_t facs_at = w.put(facs(), 64); // FACS must be 64-byte aligned
	uint64_t fadt_at = w.put(fadt(facs_at, dsdt_at));
	uint64_t madt_at = w.put(madt(cpus));

	std::vector<uint8_t> body;
	append_raw(body, fadt_at);
	append_raw(body, madt_at);
	uint64_t xsdt_at = w.put(table("XSDT", 1, body));

	Rsdp r{};
	std::memcpy(r.signature, "RSD PTR ", 8);
	copy_id(r.oem_id, "RINGVM", 6);
	r.revision = 2;
	r.length = sizeof(r);
	r.xsdt = xsdt_at;
	r.checksum = checksum(reinterpret_cast<uint8_t *>(&r), 20);
	r.ext_checksum = checksum(reinterpret_cast<uint8_t *>(&r), sizeof(r));
	std::vector<uint8_t> rsdp;
	append_raw(rsdp, r);
	mem.write(kAcpiBase, rsdp);
	return kAcpiBase;
}

} // namespace ringvm
