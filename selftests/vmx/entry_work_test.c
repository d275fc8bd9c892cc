// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 14: a guest WRMSR the CPU would refuse gets #GP instead
 * of reaching the host CPU (where it faulted and warned), and the work a
 * return to user mode would do (TIF_NOTIFY_RESUME: task work, rseq) is
 * not postponed for as long as the guest runs.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

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

RV_GUEST_CODE(g_spin, 64, "1: jmp 1b\n");

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

struct spinner {
	struct rv_vm *vm;
	atomic_int done, stop;
	int r, err;
	pid_t tid;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* One RUN of a guest that never exits to userspace by itself. */
static void *run_once(void *arg)
{
	struct spinner *s = arg;

	pin_to_cpu0();
	s->tid = syscall(SYS_gettid);
	s->r = ioctl(s->vm->vcpu[0], RINGVM_RUN, 0);
	s->err = errno;
	atomic_store(&s->done, 1);
	return NULL;
}

/* Shares CPU 0 with the vCPU thread, so the vCPU thread gets preempted. */
static void *compete(void *arg)
{
	struct spinner *s = arg;

	pin_to_cpu0();
	while (!atomic_load(&s->stop))
		;
	return NULL;
}

/*
 * A vCPU thread with rseq registered (glibc does it for every thread) is
 * preempted by another thread on its CPU: the kernel sets
 * TIF_NOTIFY_RESUME to refresh the thread's rseq area on the way back to
 * user mode.  RUN must take that way (returning -EINTR) rather than keep
 * the guest spinning until a signal comes.
 */
TEST_F(entry, notify_resume_ends_run)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct spinner s = { .vm = &self->vm };
	pthread_t tr, tc;
	int i;

	ASSERT_LT(0, (int)__rseq_size) {
		TH_LOG("glibc did not register rseq: the trigger needs it");
	}
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	rv_load(&self->vm, RV_CODE, g_spin_start, g_spin_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, pthread_create(&tr, NULL, run_once, &s));
	ASSERT_EQ(0, pthread_create(&tc, NULL, compete, &s));
	/* Bounded: 2000 x 5 ms; the trigger needs only a time slice or two. */
	for (i = 0; i < 2000 && !atomic_load(&s.done); i++)
		usleep(5000);
	if (!atomic_load(&s.done))
		pthread_kill(tr, SIGUSR1);
	pthread_join(tr, NULL);
	atomic_store(&s.stop, 1);
	pthread_join(tc, NULL);
	EXPECT_EQ(-1, s.r);
	EXPECT_EQ(EINTR, s.err);
	EXPECT_EQ(RINGVM_EXIT_INTR, self->vm.run[0]->exit_reason);
	EXPECT_GT(2000, i) {
		TH_LOG("RUN returned only for the signal sent after %d ms", i * 5);
	}
}

TEST_HARNESS_MAIN
