// SPDX-License-Identifier: GPL-2.0
/*
 * What the guest itself observes: exceptions injected for VMX instructions
 * and unknown MSRs reach its own handlers, MSRs round-trip from inside,
 * interrupts queued by the VMM are delivered when the guest enables them,
 * and a guest never reaches memory outside its slots.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define HANDLER_UD	0x11000
#define HANDLER_GP	0x11100
#define HANDLER_IRQ	0x11200
#define REPORT_PORT	0xe9

/* Each handler reports its vector on REPORT_PORT and stops. */
RV_GUEST_CODE(h_ud, 64, "mov $6, %al\n out %al, $0xe9\n hlt\n");
RV_GUEST_CODE(h_gp, 64, "mov $13, %al\n out %al, $0xe9\n hlt\n");
RV_GUEST_CODE(h_irq, 64, "mov $0x30, %al\n out %al, $0xe9\n hlt\n");

RV_GUEST_CODE(g_vmxon, 64, "mov $0x20000, %rax\n vmxon (%rax)\n mov $0xff, %al\n out %al, $0xe9\n");
RV_GUEST_CODE(g_vmcall, 64, "vmcall\n mov $0xff, %al\n out %al, $0xe9\n");
RV_GUEST_CODE(g_badmsr, 64, "mov $0xdeadbeef, %ecx\n rdmsr\n mov $0xff, %al\n out %al, $0xe9\n");
/* Write then read back LSTAR and PAT from inside; report equality. */
RV_GUEST_CODE(g_msr, 64,
	"mov $0xc0000082, %ecx\n mov $0x81234560, %eax\n mov $0xffffffff, %edx\n wrmsr\n"
	"xor %eax, %eax\n xor %edx, %edx\n rdmsr\n"
	"cmp $0x81234560, %eax\n jne 1f\n cmp $0xffffffff, %edx\n jne 1f\n"
	"mov $1, %al\n out %al, $0xe9\n hlt\n"
	"1: mov $0, %al\n out %al, $0xe9\n hlt\n");
RV_GUEST_CODE(g_sti, 64, "sti\n 1: nop\n jmp 1b\n");
RV_GUEST_CODE(g_cli_then_sti, 64,
	"cli\n mov $1, %al\n out %al, $0x80\n sti\n 1: nop\n jmp 1b\n");
/* Read the 8 bytes just past the end of the 4 MiB slot. */
RV_GUEST_CODE(g_past_slot, 64, "mov $0x400000, %rbx\n mov (%rbx), %rax\n hlt\n");
RV_GUEST_CODE(g_read_data, 64, "mov $0x200000, %rbx\n mov (%rbx), %rax\n hlt\n");
RV_GUEST_CODE(g_write_ro, 64, "mov $0x600000, %rbx\n movq $0x1122, (%rbx)\n hlt\n");
/* Three doorbell writes (1, 2, 3) to a page in no slot, as a virtio driver's notify. */
RV_GUEST_CODE(g_doorbell, 64,
	"mov $0x800000, %rbx\n movw $1, (%rbx)\n movw $2, (%rbx)\n movw $3, (%rbx)\n hlt\n");
/* Count to 100000 in guest memory at RBX, then report on port 0x70 + vCPU id in RSI. */
RV_GUEST_CODE(g_count, 64,
	"xor %eax, %eax\n 1: inc %eax\n mov %eax, (%rbx)\n cmp $100000, %eax\n jne 1b\n"
	"mov %esi, %edx\n add $0x70, %edx\n out %eax, %dx\n hlt\n");

FIXTURE(guest) {
	struct rv_vm vm;
};

FIXTURE_SETUP(guest)
{
	RV_FIXTURE_SETUP(&self->vm, 2);
}

FIXTURE_TEARDOWN(guest)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static void idt_gate(struct rv_vm *vm, int vector, uint64_t handler)
{
	uint32_t *g = (uint32_t *)(vm->mem + RV_IDT + vector * 16);

	g[0] = (handler & 0xffff) | (0x18 << 16);
	g[1] = (handler & 0xffff0000) | 0x8e00;	/* present, DPL 0, 64-bit interrupt gate */
	g[2] = handler >> 32;
	g[3] = 0;
}

/* Long mode with an IDT whose #UD, #GP and 0x30 gates report and stop. */
static int long_mode_with_idt(struct rv_vm *vm, int i, const unsigned char *s,
			      const unsigned char *e)
{
	struct ringvm_sregs sr;

	rv_load(vm, RV_CODE, s, e);
	rv_load(vm, HANDLER_UD, h_ud_start, h_ud_end);
	rv_load(vm, HANDLER_GP, h_gp_start, h_gp_end);
	rv_load(vm, HANDLER_IRQ, h_irq_start, h_irq_end);
	idt_gate(vm, 6, HANDLER_UD);
	idt_gate(vm, 13, HANDLER_GP);
	idt_gate(vm, 0x30, HANDLER_IRQ);
	if (rv_long_mode(vm, i, RV_CODE))
		return -1;
	if (ioctl(vm->vcpu[i], RINGVM_GET_SREGS, &sr))
		return -1;
	sr.idt.limit = 256 * 16 - 1;
	return ioctl(vm->vcpu[i], RINGVM_SET_SREGS, &sr);
}

static int reported(struct rv_vm *vm, int i)
{
	int r = rv_run(vm, i);

	if (r != RINGVM_EXIT_IO || vm->run[i]->io.port != REPORT_PORT)
		return -1000 - r;
	return *(uint8_t *)rv_pio_data(vm, i);
}

TEST_F(guest, vmxon_raises_ud)
{
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_vmxon_start, g_vmxon_end));
	EXPECT_EQ(6, reported(&self->vm, 0));
}

TEST_F(guest, vmcall_raises_ud)
{
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_vmcall_start, g_vmcall_end));
	EXPECT_EQ(6, reported(&self->vm, 0));
}

TEST_F(guest, unknown_msr_raises_gp)
{
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_badmsr_start, g_badmsr_end));
	EXPECT_EQ(13, reported(&self->vm, 0));
}

TEST_F(guest, msr_round_trip_inside_guest)
{
	struct {
		struct ringvm_msrs hdr;
		struct ringvm_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e[0].index = 0xc0000082 };

	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_msr_start, g_msr_end));
	EXPECT_EQ(1, reported(&self->vm, 0));
	ASSERT_EQ(1, ioctl(self->vm.vcpu[0], RINGVM_GET_MSRS, &m));
	EXPECT_EQ(0xffffffff81234560ull, m.e[0].data);
}

TEST_F(guest, interrupt_delivered_after_sti)
{
	struct ringvm_interrupt irq = { .irq = 0x30 };

	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_sti_start, g_sti_end));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	EXPECT_EQ(0x30, reported(&self->vm, 0));
}

TEST_F(guest, interrupt_window_exit)
{
	struct ringvm_run *run = self->vm.run[0];

	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_cli_then_sti_start, g_cli_then_sti_end));
	run->request_interrupt_window = 1;
	/* Interrupts are off until after the OUT: the window cannot open before it. */
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&self->vm, 0));
	EXPECT_EQ(0x80, run->io.port);
	EXPECT_EQ(0, run->if_flag);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);
	ASSERT_EQ(RINGVM_EXIT_IRQ_WINDOW_OPEN, rv_run(&self->vm, 0));
	EXPECT_EQ(1, run->if_flag);
	EXPECT_EQ(1, run->ready_for_interrupt_injection);
}

/* Outside the slots there is nothing but MMIO exits: never host memory. */
TEST_F(guest, read_past_slot_is_mmio)
{
	struct ringvm_regs regs;

	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_past_slot_start, g_past_slot_end));
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	EXPECT_EQ(0x400000, self->vm.run[0]->mmio.phys_addr);
	EXPECT_EQ(0, self->vm.run[0]->mmio.is_write);
	memcpy(self->vm.run[0]->mmio.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0x0807060504030201ull, regs.rax);
}

/* A deleted slot's pages leave the EPT: the guest cannot keep reading them. */
TEST_F(guest, deleted_slot_is_unreachable)
{
	uint8_t *extra = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ringvm_regs regs;

	ASSERT_NE(MAP_FAILED, extra);
	memset(self->vm.mem, 0, 0x200000);
	memcpy(extra, "SECRET!!", 8);
	ASSERT_EQ(0, rv_set_slot(&self->vm, 0, 0, 0, 0, self->vm.mem));
	ASSERT_EQ(0, rv_set_slot(&self->vm, 0, 0, 0, 0x200000, self->vm.mem));
	ASSERT_EQ(0, rv_set_slot(&self->vm, 1, 0, 0x200000, 1 << 21, extra));
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_read_data_start, g_read_data_end));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0, memcmp(&regs.rax, "SECRET!!", 8));

	/* Delete it and run the same read again: MMIO now, not the old page. */
	ASSERT_EQ(0, rv_set_slot(&self->vm, 1, 0, 0x200000, 0, extra));
	regs.rip = RV_CODE;
	regs.rax = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_REGS, &regs));
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	EXPECT_EQ(0x200000, self->vm.run[0]->mmio.phys_addr);
	munmap(extra, 1 << 21);
}

TEST_F(guest, readonly_slot_write_is_mmio)
{
	uint8_t *ro = mmap(NULL, 1 << 21, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t v = 0;

	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0xaa, 4096);
	ASSERT_EQ(0, rv_set_slot(&self->vm, 0, 0, 0, 0, self->vm.mem));
	ASSERT_EQ(0, rv_set_slot(&self->vm, 0, 0, 0, 0x600000 - 0x200000, self->vm.mem));
	ASSERT_EQ(0, rv_set_slot(&self->vm, 2, RINGVM_MEM_READONLY, 0x600000, 1 << 21, ro));
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_write_ro_start, g_write_ro_end));
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	EXPECT_EQ(0x600000, self->vm.run[0]->mmio.phys_addr);
	EXPECT_EQ(1, self->vm.run[0]->mmio.is_write);
	memcpy(&v, self->vm.run[0]->mmio.data, 8);
	EXPECT_EQ(0x1122, v);
	EXPECT_EQ(0xaa, ro[0]);
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	munmap(ro, 1 << 21);
}

static int ioeventfd(struct rv_vm *vm, uint64_t addr, uint32_t len, int fd, uint32_t flags,
		     uint64_t match)
{
	struct ringvm_ioeventfd a = {
		.datamatch = match, .addr = addr, .len = len, .fd = fd, .flags = flags,
	};

	return ioctl(vm->fd, RINGVM_IOEVENTFD, &a) ? -errno : 0;
}

static uint64_t eventfd_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* An ioeventfd takes the doorbell writes in the kernel: no MMIO exit at all. */
TEST_F(guest, ioeventfd_takes_mmio_writes_without_exit)
{
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	EXPECT_EQ(RINGVM_MAX_IOEVENTFDS,
		  ioctl(self->vm.sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_IOEVENTFD));
	ASSERT_EQ(0, ioeventfd(&self->vm, 0x800000, 2, efd, 0, 0));
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_doorbell_start, g_doorbell_end));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	EXPECT_EQ(3, eventfd_count(efd));
	/* Deassigned: the writes are MMIO exits to userspace again. */
	ASSERT_EQ(0, ioeventfd(&self->vm, 0x800000, 2, efd, RINGVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_doorbell_start, g_doorbell_end));
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	EXPECT_EQ(0x800000, self->vm.run[0]->mmio.phys_addr);
	EXPECT_EQ(0, eventfd_count(efd));
	close(efd);
}

TEST_F(guest, ioeventfd_datamatch_takes_only_its_value)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint16_t v = 0;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioeventfd(&self->vm, 0x800000, 2, efd, RINGVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_doorbell_start, g_doorbell_end));
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));
	memcpy(&v, self->vm.run[0]->mmio.data, 2);
	EXPECT_EQ(1, v);
	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(&self->vm, 0));	/* 2 was taken */
	memcpy(&v, self->vm.run[0]->mmio.data, 2);
	EXPECT_EQ(3, v);
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	EXPECT_EQ(1, eventfd_count(efd));
	close(efd);
}

TEST_F(guest, ioeventfd_bad_arguments)
{
	struct ringvm_ioeventfd a = { .addr = 0x800000, .len = 2 };
	int efd = eventfd(0, EFD_NONBLOCK), nul = open("/dev/null", O_RDWR);

	ASSERT_LE(0, efd);
	ASSERT_LE(0, nul);
	EXPECT_EQ(-EINVAL, ioeventfd(&self->vm, 0x800000, 3, efd, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(&self->vm, ~0ull, 2, efd, 0, 0));	/* wraps */
	EXPECT_EQ(-EINVAL, ioeventfd(&self->vm, 0x70, 1, efd, RINGVM_IOEVENTFD_FLAG_PIO, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(&self->vm, 0x800000, 2, efd, 1u << 7, 0));
	EXPECT_EQ(-EBADF, ioeventfd(&self->vm, 0x800000, 2, -1, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(&self->vm, 0x800000, 2, nul, 0, 0));	/* not an eventfd */
	EXPECT_EQ(-ENOENT, ioeventfd(&self->vm, 0x800000, 2, efd,
				     RINGVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	a.fd = efd;
	a.pad[5] = 1;
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_IOEVENTFD, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ioeventfd(&self->vm, 0x800000, 2, efd, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(&self->vm, 0x800000, 2, efd, 0, 0));
	/* The VM holds its own reference: with our fd closed the doorbell still rings in the kernel. */
	close(efd);
	close(nul);
	ASSERT_EQ(0, long_mode_with_idt(&self->vm, 0, g_doorbell_start, g_doorbell_end));
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
}

struct runner {
	struct rv_vm *vm;
	int id;
	int exit;
	uint32_t value;
};

static void *run_vcpu(void *arg)
{
	struct runner *r = arg;

	r->exit = rv_run(r->vm, r->id);
	if (r->exit == RINGVM_EXIT_IO)
		memcpy(&r->value, rv_pio_data(r->vm, r->id), 4);
	return NULL;
}

/* Two vCPUs of one VM on two threads, each counting in its own memory. */
TEST_F(guest, two_vcpus_two_threads)
{
	struct runner r[2] = { { &self->vm, 0 }, { &self->vm, 1 } };
	pthread_t t[2];
	int i;

	rv_load(&self->vm, RV_CODE, g_count_start, g_count_end);
	for (i = 0; i < 2; i++) {
		struct ringvm_regs regs;

		ASSERT_EQ(0, rv_long_mode(&self->vm, i, RV_CODE));
		ASSERT_EQ(0, ioctl(self->vm.vcpu[i], RINGVM_GET_REGS, &regs));
		regs.rbx = RV_DATA + i * 64;
		regs.rsi = i;
		regs.rsp = RV_STACK - i * 0x800;
		ASSERT_EQ(0, ioctl(self->vm.vcpu[i], RINGVM_SET_REGS, &regs));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_vcpu, &r[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(RINGVM_EXIT_IO, r[i].exit);
		EXPECT_EQ(0x70 + i, self->vm.run[i]->io.port);
		EXPECT_EQ(100000, r[i].value);
		EXPECT_EQ(100000, *(uint32_t *)(self->vm.mem + RV_DATA + i * 64));
	}
}

TEST_HARNESS_MAIN
