// SPDX-License-Identifier: GPL-2.0
// An Intel 82540EM (PCI 8086:100e), the NIC Linux's e1000 driver and most
// other guests know without extra drivers, behind a tap. BAR 0 is the
// 128 KiB register window; the I/O BAR of the real part is left out, since
// the e1000 driver reaches this MAC through MMIO only. INTx only.
//
// Frames move in the thread that touched the device: transmit on the
// guest's TDT write, receive in the event thread when the tap has a frame.
// Interrupts honour ITR: the line rises no sooner than ITR * 256 ns after
// it last rose; a cause that comes earlier waits for the device's deadline.
//
// A ring the guest sets up wrong (a descriptor or buffer outside guest RAM,
// a head or tail past the ring, a packet longer than the device takes)
// stops that direction until the driver rewrites its ring registers or
// resets the device, and sets Received Master Abort in the PCI status
// register, which is what a real part sees when its DMA goes nowhere.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devices/pci_bus.h"
#include "vmm/clock.h"
#include "vmm/guest_memory.h"

namespace ringvm {

constexpr uint32_t kE1000BarSize = 0x20000;
constexpr uint16_t kPciStatusRecvMasterAbort = 0x2000;

class E1000 final : public PciFunction, public TimedDevice {
public:
	// Frames go through @tap_fd (not owned; the Tap outlives the device).
	E1000(GuestMemory &mem, int tap_fd, uint64_t mac, Clock clock);

	PciConfig &config() override { return cfg_; }
	void bar_read(unsigned bar, uint64_t off, std::span<uint8_t> data) override;
	void bar_write(unsigned bar, uint64_t off, std::span<const uint8_t> data) override;
	void config_write(unsigned off, unsigned size, uint32_t v) override;
	void connect_intx(IrqLine line) override { intx_ = line; }

	std::optional<uint64_t> next_deadline() override;
	void expire(uint64_t now) override;

	// The tap has frames: move them into posted receive descriptors.
	void on_tap_readable();

	// Test and diagnostic visibility.
	uint64_t rx_dropped() const { return rx_dropped_; }
	uint64_t tx_dropped() const { return tx_dropped_; }
	// Why a direction stopped (empty while it runs).
	const std::string &rx_error() const { return rx_error_; }
	const std::string &tx_error() const { return tx_error_; }
	// Receive one frame as if from the tap.
	void receive(std::span<const uint8_t> frame);

private:
	struct Ring {
		uint64_t base;
		uint32_t count;
	};
	// The offload context the last context descriptor set.
	struct TxContext {
		uint8_t ipcss = 0, ipcso = 0, tucss = 0, tucso = 0, hdr_len = 0;
		uint16_t ipcse = 0, tucse = 0, mss = 0;
		uint8_t tucmd = 0;
		uint32_t paylen = 0;
	};

	uint32_t reg(uint32_t off) const { return regs_[off / 4]; }
	uint32_t &reg(uint32_t off) { return regs_[off / 4]; }
	uint32_t read_reg(uint32_t off);
	void write_reg(uint32_t off, uint32_t v);
	void reset();
	void write_eecd(uint32_t v);
	uint32_t read_eecd() const;
	void mdic(uint32_t v);

	void set_causes(uint32_t causes);
	void update_irq();

	Ring ring(uint32_t bal) const;
	bool accept(std::span<const uint8_t> frame) const;
	size_t rx_buffer_size() const;
	void dma_error();
	void rx_fail(const std::string &why);
	void transmit();
	void tx_fail(const std::string &why);
	void send_packet();
	void send_tso();
	void emit(std::span<uint8_t> frame);
	void count(uint32_t pkts_reg, uint32_t octets_lo, uint64_t octets);

	GuestMemory &mem_;
	int tap_;
	Clock clock_;
	PciConfig cfg_;
	IrqLine intx_;
	std::vector<uint32_t> regs_;
	std::array<uint16_t, 64> eeprom_{}; // e1000::kEepromWords
	std::array<uint16_t, 32> phy_{};

	// Microwire state: bits shifted in since CS rose, and the bit being
	// shifted out once a read command is complete.
	unsigned ee_bits_in_ = 0;
	uint32_t ee_in_ = 0;
	bool ee_reading_ = false;
	unsigned ee_out_ = 0;

	uint64_t last_raise_ = 0;
	bool raised_once_ = false;
	std::optional<uint64_t> deadline_;

	bool rx_stopped_ = false, tx_stopped_ = false;
	std::string rx_error_, tx_error_;
	TxContext ctx_;
	std::vector<uint8_t> pkt_; // the packet being gathered from data descriptors
	uint8_t pkt_popts_ = 0;
	bool pkt_tse_ = false, pkt_started_ = false;
	uint64_t rx_dropped_ = 0, tx_dropped_ = 0;
	std::vector<uint8_t> rx_buf_;	// read from the tap
	std::vector<uint8_t> rx_frame_; // as the guest gets it: padded, with FCS
};

} // namespace ringvm
