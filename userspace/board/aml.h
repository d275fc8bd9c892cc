// SPDX-License-Identifier: GPL-2.0
// The few ACPI Machine Language constructs the DSDT needs (ACPI 6.5, 20.2):
// names, scopes, devices, packages, integers and buffers. Each returns the
// encoded bytes; nesting is concatenation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ringvm::aml {

using Bytes = std::vector<uint8_t>;

// "\_SB.PCI0", "_S5": a NameString, segments padded with '_' to four.
Bytes name_string(const std::string &path);
// Name(path, value)
Bytes name(const std::string &path, const Bytes &value);
// Scope(path) { body }
Bytes scope(const std::string &path, const Bytes &body);
// Device(seg) { body }
Bytes device(const std::string &seg, const Bytes &body);
// Package() { elements }
Bytes package(const std::vector<Bytes> &elements);
// The shortest integer encoding: Zero, One, Byte/Word/DWord/QWordConst.
Bytes integer(uint64_t v);
// EisaId("PNP0A03"): the compressed 32-bit form.
Bytes eisa_id(const char *id);
// Buffer() { data }: a resource template is one.
Bytes buffer(const Bytes &data);

// PkgLength for @content bytes following it (the length counts itself).
Bytes pkg_length(size_t content);

} // namespace ringvm::aml
