// SPDX-License-Identifier: GPL-2.0
#include "devices/acpi_pm.h"

namespace ringvm {

AcpiPm::AcpiPm(IrqLine sci, Clock clock, std::function<void()> power_off,
	       std::function<void()> reset)
	: sci_(sci), clock_(std::move(clock)), power_off_(std::move(power_off)),
	  reset_(std::move(reset))
{
}

void AcpiPm::attach(IoBus &pio)
{
	pio.add(kBase, kLen, *this, "ACPI PM1a, PM timer and reset register");
}

uint32_t AcpiPm::timer() const
{
	// ns * 3579545 / 1e9, split so it cannot overflow.
	uint64_t ns = clock_();
	return static_cast<uint32_t>(ns / 1000000000 * kTimerHz +
				     ns % 1000000000 * kTimerHz / 1000000000);
}

uint8_t AcpiPm::read_byte(unsigned off) const
{
	uint32_t v = 0;
	unsigned shift = 8 * (off % 4);
	switch (off / 4) {
	case 0:
		v = sts_ | static_cast<uint32_t>(en_) << 16;
		break;
	case 1:
		// SLP_EN is write-only and reads 0.
		v = cnt_ & ~kSlpEn;
		break;
	case 2:
		v = timer();
		break;
	default:
		break; // the reset register reads 0
	}
	return static_cast<uint8_t>(v >> shift);
}

void AcpiPm::io_read(uint64_t addr, std::span<uint8_t> data)
{
	unsigned off = static_cast<unsigned>(addr - kBase);
	if (off / 4 == 2 && off % 4 == 0 && data.size() == 4) {
		// One clock read for the whole timer value, so it cannot tear.
		le_store(data, timer());
		return;
	}
	for (size_t i = 0; i < data.size(); i++)
		data[i] = off + i < kLen ? read_byte(static_cast<unsigned>(off + i)) : 0xff;
}

void AcpiPm::io_write(uint64_t addr, std::span<const uint8_t> data)
{
	unsigned off = static_cast<unsigned>(addr - kBase);
	bool cnt_written = false, reset = false;
	for (size_t i = 0; i < data.size() && off + i < kLen; i++) {
		unsigned o = static_cast<unsigned>(off + i);
		uint16_t b = data[i], shift = static_cast<uint16_t>(8 * (o % 2));
		switch (o) {
		case 0:
		case 1:
			// Write 1 to clear.
			sts_ &= static_cast<uint16_t>(~(b << shift));
			break;
		case 2:
		case 3:
			en_ = static_cast<uint16_t>((en_ & ~(0xff << shift)) | b << shift);
			break;
		case 4:
		case 5:
			cnt_ = static_cast<uint16_t>((cnt_ & ~(0xff << shift)) | b << shift);
			cnt_written = true;
			break;
		case 12:
			reset = b == kResetValue;
			break;
		default:
			break; // the timer is read-only
		}
	}
	// SCI_EN stays set: ACPI mode cannot be left without an SMI_CMD.
	cnt_ |= kSciEn;
	update_sci();
	if (cnt_written && (cnt_ & kSlpEn)) {
		cnt_ &= static_cast<uint16_t>(~kSlpEn);
		// Only S5 is in the DSDT; a sleep type the guest had no way to
		// learn is ignored, as a chipset without that state would.
		if (((cnt_ >> 10) & 7) == kSlpTypS5)
			power_off_();
	}
	if (reset)
		reset_();
}

bool AcpiPm::press_power_button()
{
	sts_ |= kPwrBtn;
	update_sci();
	return en_ & kPwrBtn;
}

void AcpiPm::update_sci()
{
	// The SCI is a level: it stays up while an enabled status bit is set.
	sci_.set((sts_ & en_ & (kTmr | kPwrBtn)) != 0);
}

} // namespace ringvm
