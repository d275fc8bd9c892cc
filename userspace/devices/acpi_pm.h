// SPDX-License-Identifier: GPL-2.0
// The ACPI fixed hardware the FADT points at (board/acpi.cpp): the PM1a
// event block (status, enable), the PM1a control block (SCI_EN, SLP_TYP,
// SLP_EN), the 32-bit PM timer and a reset register, all in one 16-port
// block. SLP_EN with SLP_TYP = S5 powers the machine off; the reset value
// written to the reset register resets it.
#pragma once

#include <cstdint>
#include <functional>

#include "vmm/clock.h"
#include "vmm/io_bus.h"
#include "vmm/irq.h"

namespace ringvm {

class AcpiPm final : public IoDevice {
public:
	static constexpr uint16_t kBase = 0x600, kLen = 16;
	static constexpr uint16_t kPm1aEvt = kBase;	// STS at +0, EN at +2
	static constexpr uint16_t kPm1aCnt = kBase + 4; // 2 bytes
	static constexpr uint16_t kPmTmr = kBase + 8;	// 4 bytes
	static constexpr uint16_t kReset = kBase + 12;	// 1 byte
	static constexpr uint8_t kResetValue = 0x06;
	// The \_S5 package's SLP_TYP (board/acpi.cpp writes the same value).
	static constexpr uint16_t kSlpTypS5 = 5;
	static constexpr uint64_t kTimerHz = 3579545;

	// PM1 bits (ACPI 6.5, 4.8.3): status and enable share positions.
	static constexpr uint16_t kTmr = 1u << 0, kPwrBtn = 1u << 8, kWak = 1u << 15;
	static constexpr uint16_t kSciEn = 1u << 0, kSlpEn = 1u << 13;

	AcpiPm(IrqLine sci, Clock clock, std::function<void()> power_off,
	       std::function<void()> reset);
	void attach(IoBus &pio);

	void io_read(uint64_t addr, std::span<uint8_t> data) override;
	void io_write(uint64_t addr, std::span<const uint8_t> data) override;

	// The power button: sets PWRBTN_STS, an SCI if the guest enabled it.
	// Returns whether it did: a guest that never enabled PWRBTN_EN (no
	// ACPI driver, or not yet loaded) cannot hear the button.
	bool press_power_button();
	uint16_t status() const { return sts_; }

private:
	uint32_t timer() const;
	uint8_t read_byte(unsigned off) const;
	void update_sci();

	IrqLine sci_;
	Clock clock_;
	std::function<void()> power_off_, reset_;
	uint16_t sts_ = 0, en_ = 0;
	// SCI_EN reads 1: there is no SMI_CMD, the platform is always in ACPI
	// mode, which is what the FADT's SMI_CMD = 0 tells the guest.
	uint16_t cnt_ = kSciEn;
};

} // namespace ringvm
