// SPDX-License-Identifier: GPL-2.0
// A backend for unit tests: vCPUs replay a script of exits and record what
// the run loop did to them (interrupts injected, window requests, state set).
#pragma once

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include "vmm/backend.h"

namespace ringvm::test {

class FakeVcpu final : public Vcpu {
public:
	using Step = std::function<VcpuExit(FakeVcpu &)>;
	explicit FakeVcpu(int id) : id_(id) {}

	VcpuExit run() override
	{
		std::lock_guard lk(mu_);
		runs++;
		if (immediate_exit_) {
			VcpuExit e;
			e.kind = VcpuExit::Kind::Intr;
			e.ready_for_interrupt = ready;
			e.if_flag = true;
			return e;
		}
		if (script.empty()) {
			// Out of script: halt with interrupts off, which ends the VM.
			VcpuExit e;
			e.kind = VcpuExit::Kind::Hlt;
			return e;
		}
		Step s = std::move(script.front());
		script.pop_front();
		return s(*this);
	}
	Regs get_regs() override { return regs; }
	void set_regs(const Regs &r) override { regs = r; }
	Sregs get_sregs() override { return sregs; }
	void set_sregs(const Sregs &s) override { sregs = s; }
	void set_cpuid(const std::vector<CpuidEntry> &e) override { cpuid = e; }
	void set_msrs(const std::vector<MsrEntry> &m) override { msrs = m; }
	void reset_fpu() override { fpu_reset = true; }
	void inject_interrupt(uint8_t v) override { injected.push_back(v); }
	void request_interrupt_window(bool on) override { window = on; }
	volatile uint8_t *immediate_exit() override { return &immediate_exit_; }
	void set_mp_state_uninitialized() override { mp_uninitialized = true; }
	bool mp_uninitialized = false;
	int id() const override { return id_; }

	// Builders for script steps.
	static Step out(uint16_t port, uint32_t value, uint8_t size = 1)
	{
		return [=](FakeVcpu &v) {
			VcpuExit e = v.io(port, size, true);
			std::memcpy(e.data, &value, size);
			return e;
		};
	}
	// An IN whose result the next step can check through last_in().
	static Step in(uint16_t port, uint8_t size = 1)
	{
		return [=](FakeVcpu &v) { return v.io(port, size, false); };
	}
	static Step exit(VcpuExit::Kind kind, bool if_flag = false)
	{
		return [=](FakeVcpu &v) {
			VcpuExit e;
			e.kind = kind;
			e.if_flag = if_flag;
			e.ready_for_interrupt = v.ready;
			return e;
		};
	}
	uint32_t last_in() const
	{
		uint32_t v = 0;
		std::memcpy(&v, io_data, 4);
		return v;
	}

	std::deque<Step> script;
	std::vector<uint8_t> injected;
	std::vector<CpuidEntry> cpuid;
	std::vector<MsrEntry> msrs;
	Regs regs;
	Sregs sregs;
	bool window = false, fpu_reset = false, ready = true;
	int runs = 0;
	uint8_t io_data[64] = {};

private:
	VcpuExit io(uint16_t port, uint8_t size, bool out)
	{
		VcpuExit e;
		e.kind = VcpuExit::Kind::Io;
		e.port = port;
		e.size = size;
		e.count = 1;
		e.io_out = out;
		e.data = io_data;
		e.if_flag = true;
		e.ready_for_interrupt = ready;
		std::memset(io_data, 0, sizeof(io_data));
		return e;
	}
	int id_;
	std::mutex mu_;
	volatile uint8_t immediate_exit_ = 0;
};

class FakeVm final : public Vm {
public:
	explicit FakeVm(std::function<void(FakeVcpu &)> setup) : setup_(std::move(setup)) {}
	void map_memory(uint32_t slot, uint64_t gpa, uint64_t size, void *) override
	{
		slots.push_back({slot, gpa, size});
	}
	bool maps_device_memory() const override { return device_memory; }
	bool device_memory = true;
	// The in-kernel irqchip, when a test turns it on.
	std::string irqchip_missing() const override
	{
		return irqchip ? "" : "FAKE_CAP_IRQCHIP";
	}
	void create_irqchip() override
	{
		ASSERT_TRUE(vcpus.empty()) << "irqchip created after a vCPU";
		irqchip_created = true;
	}
	void set_gsi_routing(std::span<const GsiRoute> r) override { routes.assign(r.begin(), r.end()); }
	void irq_line(uint32_t gsi, bool level) override { lines.push_back({gsi, level}); }
	struct Irqfd {
		uint32_t gsi;
		int fd, resample_fd;
	};
	void assign_irqfd(uint32_t gsi, int fd, int resample_fd) override
	{
		irqfds.push_back({gsi, fd, resample_fd});
	}
	void deassign_irqfd(uint32_t gsi, int fd) override
	{
		auto it = std::find_if(irqfds.begin(), irqfds.end(),
				       [&](const Irqfd &i) { return i.gsi == gsi && i.fd == fd; });
		ASSERT_NE(irqfds.end(), it) << "deassigning an irqfd that was not assigned";
		irqfds.erase(it);
	}
	void signal_msi(uint64_t address, uint32_t data) override { msis.push_back({address, data}); }
	std::vector<std::pair<uint64_t, uint32_t>> msis;
	std::vector<Irqfd> irqfds;
	bool irqchip = false, irqchip_created = false;
	std::vector<GsiRoute> routes;
	std::vector<std::pair<uint32_t, bool>> lines;
	bool set_ioeventfd(uint64_t gpa, uint32_t len, int fd, bool assign) override
	{
		if (assign)
			ioeventfds[gpa] = {len, fd};
		else
			ioeventfds.erase(gpa);
		return true;
	}
	std::map<uint64_t, std::pair<uint32_t, int>> ioeventfds; // gpa -> len, fd
	std::unique_ptr<Vcpu> create_vcpu(int id) override
	{
		auto v = std::make_unique<FakeVcpu>(id);
		vcpus.push_back(v.get());
		if (setup_)
			setup_(*v);
		return v;
	}
	std::vector<CpuidEntry> supported_cpuid() override
	{
		return {{0, 0, 0, 0xd, 0, 0, 0},
			{1, 0, 0, 0x50654, 0, (1u << 21) | (1u << 24) | 1, (1u << 9) | 1},
			{0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d},
			{0xb, 1, kCpuidSignificantIndex, 1, 1, 0x201, 0}};
	}
	struct Slot {
		uint32_t slot;
		uint64_t gpa, size;
	};
	std::vector<Slot> slots;
	std::vector<FakeVcpu *> vcpus;

private:
	std::function<void(FakeVcpu &)> setup_;
};

class FakeBackend final : public Backend {
public:
	explicit FakeBackend(std::function<void(FakeVcpu &)> setup = {}) : setup_(std::move(setup)) {}
	std::string name() const override { return "fake"; }
	std::unique_ptr<Vm> create_vm() override
	{
		auto vm = std::make_unique<FakeVm>(setup_);
		vm->device_memory = device_memory;
		vm->irqchip = irqchip;
		last_vm = vm.get();
		return vm;
	}
	FakeVm *last_vm = nullptr;
	bool device_memory = true; // what the VMs' maps_device_memory() says
	bool irqchip = false;	   // whether the VMs have an in-kernel irqchip

private:
	std::function<void(FakeVcpu &)> setup_;
};

} // namespace ringvm::test
