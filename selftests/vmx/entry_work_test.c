// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 14: a guest WRMSR the CPU would refuse gets #GP instead
 * of reaching the host CPU (where it faulted and warned); and before each
 * entry the vCPU thread does the work a return to user mode would do
 * (task work: here the expiry of a CPU-time timer, which the kernel
 * handles in task work and only then signals).
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define HANDLER_GP	0x11100

/* #GP: count it and skip the 2-byte WRMSR. */
RV_GUEST_CODE(h_gp, 64, "incl 0x20000\n addq $2, 8(%rsp)\n add $8, %rsp\n iretq\n");

/*
 * SFMASK and TSC_AUX with bit 32 set, LSTAR non-canonical: three #GPs;
 * then a valid SFMASK, read back.  Reports the #GP count and the value.
 */
RV_GUEST_CODE(g_bad_wrmsr, 64,
	"mov $0xc0000084, %ecx\n mov $0x700, %eax\n mov $1, %edx\n wrmsr\n"
	"mov $0xc0000103, %ecx\n mov $1, %eax\n mov $1, %edx\n wrmsr\n"
	"mov $0xc0000082, %ecx\n xor %eax, %eax\n mov $0x00800000, %edx\n wrmsr\n"
	"mov $0xc0000084, %ecx\n mov $0x4700, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov 0x20000, %eax\n out %eax, $0xe9\n"
	"mov $0xc0000084, %ecx\n rdmsr\n out %eax, $0xe9\n hlt\n");

static uint32_t report(struct __test_metadata *_metadata, struct rv_vm *vm)
{
	uint32_t v = 0;

	EXPECT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	memcpy(&v, rv_pio_data(vm, 0), 4);
	return v;
}

FIXTURE(entry) {
	struct rv_vm vm;
};

FIXTURE_SETUP(entry)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(entry)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_F(entry, wrmsr_reserved_bits_gp_in_guest)
{
	int kmsg = rv_kmsg_open_tail();

	ASSERT_LE(0, kmsg);
	rv_load(&self->vm, HANDLER_GP, h_gp_start, h_gp_end);
	rv_idt_gate(&self->vm, 13, HANDLER_GP);
	rv_load(&self->vm, RV_CODE, g_bad_wrmsr_start, g_bad_wrmsr_end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	EXPECT_EQ(3, report(_metadata, &self->vm));
	EXPECT_EQ(0x4700, report(_metadata, &self->vm));
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	/* The host CPU never saw the bad value: no fixed-up MSR fault. */
	EXPECT_FALSE(rv_kmsg_find(kmsg, "unchecked MSR access"));
	close(kmsg);
}

/* Never exits on its own. */
RV_GUEST_CODE(g_spin, 64, "1: jmp 1b\n");

static volatile sig_atomic_t got_prof, got_alrm;

static void on_prof(int sig)
{
	got_prof = 1;
}

static void on_alrm(int sig)
{
	got_alrm = 1;
}

/*
 * ITIMER_PROF expires after 100 ms of the process's CPU time, all of it
 * spent in RINGVM_RUN.  The tick notices and queues task work; the work
 * sends SIGPROF.  Without the task work run before each entry, the signal
 * waits for a return to user mode that never comes, and only the
 * wall-clock alarm (the guard against hanging) ends the run.
 */
TEST_F(entry, cpu_time_timer_fires_while_guest_loops)
{
	struct sigaction sp = { .sa_handler = on_prof }, sa = { .sa_handler = on_alrm };
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };

	ASSERT_EQ(0, sigaction(SIGPROF, &sp, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	rv_load(&self->vm, RV_CODE, g_spin_start, g_spin_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, setitimer(ITIMER_PROF, &it, NULL));
	alarm(5);
	EXPECT_EQ(-EINTR, rv_run(&self->vm, 0));
	alarm(0);
	EXPECT_EQ(RINGVM_EXIT_INTR, self->vm.run[0]->exit_reason);
	EXPECT_TRUE(got_prof);
	EXPECT_FALSE(got_alrm) {
		TH_LOG("the CPU-time timer's task work never ran while the guest looped");
	}
}

/* The host side refuses what VM entry would: a non-canonical SYSENTER_EIP. */
TEST_F(entry, set_msrs_refuses_noncanonical_sysenter)
{
	struct {
		struct ringvm_msrs h;
		struct ringvm_msr_entry e[1];
	} m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e[0].index = 0x176;		/* IA32_SYSENTER_EIP */
	m.e[0].data = 0x0000800000000000ull;
	EXPECT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_MSRS, &m));
}

TEST_HARNESS_MAIN
