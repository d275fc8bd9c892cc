// SPDX-License-Identifier: GPL-2.0
// The run loop against the fake backend: exit statuses, diagnostics,
// interrupt delivery from the PIT through the PICs, parked APs.
#include "board/machine.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>

#include "board/acpi.h"
#include "devices/acpi_pm.h"
#include "tests/fake_backend.h"
#include "tests/images.h"
#include "vmm/cpuid.h"
#include "vmm/error.h"

using namespace ringvm;
using namespace ringvm::test;
using Kind = VcpuExit::Kind;

namespace {

MachineConfig config(int cpus = 1)
{
	MachineConfig c;
	c.mem_size = 32u << 20;
	c.cpus = cpus;
	c.kernel = make_bzimage();
	c.console_fd = -1;
	c.debug_exit_port = 0xf4;
	return c;
}

void print(FakeVcpu &v, const std::string &s)
{
	for (char c : s)
		v.script.push_back(FakeVcpu::out(0x3f8, static_cast<uint8_t>(c)));
}

bool has(const std::string &s, const char *w)
{
	return s.find(w) != std::string::npos;
}

// The CPUID table vCPU @id was given names it by its own APIC ID (leaf 1
// EBX[31:24] and leaf 0xb EDX), so an empty table or one copied from vCPU 0
// cannot pass.
void expect_own_cpuid(const FakeVcpu &v, unsigned id)
{
	ASSERT_FALSE(v.cpuid.empty()) << "vCPU " << id << " got no CPUID table";
	bool leaf1 = false, leaf0b = false;
	for (const auto &e : v.cpuid) {
		if (e.function == 1) {
			leaf1 = true;
			EXPECT_EQ(id, e.ebx >> 24) << "vCPU " << id;
		}
		if (e.function == 0xb) {
			leaf0b = true;
			EXPECT_EQ(id, e.edx) << "vCPU " << id;
		}
	}
	EXPECT_TRUE(leaf1 && leaf0b) << "vCPU " << id;
}

VcpuExit system_event(FakeVcpu &v, uint32_t type)
{
	VcpuExit e = FakeVcpu::exit(Kind::SystemEvent)(v);
	e.reason = type;
	return e;
}

} // namespace

TEST(Machine, DebugExitEndsWithShiftedStatus)
{
	FakeBackend be([](FakeVcpu &v) { v.script.push_back(FakeVcpu::out(0xf4, 0x21)); });
	Machine m(config());
	EXPECT_EQ(0x43, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "debug-exit"));
	EXPECT_EQ("bzImage", m.format());
}

TEST(Machine, BootVcpuStartsInLongModeAtTheKernel)
{
	FakeBackend be;
	Machine m(config());
	m.run(be);
	FakeVcpu &v = *be.last_vm->vcpus.at(0);
	EXPECT_EQ(0x100200u, v.regs.rip);
	EXPECT_EQ(layout::kZeroPage, v.regs.rsi);
	EXPECT_EQ(layout::kCode64, v.sregs.cs.selector);
	EXPECT_EQ(1, v.sregs.cs.l);
	EXPECT_EQ(layout::kPml4, v.sregs.cr3);
	EXPECT_EQ(0x500u, v.sregs.efer); // LME | LMA
	EXPECT_TRUE(v.fpu_reset);
	// Memory is mapped, and the guest sees no APIC.
	ASSERT_EQ(1u, be.last_vm->slots.size());
	EXPECT_EQ(32u << 20, be.last_vm->slots[0].size);
	expect_own_cpuid(v, 0);
	for (const auto &e : v.cpuid) {
		EXPECT_LT(e.function, 0x40000000u);
		if (e.function == 1) {
			EXPECT_EQ(0u, e.edx & (1u << 9));
		}
	}
}

TEST(Machine, HaltWithInterruptsOffIsPowerOff)
{
	FakeBackend be([](FakeVcpu &v) {
		print(v, "bye\n");
		v.script.push_back(FakeVcpu::exit(Kind::Hlt, false));
	});
	Machine m(config());
	EXPECT_EQ(0, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "power off"));
}

TEST(Machine, KeyboardControllerResetIsCleanExit)
{
	FakeBackend be([](FakeVcpu &v) { v.script.push_back(FakeVcpu::out(0x64, 0xfe)); });
	Machine m(config());
	EXPECT_EQ(0, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "reset"));
}

TEST(Machine, TripleFaultGivesDiagnosticWithConsoleTail)
{
	FakeBackend be([](FakeVcpu &v) {
		print(v, "Booting...\nKernel panic - oops\n");
		v.script.push_back([](FakeVcpu &vc) {
			vc.regs.rip = 0xffffffff81000123ull;
			return FakeVcpu::exit(Kind::Shutdown)(vc);
		});
	});
	Machine m(config());
	EXPECT_EQ(kStatusGuestFailed, m.run(be));
	const auto &r = m.stop_reason();
	EXPECT_TRUE(has(r, "triple fault")) << r;
	EXPECT_TRUE(has(r, "rip 0xffffffff81000123")) << r;
	EXPECT_TRUE(has(r, "| Kernel panic - oops")) << r;
	EXPECT_TRUE(has(r, "cr3")) << r;
}

TEST(Machine, FailedEntryAndInternalErrorAreFailures)
{
	for (Kind k : {Kind::FailEntry, Kind::InternalError, Kind::Unknown}) {
		FakeBackend be([k](FakeVcpu &v) { v.script.push_back(FakeVcpu::exit(k)); });
		Machine m(config());
		EXPECT_EQ(kStatusGuestFailed, m.run(be)) << exit_kind_name(k);
		EXPECT_TRUE(has(m.stop_reason(), "last console lines")) << m.stop_reason();
	}
}

TEST(Machine, SystemEventShutdownIsClean)
{
	// 1: shutdown, 2: reset. The script's end is itself a clean stop (HLT
	// with IF=0), so the reason is what shows the event was handled.
	for (uint32_t type : {1u, 2u}) {
		FakeBackend be([type](FakeVcpu &v) {
			v.script.push_back([type](FakeVcpu &vc) { return system_event(vc, type); });
		});
		Machine m(config());
		EXPECT_EQ(0, m.run(be)) << type;
		EXPECT_TRUE(has(m.stop_reason(), "requested a system event")) << m.stop_reason();
	}
}

TEST(Machine, OtherSystemEventIsAFailure)
{
	FakeBackend be([](FakeVcpu &v) {
		v.script.push_back([](FakeVcpu &vc) { return system_event(vc, 3); }); // crash
	});
	Machine m(config());
	EXPECT_EQ(kStatusGuestFailed, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "system event 3")) << m.stop_reason();
	EXPECT_TRUE(has(m.stop_reason(), "last console lines")) << m.stop_reason();
}

TEST(Machine, PitInterruptIsInjectedThroughThePics)
{
	// The guest sets the PICs up (vector base 0x20, auto-EOI, all masked),
	// programs PIT channel 0 (mode 2, 100 ticks), unmasks IRQ 0 and halts
	// with interrupts on. Timer ticks must wake it with vector 0x20.
	FakeBackend be([](FakeVcpu &v) {
		for (auto [port, val] : std::vector<std::pair<uint16_t, uint8_t>>{
			     {0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x03},
			     {0xa0, 0x11}, {0xa1, 0x28}, {0xa1, 0x02}, {0xa1, 0x03},
			     {0x21, 0xff}, {0xa1, 0xff},
			     {0x43, 0x34}, {0x40, 100}, {0x40, 0}, {0x21, 0xfe}})
			v.script.push_back(FakeVcpu::out(port, val));
		v.script.push_back(FakeVcpu::exit(Kind::Hlt, true));
		v.script.push_back([](FakeVcpu &vc) {
			bool ok = !vc.injected.empty();
			for (uint8_t vec : vc.injected)
				ok = ok && vec == 0x20;
			return FakeVcpu::out(0xf4, ok ? 0 : 1)(vc);
		});
	});
	Machine m(config());
	EXPECT_EQ(1, m.run(be)); // (0 << 1) | 1
	EXPECT_FALSE(be.last_vm->vcpus[0]->injected.empty());
}

namespace {

// A device on port 0x500 that a write arms 1 ms ahead: the machine must
// keep its deadline through the TimedDevice seam alone.
struct OneShot final : IoDevice, TimedDevice {
	explicit OneShot(Clock c) : clock(std::move(c)) {}
	void io_read(uint64_t, std::span<uint8_t> d) override { le_store(d, fired); }
	void io_write(uint64_t, std::span<const uint8_t>) override
	{
		deadline = clock() + 1000000;
		rearm();
	}
	std::optional<uint64_t> next_deadline() override { return deadline; }
	void expire(uint64_t now) override
	{
		if (deadline && now >= *deadline) {
			deadline.reset();
			fired = true;
		}
	}
	Clock clock;
	std::optional<uint64_t> deadline;
	std::atomic<bool> fired{false};
};

} // namespace

TEST(Machine, TimedDevicesReArmThemselves)
{
	OneShot dev(monotonic_ns);
	auto started = std::chrono::steady_clock::now();
	// Spin (Intr exits) until the device fired, for 5 s at most.
	FakeVcpu::Step wait = [&](FakeVcpu &vc) {
		if (dev.fired)
			return FakeVcpu::out(0xf4, 0)(vc);
		if (std::chrono::steady_clock::now() - started > std::chrono::seconds(5))
			return FakeVcpu::out(0xf4, 9)(vc);
		vc.script.push_front(wait);
		return FakeVcpu::exit(Kind::Intr)(vc);
	};
	FakeBackend be([&](FakeVcpu &v) {
		v.script.push_back(FakeVcpu::out(0x500, 1));
		v.script.push_back(wait);
	});
	Machine m(config());
	m.pio().add(0x500, 1, dev, "one-shot timer");
	m.add_timed(dev);
	EXPECT_EQ(1, m.run(be)); // (0 << 1) | 1: fired
	EXPECT_TRUE(dev.fired);
}

TEST(Machine, ConsoleInputReachesTheUartAndInterrupts)
{
	// What is typed on the console arrives in the UART's receiver and raises
	// IRQ 4: the guest halts until then and reads the byte. It is typed once
	// the guest has set the PICs and the UART up: typed earlier, the event
	// thread could raise the line while the PICs' initialisation still
	// discards edges, and the guest would wait for an edge that never comes.
	int p[2];
	ASSERT_EQ(0, ::pipe(p));
	FakeBackend be([&p](FakeVcpu &v) {
		for (auto [port, val] : std::vector<std::pair<uint16_t, uint8_t>>{
			     {0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x03},
			     {0xa0, 0x11}, {0xa1, 0x28}, {0xa1, 0x02}, {0xa1, 0x03},
			     {0xa1, 0xff}, {0x21, 0xef},	 // only IRQ 4
			     {0x3f9, 0x01}, {0x3fc, 0x08}})	 // RX interrupt, OUT2
			v.script.push_back(FakeVcpu::out(port, val));
		v.script.push_back([&p](FakeVcpu &vc) {
			bool typed = ::write(p[1], "h", 1) == 1;
			return FakeVcpu::exit(Kind::Hlt, typed)(vc); // IF=0 ends the VM
		});
		v.script.push_back(FakeVcpu::in(0x3f8));
		v.script.push_back([](FakeVcpu &vc) {
			bool ok = vc.last_in() == 'h' && !vc.injected.empty() && vc.injected[0] == 0x24;
			return FakeVcpu::out(0xf4, ok ? 0 : 1)(vc);
		});
	});
	MachineConfig c = config();
	c.console_input_fd = p[0];
	Machine m(std::move(c));
	EXPECT_EQ(1, m.run(be)); // (0 << 1) | 1
	::close(p[0]);
	::close(p[1]);
}

TEST(Machine, PastedConsoleInputReachesTheGuestWhole)
{
	// Far more than the UART's 16-byte FIFO typed at once, as a paste: what
	// does not fit waits in the VMM until the guest takes bytes, and every
	// byte arrives in order. The guest polls LSR.DR and reads RBR; it gives
	// up (status 3) if the bytes stop coming, as they did when the FIFO
	// overran.
	int p[2];
	ASSERT_EQ(0, ::pipe(p));
	std::string typed;
	for (int i = 0; i < 300; i++)
		typed += static_cast<char>('a' + i % 26);
	std::string got;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	FakeVcpu::Step poll_lsr, read_rbr;
	poll_lsr = [&](FakeVcpu &vc) {
		if (std::chrono::steady_clock::now() > deadline)
			return FakeVcpu::out(0xf4, 1)(vc);
		vc.script.push_front((vc.last_in() & 1) ? read_rbr : poll_lsr);
		return FakeVcpu::in((vc.last_in() & 1) ? 0x3f8 : 0x3fd)(vc);
	};
	read_rbr = [&](FakeVcpu &vc) {
		got += static_cast<char>(vc.last_in());
		if (got.size() == typed.size())
			return FakeVcpu::out(0xf4, got == typed ? 0 : 1)(vc);
		vc.script.push_front(poll_lsr);
		return FakeVcpu::in(0x3fd)(vc);
	};
	FakeBackend be([&](FakeVcpu &v) {
		v.script.push_back([&](FakeVcpu &vc) {
			if (::write(p[1], typed.data(), typed.size()) !=
			    static_cast<ssize_t>(typed.size()))
				return FakeVcpu::out(0xf4, 1)(vc);
			vc.script.push_front(poll_lsr);
			return FakeVcpu::in(0x3fd)(vc);
		});
	});
	MachineConfig c = config();
	c.console_input_fd = p[0];
	Machine m(std::move(c));
	EXPECT_EQ(1, m.run(be)) << "got " << got.size() << " bytes: " << got;
	EXPECT_EQ(typed, got);
	::close(p[0]);
	::close(p[1]);
}

TEST(Machine, CtrlAXOnTheConsoleEndsTheVmFromOutside)
{
	int p[2];
	ASSERT_EQ(0, ::pipe(p));
	FakeBackend be([&p](FakeVcpu &v) {
		v.script.push_back([&p](FakeVcpu &vc) {
			bool typed = ::write(p[1], "ls\x01x", 4) == 4;
			vc.regs.rip = typed ? 0x1000 : 0xbad;
			return FakeVcpu::exit(Kind::Hlt, true)(vc); // waits for an interrupt
		});
	});
	MachineConfig c = config();
	c.console_input_fd = p[0];
	Machine m(std::move(c));
	// No ACPI before the guest runs, nor ever with the userspace irqchip:
	// `ringvm stop` then ends the VM instead.
	EXPECT_FALSE(m.press_power_button());
	EXPECT_EQ(kStatusStopped, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "Ctrl-A x ended the VM")) << m.stop_reason();
	EXPECT_FALSE(m.press_power_button());
	::close(p[0]);
	::close(p[1]);
}

TEST(Machine, PendingInterruptWaitsForTheWindow)
{
	FakeBackend be([](FakeVcpu &v) {
		v.ready = false; // interrupts blocked (IF=0 or STI shadow)
		for (uint8_t b : {0x11, 0x20, 0x04, 0x01})
			v.script.push_back(FakeVcpu::out(b == 0x11 ? 0x20 : 0x21, b));
		v.script.push_back(FakeVcpu::out(0x21, 0x00));
		v.script.push_back(FakeVcpu::out(0x60, 0xee)); // keyboard echo: IRQ 1
		v.script.push_back([](FakeVcpu &vc) {
			// The loop must ask for an interrupt-window exit, not inject.
			uint8_t bad = !vc.window || !vc.injected.empty();
			vc.ready = true;
			if (bad)
				return FakeVcpu::out(0xf4, 5)(vc);
			return FakeVcpu::exit(Kind::IrqWindowOpen)(vc);
		});
		v.script.push_back([](FakeVcpu &vc) {
			uint8_t ok = vc.injected.size() == 1 && vc.injected[0] == 0x21;
			return FakeVcpu::out(0xf4, ok ? 0 : 7)(vc);
		});
	});
	Machine m(config());
	EXPECT_EQ(1, m.run(be));
}

TEST(Machine, ExceptionVectorsFromAnUnprogrammedPicAreDropped)
{
	FakeBackend be([](FakeVcpu &v) {
		v.script.push_back(FakeVcpu::out(0x60, 0xee)); // IRQ 1, PIC base still 0
		v.script.push_back(FakeVcpu::exit(Kind::IrqWindowOpen));
		v.script.push_back(FakeVcpu::out(0xf4, 0));
	});
	Machine m(config());
	EXPECT_EQ(1, m.run(be));
	EXPECT_TRUE(be.last_vm->vcpus[0]->injected.empty());
}

TEST(Machine, SeveralCpusNeedTheKernelIrqchip)
{
	FakeBackend be([](FakeVcpu &v) { v.script.push_back(FakeVcpu::out(0xf4, 2)); });
	Machine m(config(3));
	try {
		m.run(be);
		FAIL() << "3 vCPUs ran on the userspace PICs";
	} catch (const Error &e) {
		EXPECT_NE(std::string::npos, std::string(e.what()).find("--irqchip kernel"))
			<< e.what();
	}
	EXPECT_TRUE(be.last_vm->vcpus.empty());
}

TEST(Machine, KernelIrqchipStartsApsUninitializedAndPowersOffThroughS5)
{
	FakeBackend be([](FakeVcpu &v) {
		if (v.id() == 0) {
			v.script.push_back(FakeVcpu::out(AcpiPm::kPm1aCnt,
							 (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn, 2));
		}
	});
	be.irqchip = true;
	Machine m(config(2));
	EXPECT_EQ(0, m.run(be));
	EXPECT_NE(std::string::npos, m.stop_reason().find("ACPI S5")) << m.stop_reason();
	EXPECT_TRUE(m.kernel_irqchip());
	FakeVm &vm = *be.last_vm;
	EXPECT_TRUE(vm.irqchip_created);
	ASSERT_EQ(2u, vm.vcpus.size());
	EXPECT_FALSE(vm.vcpus[0]->mp_uninitialized);
	EXPECT_TRUE(vm.vcpus[1]->mp_uninitialized);
	// The PIT's IRQ 0 reaches I/O APIC pin 2, as the MADT's override says.
	bool pit_to_pin2 = false;
	for (const auto &r : vm.routes)
		pit_to_pin2 |= r.gsi == 0 && r.chip == kChipIoapic && r.pin == 2;
	EXPECT_TRUE(pit_to_pin2);
	// The APIC bit stays in CPUID.
	bool apic = false;
	for (const auto &e : vm.vcpus[1]->cpuid)
		apic |= e.function == 1 && (e.edx & (1u << 9));
	EXPECT_TRUE(apic);
	EXPECT_EQ(0, std::memcmp(m.memory().span(kAcpiBase, 8).data(), "RSD PTR ", 8));
}

// `ringvm stop` asks through the power button only a guest that listens
// to it; for any other the control socket ends the VM at once.
TEST(Machine, PowerButtonIsHeardOnlyOnceTheGuestEnablesIt)
{
	Machine *mp = nullptr;
	bool before = true, after = false;
	FakeBackend be([&](FakeVcpu &v) {
		v.script.push_back([&](FakeVcpu &vc) {
			before = mp->press_power_button();
			return FakeVcpu::out(AcpiPm::kPm1aEvt + 2, AcpiPm::kPwrBtn, 2)(vc);
		});
		v.script.push_back([&](FakeVcpu &vc) {
			after = mp->press_power_button();
			return FakeVcpu::out(AcpiPm::kPm1aCnt,
					     (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn, 2)(vc);
		});
	});
	be.irqchip = true;
	Machine m(config());
	mp = &m;
	EXPECT_EQ(0, m.run(be)) << m.stop_reason();
	EXPECT_FALSE(before);
	EXPECT_TRUE(after);
}

TEST(Machine, KernelIrqchipAskedForAndMissingNamesWhatIsMissing)
{
	FakeBackend be([](FakeVcpu &v) { v.script.push_back(FakeVcpu::out(0xf4, 2)); });
	MachineConfig c = config();
	c.irqchip = IrqchipMode::Kernel;
	Machine m(std::move(c));
	try {
		m.run(be);
		FAIL() << "--irqchip kernel ran without an irqchip";
	} catch (const Error &e) {
		EXPECT_NE(std::string::npos, std::string(e.what()).find("fake lacks FAKE_CAP_IRQCHIP"))
			<< e.what();
	}
}

TEST(Machine, AutoIrqchipFallsBackToUserAndSaysSoOnce)
{
	FakeBackend be([](FakeVcpu &v) { v.script.push_back(FakeVcpu::out(0xf4, 2)); });
	MachineConfig c = config();
	std::vector<std::string> notes;
	c.notice = [&](const std::string &m) { notes.push_back(m); };
	Machine m(std::move(c));
	EXPECT_EQ(5, m.run(be));
	EXPECT_FALSE(m.kernel_irqchip());
	ASSERT_EQ(1u, notes.size());
	EXPECT_NE(std::string::npos, notes[0].find("userspace PICs")) << notes[0];
	expect_own_cpuid(*be.last_vm->vcpus[0], 0);
}

TEST(Machine, UnclaimedPortsReadAllOnes)
{
	FakeBackend be([](FakeVcpu &v) {
		v.script.push_back(FakeVcpu::in(0x1234, 2));
		v.script.push_back([](FakeVcpu &vc) { return FakeVcpu::out(0xf4, vc.last_in() == 0xffff ? 0 : 9)(vc); });
	});
	Machine m(config());
	EXPECT_EQ(1, m.run(be));
}

TEST(Machine, TerminationSignalStopsAHungGuestWithADiagnostic)
{
	FakeBackend be([](FakeVcpu &v) {
		print(v, "stuck here\n");
		v.script.push_back([](FakeVcpu &vc) {
			// What `kill` does: the machine takes it from its signalfd.
			::kill(::getpid(), SIGTERM);
			vc.regs.rip = 0xabcdef;
			return FakeVcpu::exit(Kind::Hlt, true)(vc); // waits for an interrupt
		});
	});
	Machine m(config());
	EXPECT_EQ(kStatusStopped, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "told to stop (SIGTERM)")) << m.stop_reason();
	EXPECT_TRUE(has(m.stop_reason(), "rip 0x0000000000abcdef")) << m.stop_reason();
	EXPECT_TRUE(has(m.stop_reason(), "| stuck here")) << m.stop_reason();
}

// A device's event work that fails (here: throws, as a refused ioctl does)
// ends the VM with the reason, as a vCPU's failure would; it must not
// escape the event thread, which would abort the whole process.
TEST(Machine, FailedDeviceEventEndsTheVmWithTheReason)
{
	EventFd ev;
	FakeBackend be([&ev](FakeVcpu &v) {
		v.script.push_back([&ev](FakeVcpu &vc) {
			ev.signal();
			return FakeVcpu::exit(Kind::Hlt, true)(vc); // waits for an interrupt
		});
	});
	Machine m(config());
	m.watch_fd(ev.get(), [] { throw Error("cannot send an MSI (FAKE): no such thing"); });
	EXPECT_EQ(kStatusGuestFailed, m.run(be));
	EXPECT_TRUE(has(m.stop_reason(), "a device event failed: cannot send an MSI")) << m.stop_reason();
}

TEST(Machine, BadImageFailsBeforeAnyBackend)
{
	auto c = config();
	c.kernel.assign(100, 0);
	Machine m(std::move(c));
	EXPECT_THROW(m.load(), Error);
}

TEST(Machine, RejectsBadCpuCount)
{
	auto c = config(0);
	EXPECT_THROW(Machine m(std::move(c)), Error);
}

TEST(Cpuid, HidesApicAndHypervisorLeavesSetsApicId)
{
	std::vector<CpuidEntry> in = {{1, 0, 0, 0, 0x00ffffff, (1u << 21) | (1u << 24) | 1, (1u << 9) | 1},
				      {0x40000000, 0, 0, 0, 0, 0, 0},
				      {0x4000ffff, 0, 0, 0, 0, 0, 0},
				      {0xb, 0, kCpuidSignificantIndex, 0, 0, 0, 0},
				      {7, 0, kCpuidSignificantIndex, 0, 1, 2, 3},
				      {0x80000008, 0, 0, 0x4027, 0, 0, 0},
				      {0x80000008, 1, 0, 0x3927, 0, 0, 0}};
	auto out = guest_cpuid(in, 3);
	ASSERT_EQ(5u, out.size());
	EXPECT_EQ(0x3027u, out[3].eax);
	EXPECT_EQ(0x3927u, out[4].eax);
	EXPECT_EQ(1u, out[0].ecx);
	EXPECT_EQ(1u, out[0].edx);
	EXPECT_EQ(0x03ffffffu, out[0].ebx);
	EXPECT_EQ(3u, out[1].edx);
	EXPECT_EQ(2u, out[2].ecx);
}
