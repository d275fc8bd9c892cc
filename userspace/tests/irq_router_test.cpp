// SPDX-License-Identifier: GPL-2.0
#include "board/irq_router.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

using namespace ringvm;

namespace {

struct RecordingSink : IrqSink {
	std::vector<std::pair<unsigned, bool>> seen;
	void set_irq(unsigned line, bool level) override { seen.emplace_back(line, level); }
};

} // namespace

// The ACPI SCI and an e1000 in slot 3 both use IRQ 9: the SCI going low
// must not drop the NIC's level interrupt (a guest on the in-kernel
// irqchip then never saw its e1000 interrupts).
TEST(IrqRouter, SharedLineStaysHighWhileAnyDeviceHoldsIt)
{
	RecordingSink pic;
	IrqRouter router(pic);
	IrqLine sci(&router, 9), nic(&router, 9), other(&router, 10);

	nic.set(true);
	sci.set(true);
	sci.set(false);
	ASSERT_EQ((std::vector<std::pair<unsigned, bool>>{{9, true}}), pic.seen);
	other.set(true);
	nic.set(false);
	EXPECT_EQ((std::vector<std::pair<unsigned, bool>>{{9, true}, {10, true}, {9, false}}),
		  pic.seen);
}

TEST(IrqRouter, PulseOnAnIdleLineIsAnEdge)
{
	RecordingSink pic;
	IrqRouter router(pic);
	IrqLine pit(&router, 0);

	pit.pulse();
	EXPECT_EQ((std::vector<std::pair<unsigned, bool>>{{0, true}, {0, false}}), pic.seen);
}
