// SPDX-License-Identifier: GPL-2.0
#include "devices/uart8250.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/io_helpers.h"

using namespace ringvm;
using ringvm::test::in;
using ringvm::test::IrqRecorder;
using ringvm::test::out;

namespace {

struct UartFixture : ::testing::Test {
	IrqRecorder irq;
	std::string sent;
	Uart8250 uart{IrqLine(&irq, 4), [this](uint8_t b) { sent.push_back(static_cast<char>(b)); }};
	static constexpr uint16_t B = 0x3f8;
};

} // namespace

TEST_F(UartFixture, TransmitGoesToSink)
{
	for (char c : std::string("hi\n"))
		out(uart, B, static_cast<uint8_t>(c));
	EXPECT_EQ("hi\n", sent);
	EXPECT_EQ(0x60u, in(uart, B + 5) & 0x60); // THRE and TEMT
}

TEST_F(UartFixture, DivisorLatchDoesNotTransmit)
{
	out(uart, B + 3, 0x80);
	out(uart, B, 0x01);
	out(uart, B + 1, 0x02);
	EXPECT_EQ(0x01u, in(uart, B));
	EXPECT_EQ(0x02u, in(uart, B + 1));
	out(uart, B + 3, 0x03);
	EXPECT_EQ("", sent);
	EXPECT_EQ(0x03u, in(uart, B + 3));
}

TEST_F(UartFixture, ScratchRegister)
{
	out(uart, B + 7, 0xa5);
	EXPECT_EQ(0xa5u, in(uart, B + 7));
}

TEST_F(UartFixture, FifoShowsIn16550AIir)
{
	EXPECT_EQ(0x01u, in(uart, B + 2));
	out(uart, B + 2, 0x07);
	EXPECT_EQ(0xc1u, in(uart, B + 2));
}

TEST_F(UartFixture, LoopbackMirrorsModemLines)
{
	// Linux autoconfig: MCR = LOOP | OUT2 | RTS must read MSR 0x90.
	out(uart, B + 4, 0x1a);
	EXPECT_EQ(0x90u, in(uart, B + 6) & 0xf0);
	out(uart, B + 4, 0x1f);
	EXPECT_EQ(0xf0u, in(uart, B + 6) & 0xf0);
	// Bytes sent in loopback come back on the receiver, not the sink.
	out(uart, B, 'x');
	EXPECT_EQ("", sent);
	EXPECT_EQ(0x01u, in(uart, B + 5) & 0x01);
	EXPECT_EQ(static_cast<uint32_t>('x'), in(uart, B));
}

TEST_F(UartFixture, ThreInterruptOnEnableAndAfterEachByte)
{
	out(uart, B + 1, 0x02);
	EXPECT_TRUE(irq.levels[4]);
	EXPECT_EQ(0x02u, in(uart, B + 2) & 0x0f);
	// Reading IIR acknowledged it.
	EXPECT_FALSE(irq.levels[4]);
	EXPECT_EQ(0x01u, in(uart, B + 2) & 0x0f);
	int rises = irq.rises[4];
	out(uart, B, 'a');
	EXPECT_TRUE(irq.levels[4]);
	out(uart, B, 'b'); // each byte is a new edge, even with THRE pending
	EXPECT_EQ(rises + 2, irq.rises[4]);
	out(uart, B + 1, 0x00);
	EXPECT_FALSE(irq.levels[4]);
}

TEST_F(UartFixture, ReceiveRaisesDataInterruptAndOverruns)
{
	out(uart, B + 1, 0x05);
	EXPECT_TRUE(uart.push_input('k'));
	EXPECT_TRUE(irq.levels[4]);
	EXPECT_EQ(0x04u, in(uart, B + 2) & 0x0f);
	EXPECT_EQ(static_cast<uint32_t>('k'), in(uart, B));
	EXPECT_FALSE(irq.levels[4]);
	for (int i = 0; i < 16; i++)
		EXPECT_TRUE(uart.push_input('0' + i));
	EXPECT_TRUE(uart.rx_full());
	EXPECT_FALSE(uart.push_input('!'));
	// FIFO reset drops the queue.
	out(uart, B + 2, 0x03);
	EXPECT_EQ(0x00u, in(uart, B + 5) & 0x01);
}

TEST_F(UartFixture, OverrunInLoopbackSetsLsrOe)
{
	out(uart, B + 4, 0x10);
	for (int i = 0; i < 17; i++)
		out(uart, B, 'z');
	EXPECT_EQ(0x02u, in(uart, B + 5) & 0x02);
	EXPECT_EQ(0x00u, in(uart, B + 5) & 0x02); // cleared by reading LSR
}
