// SPDX-License-Identifier: GPL-2.0
/*
 * APIC virtualization (enable_apicv, Documentation/irqchip.rst): with it
 * on, a guest's CR8 reads and writes cause no exits and an interrupt held
 * back by its TPR arrives when it lowers CR8; with it off (the module
 * loaded with enable_apicv=0) every CR8 access exits and the interrupt
 * arrives all the same.  RINGVM_CAP_APICV and the parameter say which.
 * Also: a vector pending while the guest runs with IF clear waits for its
 * STI however many host interrupts come meanwhile.  Exits are counted
 * through the ringvm netlink family.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define COUNT		0x20000
#define HANDLER		0x11000
#define PD_HIGH		0x6000		/* maps 3-4 GiB: the APIC page */
#define NLOOP		1000		/* each round: one CR8 write, one read */
#define EXIT_EXTERNAL	1
#define EXIT_CR_ACCESS	28
#define EXIT_TPR_BELOW	43

/* Count, EOI at the local APIC, return. */
RV_GUEST_CODE(h_count, 64,
	"push %rax\n incl 0x20000\n mov $0xfee000b0, %eax\n movl $0, (%rax)\n"
	"pop %rax\n iretq\n");
/*
 * Enable the APIC, CR8 = 15, a self-IPI at vector 0x40 (class 4: held back
 * by the TPR), STI, then NLOOP rounds of CR8 writes and reads that keep it
 * held back; report the count (OUT 0x10), lower CR8 to 0 and report again
 * (OUT 0x11): the interrupt must have come in between.
 */
RV_GUEST_CODE(g_cr8, 64,
	"mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n"
	"mov $15, %eax\n mov %rax, %cr8\n"
	"movl $0, 0x310(%rbx)\n movl $0x40040, 0x300(%rbx)\n sti\n"
	"mov $1000, %ecx\n"
	"1: mov $15, %eax\n mov %rax, %cr8\n mov %cr8, %rdx\n dec %ecx\n jnz 1b\n"
	"mov 0x20000, %eax\n out %eax, $0x10\n"
	"xor %eax, %eax\n mov %rax, %cr8\n nop\n"
	"mov 0x20000, %eax\n out %eax, $0x11\n"
	"2: jmp 2b\n");

/*
 * IF clear; the LAPIC timer periodic at vector 0x40 every 2 ms (a host
 * hrtimer each time; not the model's 200 us floor, which a slow host, a
 * debug kernel in Bochs, cannot keep up with: every entry would then find
 * the timer expired and the spin would crawl one round per exit); wait until its
 * vector is pending (IRR, 0x220 bit 0); report (OUT 0x13), then a million
 * rounds (about 20 ms of Bochs time, at 200 MIPS) of STI; CLI while the
 * timer keeps firing: no interrupt is taken between the two (STI blocks
 * them for one instruction), but under Bochs the pair is what lets host
 * interrupts reach a guest entered with IF clear (Documentation/irqchip.rst).
 * Then report the count (OUT 0x10), mask the timer, STI, report again
 * (OUT 0x11).
 */
RV_GUEST_CODE(g_if_clear, 64,
	"mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n movl $0xb, 0x3e0(%rbx)\n cli\n"
	"movl $0x20040, 0x320(%rbx)\n movl $2000000, 0x380(%rbx)\n"
	"1: testl $1, 0x220(%rbx)\n jz 1b\n out %al, $0x13\n"
	"mov $1000000, %ecx\n 1: sti\n cli\n dec %ecx\n jnz 1b\n"
	"mov 0x20000, %eax\n out %eax, $0x10\n"
	"movl $0x10040, 0x320(%rbx)\n sti\n nop\n cli\n"
	"mov 0x20000, %eax\n out %eax, $0x11\n"
	"2: jmp 2b\n");

/*
 * Vector 0x50 (an MSI the test sends at OUT 0x13) in service while the
 * timer's 0x40 waits behind it: its handler starts the periodic timer,
 * waits for 0x40 in IRR, reports with IF set (OUT 0x14: the next entry
 * finds 0x40 held back by 0x50 in service), then clears IF, EOIs 0x50
 * (which lets 0x40 in at once on Bochs, whatever IF is) and spins with
 * IF clear as g_if_clear does; it reports 0x40's count (OUT 0x10), masks
 * the timer and returns, with IF set, into the main code, which waits for
 * 0x40 and reports again (OUT 0x11).
 */
#define HANDLER_SVI	0x11100
RV_GUEST_CODE(h_svi, 64,
	"movl $0x20040, 0x320(%rbx)\n movl $2000000, 0x380(%rbx)\n"
	"1: testl $1, 0x220(%rbx)\n jz 1b\n sti\n out %al, $0x14\n"
	"cli\n movl $0, 0xb0(%rbx)\n"
	"mov $1000000, %ecx\n 1: sti\n cli\n dec %ecx\n jnz 1b\n"
	"mov 0x20000, %eax\n out %eax, $0x10\n"
	"movl $0x10040, 0x320(%rbx)\n iretq\n");
RV_GUEST_CODE(g_svi, 64,
	"mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n movl $0xb, 0x3e0(%rbx)\n"
	"sti\n out %al, $0x13\n"
	"1: cmpl $0, 0x20000\n je 1b\n cli\n"
	"mov 0x20000, %eax\n out %eax, $0x11\n"
	"2: jmp 2b\n");

FIXTURE(apicv) {
	struct rv_vm vm;
	bool loaded;
};

FIXTURE_SETUP(apicv)
{
	self->loaded = false;
}

FIXTURE_TEARDOWN(apicv)
{
	if (!self->loaded)
		return;
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/* 'Y' or 'N' from /sys/module/ringvm/parameters/enable_apicv, or 0. */
static char param(void)
{
	char c = 0;
	FILE *f = fopen("/sys/module/ringvm/parameters/enable_apicv", "r");

	if (!f)
		return 0;
	if (fread(&c, 1, 1, f) != 1)
		c = 0;
	fclose(f);
	return c;
}

static int run_to_out(struct rv_vm *vm, uint16_t port)
{
	int r = rv_run(vm, 0);

	if (r != RINGVM_EXIT_IO || vm->run[0]->io.port != port) {
		fprintf(stderr, "# exit %d, port 0x%x, wanted OUT 0x%x\n", r,
			r == RINGVM_EXIT_IO ? vm->run[0]->io.port : 0, port);
		return -1;
	}
	return 0;
}

static uint32_t out_value(struct rv_vm *vm)
{
	return *(uint32_t *)rv_pio_data(vm, 0);
}

/*
 * Load ringvm with @params, check what it reports, and make a VM with an
 * in-kernel irqchip that runs the guest code at @start.
 */
static void load_vm(struct __test_metadata *_metadata, FIXTURE_DATA(apicv) *self,
		    const char *params, long want_cap, const unsigned char *start,
		    const unsigned char *end)
{
	uint64_t *pdpt, *pd;
	int r, k, sys;

	ASSERT_EQ(0, rv_load_module_params(rv_moddir(), "ringvm", params));
	self->loaded = true;
	EXPECT_EQ(want_cap ? 'Y' : 'N', param());
	sys = rv_open_sys();
	ASSERT_LE(0, sys);
	EXPECT_EQ(want_cap, ioctl(sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_APICV));
	close(sys);

	r = rv_vm_init(&self->vm, 0);
	if (r)
		TH_LOG("%s failed: %s", self->vm.failed, strerror(-r));
	ASSERT_EQ(0, r);
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	self->vm.vcpu[0] = ioctl(self->vm.fd, RINGVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vm.vcpu[0]);
	self->vm.run[0] = mmap(NULL, self->vm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			       self->vm.vcpu[0], 0);
	ASSERT_NE(MAP_FAILED, self->vm.run[0]);
	rv_load(&self->vm, HANDLER, h_count_start, h_count_end);
	rv_idt_gate(&self->vm, 0x40, HANDLER);
	rv_load(&self->vm, RV_CODE, start, end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	pdpt = (uint64_t *)(self->vm.mem + RV_PDPT);
	pd = (uint64_t *)(self->vm.mem + PD_HIGH);
	pdpt[3] = PD_HIGH | 3;
	for (k = 0; k < 512; k++)	/* uncached: PCD | PWT */
		pd[k] = (3ull << 30) + ((uint64_t)k << 21) + 0x9b;
}

/* g_cr8 with ringvm loaded with @params; @stats gets the VM's exit counts. */
static void load_and_run(struct __test_metadata *_metadata, FIXTURE_DATA(apicv) *self,
			 const char *params, long want_cap, struct rv_vm_stats *stats)
{
	load_vm(_metadata, self, params, want_cap, g_cr8_start, g_cr8_end);
	ASSERT_EQ(0, run_to_out(&self->vm, 0x10));
	EXPECT_EQ(0, out_value(&self->vm)) TH_LOG("TPR 15 held vector 0x40 back");
	ASSERT_EQ(0, run_to_out(&self->vm, 0x11));
	EXPECT_EQ(1, out_value(&self->vm)) TH_LOG("CR8 = 0 let it in, once");
	ASSERT_LE(1, rv_genl_dump(getpid(), stats));
	ASSERT_TRUE(stats->found);
}

TEST_F(apicv, on_cr8_runs_without_exits)
{
	struct rv_vm_stats s;

	load_and_run(_metadata, self, "enable_apicv=1", 1, &s);
	EXPECT_EQ(0, s.exits[EXIT_CR_ACCESS]) TH_LOG("CR8 accesses exited");
	/* Without virtual-interrupt delivery, lowering CR8 exits once. */
	EXPECT_GE(1, s.exits[EXIT_TPR_BELOW]);
}

TEST_F(apicv, off_every_cr8_access_exits)
{
	struct rv_vm_stats s;

	load_and_run(_metadata, self, "enable_apicv=0", 0, &s);
	EXPECT_LE(2 * NLOOP + 2, s.exits[EXIT_CR_ACCESS]);
	EXPECT_EQ(0, s.exits[EXIT_TPR_BELOW]);
}

/*
 * From the guest's report that vector 0x40 is pending with IF clear: its
 * spin must end with 0x40's handler not run (OUT 0x10), with at least two
 * host interrupts during it (external-interrupt exits: without any the
 * test would prove nothing), and 0x40 must arrive once when IF is set
 * again (OUT 0x11).
 */
static void check_spin(struct __test_metadata *_metadata, struct rv_vm *vm)
{
	struct rv_vm_stats before, after;

	ASSERT_LE(1, rv_genl_dump(getpid(), &before));
	ASSERT_EQ(0, run_to_out(vm, 0x10));
	EXPECT_EQ(0, out_value(vm)) TH_LOG("0x40's handler ran with IF clear");
	ASSERT_LE(1, rv_genl_dump(getpid(), &after));
	EXPECT_LE(2, after.exits[EXIT_EXTERNAL] - before.exits[EXIT_EXTERNAL])
		TH_LOG("host interrupts while the guest spun with IF clear");
	ASSERT_EQ(0, run_to_out(vm, 0x11));
	EXPECT_EQ(1, out_value(vm)) TH_LOG("IF set let it in, once");
}

/*
 * A CPU delivers a virtual interrupt only when the guest can take one.
 * Bochs 2.7 delivers it when a host interrupt arrives, whatever the
 * guest's IF (Documentation/irqchip.rst); ringvm then enters with RVI 0
 * while IF is clear.  The host's interrupts during the spin are counted
 * (external-interrupt exits): without any the test would prove nothing.
 */
TEST_F(apicv, on_vector_waits_for_sti_while_host_interrupts_come)
{
	load_vm(_metadata, self, "enable_apicv=1", 1, g_if_clear_start, g_if_clear_end);
	ASSERT_EQ(0, run_to_out(&self->vm, 0x13)) TH_LOG("vector 0x40 pending, IF clear");
	check_spin(_metadata, &self->vm);
}

/*
 * The vector in service holds the pending one back until its EOI, which
 * the guest does with IF clear: the pending one must still wait for the
 * guest's IF.  Under Bochs ringvm enters with RVI 0 there and makes that
 * EOI exit (gate_rvi()).
 */
TEST_F(apicv, on_vector_behind_one_in_service_waits_for_sti)
{
	struct ringvm_msi msi = { .address_lo = 0xfee00000, .data = 0x50 };

	load_vm(_metadata, self, "enable_apicv=1", 1, g_svi_start, g_svi_end);
	rv_load(&self->vm, HANDLER_SVI, h_svi_start, h_svi_end);
	rv_idt_gate(&self->vm, 0x50, HANDLER_SVI);
	ASSERT_EQ(0, run_to_out(&self->vm, 0x13));
	ASSERT_EQ(1, ioctl(self->vm.fd, RINGVM_SIGNAL_MSI, &msi)) TH_LOG("one APIC took it");
	ASSERT_EQ(0, run_to_out(&self->vm, 0x14)) TH_LOG("0x50 in service, 0x40 pending");
	check_spin(_metadata, &self->vm);
}

TEST_HARNESS_MAIN
