// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 10: the guest's debug state is its own.  VM entry loads
 * the guest's DR7 (and DR0-3 while it arms one), so a guest breakpoint
 * fires in the guest; #DB exits so that the guest's DR6 says why (the CPU
 * leaves DR6 alone at a #DB that exits); the host's breakpoints are back
 * after the run.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define HANDLER_DB	0x11000
#define DR6_INIT	0xffff0ff0u
#define DR6_B0		0x1u
#define DR6_BS		0x4000u
#define DR6_BD		0x2000u

/*
 * #DB: report DR6, count, return with RF (an instruction breakpoint must
 * not fire again) and without TF (one step is enough), DR6 cleared as
 * handlers do.
 */
RV_GUEST_CODE(h_db, 64,
	"mov %dr6, %rax\n out %eax, $0xe9\n incl 0x20000\n"
	"btsq $16, 16(%rsp)\n btrq $8, 16(%rsp)\n"
	"mov $0xffff0ff0, %eax\n mov %rax, %dr6\n iretq\n");

/* An execute breakpoint (DR7.L0, RW0 = LEN0 = 0) on the instruction at 1. */
RV_GUEST_CODE(g_bp, 64,
	"lea 1f(%rip), %rax\n mov %rax, %dr0\n mov $0x401, %eax\n mov %rax, %dr7\n"
	"nop\n"
	"1: mov $0x77, %eax\n out %eax, $0xe9\n"
	"mov 0x20000, %eax\n out %eax, $0xe9\n hlt\n");

/* Single-step one NOP, then report DR6 as the handler left it. */
RV_GUEST_CODE(g_step, 64,
	"pushfq\n orq $0x100, (%rsp)\n popfq\n nop\n"
	"mov %dr6, %rax\n out %eax, $0xe9\n hlt\n");

/*
 * Single-step an MMIO write (no memory at 8 MiB: the VMM completes it):
 * report where the step should land first, then let the #DB handler
 * report DR6 and the RIP it interrupted (h_db_rip).
 */
RV_GUEST_CODE(g_step_mmio, 64,
	"lea 1f(%rip), %rax\n out %eax, $0xe9\n"
	"pushfq\n orq $0x100, (%rsp)\n popfq\n movl $0x5a, 0x800000\n"
	"1: nop\n nop\n hlt\n");
RV_GUEST_CODE(h_db_rip, 64,
	"mov %dr6, %rax\n out %eax, $0xe9\n mov (%rsp), %rax\n out %eax, $0xe9\n"
	"incl 0x20000\n btrq $8, 16(%rsp)\n mov $0xffff0ff0, %eax\n mov %rax, %dr6\n iretq\n");

/* #UD and #GP: count (at RV_DATA + 4 / + 8) and skip the 3-byte MOV DR. */
RV_GUEST_CODE(h_ud, 64, "incl 0x20004\n addq $3, (%rsp)\n iretq\n");
RV_GUEST_CODE(h_gp, 64, "incl 0x20008\n addq $3, 8(%rsp)\n add $8, %rsp\n iretq\n");

/*
 * The architectural rules of MOV DR: DR4 aliases DR6 while CR4.DE is
 * clear; DR7 with bit 32 set is #GP; with CR4.DE, DR5 is #UD; DR7.GD
 * turns the next MOV DR into a #DB with DR6.BD, delivered with GD clear.
 */
RV_GUEST_CODE(g_rules, 64,
	"mov %dr4, %rax\n out %eax, $0xe9\n"
	"mov $1, %eax\n shl $32, %rax\n or $0x400, %rax\n mov %rax, %dr7\n"
	"mov %cr4, %rax\n bts $3, %rax\n mov %rax, %cr4\n"
	"mov %dr5, %rax\n"
	"mov 0x20008, %eax\n out %eax, $0xe9\n mov 0x20004, %eax\n out %eax, $0xe9\n"
	"mov $0x2400, %eax\n mov %rax, %dr7\n"
	"mov %dr0, %rax\n"
	"mov %dr7, %rax\n out %eax, $0xe9\n hlt\n");

static uint32_t report(struct __test_metadata *_metadata, struct rv_vm *vm)
{
	uint32_t v = 0;

	EXPECT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	memcpy(&v, rv_pio_data(vm, 0), 4);
	return v;
}

/* A write breakpoint of this thread's on @addr, through perf. */
static int host_watch(volatile uint32_t *addr)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_W;
	a.bp_addr = (uintptr_t)addr;
	a.bp_len = HW_BREAKPOINT_LEN_4;
	a.sample_period = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(__NR_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static uint64_t hits(int fd)
{
	uint64_t n = ~0ull;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ull;
	return n;
}

FIXTURE(debug) {
	struct rv_vm vm;
};

FIXTURE_SETUP(debug)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
	rv_load(&self->vm, HANDLER_DB, h_db_start, h_db_end);
	rv_idt_gate(&self->vm, 1, HANDLER_DB);
}

FIXTURE_TEARDOWN(debug)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_F(debug, guest_execute_breakpoint_fires_host_breakpoint_survives)
{
	static volatile uint32_t host_var;
	int bp;

	bp = host_watch(&host_var);
	ASSERT_LE(0, bp) {
		TH_LOG("perf hw_breakpoint: %s", strerror(errno));
	}
	host_var = 1;
	ASSERT_EQ(1, hits(bp));

	rv_load(&self->vm, RV_CODE, g_bp_start, g_bp_end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	EXPECT_EQ(DR6_INIT | DR6_B0, report(_metadata, &self->vm)) {
		TH_LOG("the guest's #DB handler did not report first (0x77: never ran)");
	}
	EXPECT_EQ(0x77, report(_metadata, &self->vm));
	EXPECT_EQ(1, report(_metadata, &self->vm));	/* exactly one #DB */
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));

	/* The guest's DR0/DR7 were in the CPU; the host's breakpoint is back. */
	host_var = 2;
	EXPECT_EQ(2, hits(bp));
	close(bp);
}

TEST_F(debug, guest_single_step_sets_dr6_bs)
{
	rv_load(&self->vm, RV_CODE, g_step_start, g_step_end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	EXPECT_EQ(DR6_INIT | DR6_BS, report(_metadata, &self->vm));
	/* The handler's clear stuck: no stale BS for the next #DB. */
	EXPECT_EQ(DR6_INIT, report(_metadata, &self->vm));
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	EXPECT_EQ(1, *(uint32_t *)(self->vm.mem + RV_DATA));
}

/*
 * EFLAGS.TF over an instruction ringvm emulates (an MMIO write the VMM
 * completes): the #DB comes right after it, with DR6.BS, as the CPU would
 * give it.  Before, the step was lost and the trap came one instruction
 * later.
 */
TEST_F(debug, single_step_over_emulated_mmio)
{
	uint32_t target;

	rv_load(&self->vm, HANDLER_DB, h_db_rip_start, h_db_rip_end);
	rv_load(&self->vm, RV_CODE, g_step_mmio_start, g_step_mmio_end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	target = report(_metadata, &self->vm);
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	EXPECT_EQ(0x800000, self->vm.run[0]->mmio.phys_addr);
	EXPECT_EQ(DR6_INIT | DR6_BS, report(_metadata, &self->vm));
	EXPECT_EQ(target, report(_metadata, &self->vm)) TH_LOG("the #DB's RIP");
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	EXPECT_EQ(1, *(uint32_t *)(self->vm.mem + RV_DATA)) TH_LOG("exactly one #DB");
}

TEST_F(debug, mov_dr_follows_the_architecture)
{
	rv_load(&self->vm, 0x11100, h_ud_start, h_ud_end);
	rv_load(&self->vm, 0x11200, h_gp_start, h_gp_end);
	rv_idt_gate(&self->vm, 6, 0x11100);
	rv_idt_gate(&self->vm, 13, 0x11200);
	rv_load(&self->vm, RV_CODE, g_rules_start, g_rules_end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	EXPECT_EQ(DR6_INIT, report(_metadata, &self->vm));	/* DR4 is DR6 */
	EXPECT_EQ(1, report(_metadata, &self->vm));		/* one #GP */
	EXPECT_EQ(1, report(_metadata, &self->vm));		/* one #UD */
	EXPECT_EQ(DR6_INIT | DR6_BD, report(_metadata, &self->vm));	/* #DB handler */
	EXPECT_EQ(0x400, report(_metadata, &self->vm));	/* GD cleared */
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	EXPECT_EQ(1, *(uint32_t *)(self->vm.mem + RV_DATA));
}

TEST_HARNESS_MAIN
