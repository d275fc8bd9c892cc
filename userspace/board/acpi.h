// SPDX-License-Identifier: GPL-2.0
// The ACPI tables of the in-kernel-irqchip PC (Documentation/acpi.rst):
// RSDP, XSDT, MADT, FADT, FACS and DSDT, written into the BIOS area where a
// guest's RSDP scan finds them.
#pragma once

#include <cstdint>

#include "vmm/guest_memory.h"

namespace ringvm {

// The RSDP's address: 0xe0000-0xfffff is where Linux and other OSes scan
// for "RSD PTR " when no firmware hands the address over; the e820 map
// reserves the whole area, so the tables after it stay intact.
constexpr uint64_t kAcpiBase = 0xe0000;
constexpr uint64_t kAcpiEnd = 0x100000;
constexpr uint64_t kIoapicAddr = 0xfec00000, kLapicAddr = 0xfee00000;
constexpr uint8_t kSciIrq = 9;

// Writes every table for @cpus vCPUs; returns the RSDP address.
uint64_t write_acpi_tables(GuestMemory &mem, int cpus);

} // namespace ringvm
