// SPDX-License-Identifier: GPL-2.0
/*
 * Two vCPUs on the in-kernel irqchip, each on a thread of its own (issue 9,
 * stage 3): the AP is created waiting for INIT/SIPI and its RUN waits in
 * the kernel; the BSP's ICR starts it in real mode at the SIPI vector; the
 * AP, in x2APIC mode, sends the halted BSP a fixed IPI and an NMI, which
 * reach the BSP's IDT.  Also GET/SET_MP_STATE and CAP_MP_STATE.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define HANDLER_IPI	0x11000
#define HANDLER_NMI	0x11100
#define AP_CODE		0x8000		/* SIPI vector 8 */

RV_GUEST_CODE(h_ipi, 64,
	"push %rax\n incl 0x20000\n mov $0xfee000b0, %eax\n movl $0, (%rax)\n"
	"pop %rax\n iretq\n");
RV_GUEST_CODE(h_nmi, 64, "incl 0x20004\n iretq\n");

/* BSP: INIT and SIPI to APIC 1, then HLT until both the IPI and the NMI came. */
RV_GUEST_CODE(g_bsp, 64,
	"mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n"
	"movl $0x01000000, 0x310(%rbx)\n movl $0x4500, 0x300(%rbx)\n"
	"movl $0x01000000, 0x310(%rbx)\n movl $0x4608, 0x300(%rbx)\n"
	"out %al, $0x10\n sti\n"
	"1: hlt\n cmpl $0, 0x20000\n je 1b\n cmpl $0, 0x20004\n je 1b\n cli\n"
	"mov 0x20000, %eax\n out %eax, $0x12\n mov 0x20004, %eax\n out %eax, $0x14\n"
	"2: hlt\n jmp 2b\n");

/* AP, real mode at 0800:0000: x2APIC on, report, fixed IPI 0x40 and NMI to APIC 0. */
RV_GUEST_CODE(g_ap, 16,
	"mov $0x1b, %ecx\n rdmsr\n or $0xc00, %eax\n wrmsr\n"
	"mov $0x80f, %ecx\n mov $0x1ff, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov $0x1234, %ax\n out %ax, $0x11\n"
	"mov $0x830, %ecx\n xor %edx, %edx\n mov $0x4040, %eax\n wrmsr\n"
	"mov $0x830, %ecx\n xor %edx, %edx\n mov $0x4400, %eax\n wrmsr\n"
	"out %ax, $0x13\n cli\n"
	"1: hlt\n jmp 1b\n");

/* CPUID.1:ECX with x2APIC (bit 21). */
static struct {
	struct ringvm_cpuid hdr;
	struct ringvm_cpuid_entry e[1];
} x2apic_cpuid = { .hdr.nent = 1, .e[0] = { .function = 1, .ecx = 1u << 21 } };

struct ap {
	struct rv_vm *vm;
	int exits[4];		/* exit reasons, then the RUN that a signal ended */
	uint16_t ports[4];
	uint32_t first_out;
	int n;
	sem_t reported;		/* posted when the AP's last OUT (0x13) came */
};

static void on_signal(int sig)
{
}

/* RUN the AP until a signal ends a RUN (the last entry is then -EINTR). */
static void *ap_thread(void *arg)
{
	struct ap *ap = arg;
	int r;

	while (ap->n < 4) {
		r = rv_run(ap->vm, 1);
		ap->exits[ap->n] = r;
		if (r == RINGVM_EXIT_IO) {
			ap->ports[ap->n] = ap->vm->run[1]->io.port;
			if (ap->n == 0)
				ap->first_out = *(uint16_t *)rv_pio_data(ap->vm, 1);
		}
		ap->n++;
		if (r != RINGVM_EXIT_IO)
			break;
		if (ap->ports[ap->n - 1] == 0x13)
			sem_post(&ap->reported);
	}
	return NULL;
}

static int mp_state(struct rv_vm *vm, int i)
{
	struct ringvm_mp_state mp;

	if (ioctl(vm->vcpu[i], RINGVM_GET_MP_STATE, &mp))
		return -errno;
	return mp.mp_state;
}

TEST(init_sipi_ipi_nmi)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rv_vm vm;
	struct ap ap = { .vm = &vm };
	pthread_t t;
	int r;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = rv_vm_init(&vm, 0);
	if (r)
		TH_LOG("%s failed: %s", vm.failed, strerror(-r));
	ASSERT_EQ(0, r);
	EXPECT_EQ(1, ioctl(vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_MP_STATE));
	ASSERT_EQ(0, ioctl(vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, rv_add_vcpu(&vm, 0));
	ASSERT_EQ(0, rv_add_vcpu(&vm, 1));
	/* The AP turns x2APIC mode on: its CPUID must offer it (as on KVM). */
	ASSERT_EQ(0, ioctl(vm.vcpu[1], RINGVM_SET_CPUID, &x2apic_cpuid));
	EXPECT_EQ(RINGVM_MP_STATE_RUNNABLE, mp_state(&vm, 0));
	EXPECT_EQ(RINGVM_MP_STATE_UNINITIALIZED, mp_state(&vm, 1));

	rv_load(&vm, RV_CODE, g_bsp_start, g_bsp_end);
	rv_load(&vm, AP_CODE, g_ap_start, g_ap_end);
	rv_load(&vm, HANDLER_IPI, h_ipi_start, h_ipi_end);
	rv_load(&vm, HANDLER_NMI, h_nmi_start, h_nmi_end);
	rv_idt_gate(&vm, 0x40, HANDLER_IPI);
	rv_idt_gate(&vm, 2, HANDLER_NMI);
	ASSERT_EQ(0, rv_long_mode_idt(&vm, 0, RV_CODE));
	rv_mem_map_apic(vm.mem);

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, sem_init(&ap.reported, 0, 0));
	/* The AP's RUN waits in the kernel for the INIT and SIPI. */
	ASSERT_EQ(0, pthread_create(&t, NULL, ap_thread, &ap));

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	EXPECT_EQ(0x10, vm.run[0]->io.port);
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	EXPECT_EQ(0x12, vm.run[0]->io.port);
	EXPECT_EQ(1, *(uint32_t *)rv_pio_data(&vm, 0)) TH_LOG("fixed IPI from the AP");
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	EXPECT_EQ(0x14, vm.run[0]->io.port);
	EXPECT_EQ(1, *(uint32_t *)rv_pio_data(&vm, 0)) TH_LOG("NMI from the AP");

	/*
	 * After its last OUT the AP halts with IF clear: its RUN waits in the
	 * kernel until a signal.  immediate_exit covers a signal that lands
	 * before the RUN starts (KVM's recipe).
	 */
	ASSERT_EQ(0, sem_wait(&ap.reported));
	vm.run[1]->immediate_exit = 1;
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(3, ap.n);
	EXPECT_EQ(RINGVM_EXIT_IO, ap.exits[0]);
	EXPECT_EQ(0x11, ap.ports[0]);
	EXPECT_EQ(0x1234, ap.first_out) TH_LOG("the AP ran from the SIPI vector");
	EXPECT_EQ(RINGVM_EXIT_IO, ap.exits[1]);
	EXPECT_EQ(0x13, ap.ports[1]);
	EXPECT_EQ(-EINTR, ap.exits[2]);

	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST(mp_state_ioctls)
{
	struct ringvm_mp_state mp = { .mp_state = 5 };
	struct rv_vm vm;
	int r;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = rv_vm_init(&vm, 1);
	ASSERT_EQ(0, r);
	/* Without an irqchip every vCPU runs, and nothing else can be set. */
	EXPECT_EQ(RINGVM_MP_STATE_RUNNABLE, mp_state(&vm, 0));
	mp.mp_state = RINGVM_MP_STATE_HALTED;
	EXPECT_EQ(-1, ioctl(vm.vcpu[0], RINGVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	rv_vm_destroy(&vm);

	ASSERT_EQ(0, rv_vm_init(&vm, 0));
	ASSERT_EQ(0, ioctl(vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, rv_add_vcpu(&vm, 0));
	ASSERT_EQ(0, rv_add_vcpu(&vm, 1));
	mp.mp_state = 5;
	EXPECT_EQ(-1, ioctl(vm.vcpu[1], RINGVM_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	for (mp.mp_state = 0; mp.mp_state <= RINGVM_MP_STATE_HALTED; mp.mp_state++) {
		ASSERT_EQ(0, ioctl(vm.vcpu[1], RINGVM_SET_MP_STATE, &mp));
		EXPECT_EQ(mp.mp_state, mp_state(&vm, 1));
	}
	mp.mp_state = RINGVM_MP_STATE_SIPI_RECEIVED;
	ASSERT_EQ(0, ioctl(vm.vcpu[1], RINGVM_SET_MP_STATE, &mp));
	EXPECT_EQ(RINGVM_MP_STATE_INIT_RECEIVED, mp_state(&vm, 1));
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
