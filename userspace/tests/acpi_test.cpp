// SPDX-License-Identifier: GPL-2.0
#include "board/acpi.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "board/aml.h"
#include "devices/acpi_pm.h"

namespace ringvm {
namespace {

uint8_t sum(std::span<const uint8_t> b)
{
	uint8_t s = 0;
	for (uint8_t x : b)
		s = static_cast<uint8_t>(s + x);
	return s;
}

template <typename T> T get(GuestMemory &m, uint64_t gpa)
{
	T v;
	std::memcpy(&v, m.span(gpa, sizeof(v)).data(), sizeof(v));
	return v;
}

// The table at @gpa, checked: its checksum and signature.
std::span<uint8_t> table(GuestMemory &m, uint64_t gpa, const char *sig)
{
	auto len = get<uint32_t>(m, gpa + 4);
	auto t = m.span(gpa, len);
	EXPECT_EQ(0, std::memcmp(t.data(), sig, 4)) << sig;
	EXPECT_EQ(0, sum(t)) << sig << " checksum";
	return t;
}

bool contains(std::span<const uint8_t> t, const std::string &s)
{
	return std::search(t.begin(), t.end(), s.begin(), s.end()) != t.end();
}

TEST(Acpi, TablesChainFromTheRsdpWithValidChecksums)
{
	GuestMemory mem(64ull << 20);
	uint64_t rsdp = write_acpi_tables(mem, 3);
	ASSERT_EQ(kAcpiBase, rsdp);
	auto r = mem.span(rsdp, 36);
	EXPECT_EQ(0, std::memcmp(r.data(), "RSD PTR ", 8));
	EXPECT_EQ(0, sum(r.first(20)));
	EXPECT_EQ(0, sum(r));
	EXPECT_EQ(2, r[15]);
	auto xsdt = get<uint64_t>(mem, rsdp + 24);
	auto x = table(mem, xsdt, "XSDT");
	ASSERT_EQ(36u + 16, x.size());
	uint64_t fadt = get<uint64_t>(mem, xsdt + 36), madt = get<uint64_t>(mem, xsdt + 44);

	auto f = table(mem, fadt, "FACP");
	ASSERT_EQ(276u, f.size());
	EXPECT_EQ(kSciIrq, get<uint16_t>(mem, fadt + 46));
	EXPECT_EQ(AcpiPm::kPm1aEvt, get<uint32_t>(mem, fadt + 56));
	EXPECT_EQ(AcpiPm::kPm1aCnt, get<uint32_t>(mem, fadt + 64));
	EXPECT_EQ(AcpiPm::kPmTmr, get<uint32_t>(mem, fadt + 76));
	EXPECT_EQ(AcpiPm::kReset, get<uint64_t>(mem, fadt + 116 + 4));
	EXPECT_EQ(AcpiPm::kResetValue, f[128]);
	EXPECT_TRUE(get<uint32_t>(mem, fadt + 112) & (1u << 8)); // 32-bit PM timer
	uint64_t dsdt = get<uint64_t>(mem, fadt + 140);
	uint64_t facs = get<uint64_t>(mem, fadt + 132);
	EXPECT_EQ(0u, facs % 64);
	EXPECT_EQ(0, std::memcmp(mem.span(facs, 4).data(), "FACS", 4));
	auto d = table(mem, dsdt, "DSDT");
	EXPECT_TRUE(contains(d, "_S5_"));
	EXPECT_TRUE(contains(d, "_PRT"));
	EXPECT_TRUE(contains(d, "PCI0"));
	EXPECT_TRUE(contains(d, "_CRS"));
	// The host bridge's memory window is the one PciBus places BARs in.
	const std::vector<uint8_t> window{0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00,
					  0x00, 0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xbf, 0xfe};
	EXPECT_NE(d.end(), std::search(d.begin(), d.end(), window.begin(), window.end()));

	auto m = table(mem, madt, "APIC");
	EXPECT_EQ(kLapicAddr, get<uint32_t>(mem, madt + 36));
	int lapics = 0, ioapics = 0, pit_override = 0, nmi = 0;
	uint16_t sci_flags = 0;
	for (size_t off = 44; off + 2 <= m.size(); off += m[off + 1]) {
		ASSERT_GE(m[off + 1], 2) << "zero-length MADT entry";
		switch (m[off]) {
		case 0:
			EXPECT_EQ(lapics, m[off + 3]); // APIC ID = vCPU index
			lapics++;
			break;
		case 1:
			ioapics++;
			EXPECT_EQ(kIoapicAddr, get<uint32_t>(mem, madt + off + 4));
			EXPECT_EQ(0u, get<uint32_t>(mem, madt + off + 8));
			break;
		case 2:
			if (m[off + 3] == 0 && get<uint32_t>(mem, madt + off + 4) == 2)
				pit_override++;
			// The SCI's line, shared with PCI slots: level, active low,
			// as Linux takes a _PRT GSI (else it cannot share the pin).
			if (m[off + 3] == kSciIrq)
				sci_flags = get<uint16_t>(mem, madt + off + 8);
			break;
		case 4:
			nmi += m[off + 5] == 1;
			break;
		}
	}
	EXPECT_EQ(3, lapics);
	EXPECT_EQ(1, ioapics);
	EXPECT_EQ(1, pit_override);
	EXPECT_EQ(0xf, sci_flags);
	EXPECT_EQ(1, nmi);
}

TEST(Aml, PkgLengthUsesTheShortestEncoding)
{
	EXPECT_EQ(aml::Bytes{0x3f}, aml::pkg_length(62));
	// 63 + 2 = 65: two bytes, low nibble in the lead byte.
	EXPECT_EQ((aml::Bytes{0x41, 0x04}), aml::pkg_length(63));
	EXPECT_EQ((aml::Bytes{0x4f, 0xff}), aml::pkg_length(4093));
	EXPECT_EQ((aml::Bytes{0x81, 0x00, 0x01}), aml::pkg_length(4094));
}

TEST(Aml, EncodesNamesIntegersAndEisaIds)
{
	EXPECT_EQ((aml::Bytes{0x5c, '_', 'S', '5', '_'}), aml::name_string("\\_S5"));
	EXPECT_EQ((aml::Bytes{0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}),
		  aml::name_string("_SB.PCI0"));
	EXPECT_EQ(aml::Bytes{0x00}, aml::integer(0));
	EXPECT_EQ((aml::Bytes{0x0a, 0x05}), aml::integer(5));
	EXPECT_EQ((aml::Bytes{0x0c, 0xff, 0xff, 0x01, 0x00}), aml::integer(0x1ffff));
	// The well-known PNP0A03 dword, 0x030ad041.
	EXPECT_EQ((aml::Bytes{0x0c, 0x41, 0xd0, 0x0a, 0x03}), aml::eisa_id("PNP0A03"));
}

} // namespace
} // namespace ringvm
