// SPDX-License-Identifier: GPL-2.0
/*
 * Exits that reach userspace, in real, protected and long mode: port I/O
 * (every size, IN and OUT, string OUT), MMIO (every size, reads and writes,
 * values checked), HLT, SHUTDOWN, and the CPUID table the VMM set.
 */
#include <signal.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

/* OUT of 1, 2 and 4 bytes, then IN of 1, 2 and 4 bytes echoed back with OUT. */
#define PIO_TEXT							\
	"mov $0x11, %al\n out %al, $0x10\n"				\
	"mov $0x2222, %ax\n out %ax, $0x12\n"				\
	"mov $0x44444444, %eax\n out %eax, $0x14\n"			\
	"in $0x20, %al\n out %al, $0x21\n"				\
	"in $0x22, %ax\n out %ax, $0x23\n"				\
	"in $0x24, %eax\n out %eax, $0x25\n"				\
	"hlt\n"

RV_GUEST_CODE(pio16, 16, PIO_TEXT);
RV_GUEST_CODE(pio32, 32, PIO_TEXT);
RV_GUEST_CODE(pio64, 64, PIO_TEXT);

/* REP OUTSB/OUTSW of a string laid out by the test, then HLT. */
RV_GUEST_CODE(outs64, 64,
	"mov $0x20000, %esi\n mov $5, %ecx\n mov $0x30, %dx\n cld\n rep outsb\n"
	"mov $0x20010, %esi\n mov $3, %ecx\n rep outsw\n hlt\n");

/* MMIO at 0x800000 (no slot): writes of 1/2/4/8 bytes then reads of 1/2/4/8. */
RV_GUEST_CODE(mmio64, 64,
	"mov $0x800000, %rbx\n"
	"movb $0x5a, (%rbx)\n"
	"movw $0x1234, 2(%rbx)\n"
	"movl $0xdeadbeef, 4(%rbx)\n"
	"mov $0x0123456789abcdef, %rax\n mov %rax, 8(%rbx)\n"
	"movb 16(%rbx), %cl\n"
	"movw 18(%rbx), %dx\n"
	"movl 20(%rbx), %esi\n"
	"mov 24(%rbx), %rdi\n"
	"movzbl 32(%rbx), %r8d\n"
	"movsbq 33(%rbx), %r9\n"
	"hlt\n");

RV_GUEST_CODE(mmio16, 16,
	"mov $0xb800, %ax\n mov %ax, %ds\n movw $0x0741, (0)\n mov (2), %bx\n hlt\n");

RV_GUEST_CODE(cpuid64, 64,
	"mov $0x4000aaaa, %eax\n xor %ecx, %ecx\n cpuid\n"
	"mov %eax, %r8d\n mov %ebx, %r9d\n mov %ecx, %r10d\n mov %edx, %r11d\n hlt\n");

RV_GUEST_CODE(tfault64, 64, "lidt (0x1800)\n ud2\n");	/* IDT limit 0: #UD -> #DF -> triple */

RV_GUEST_CODE(spin64, 64, "1: jmp 1b\n");

FIXTURE(vmx) {
	struct rv_vm vm;
};

FIXTURE_SETUP(vmx)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(vmx)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static void expect_out(struct __test_metadata *_metadata, struct rv_vm *vm,
		       uint16_t port, int size, uint32_t value)
{
	struct ringvm_run *run = vm->run[0];
	uint32_t got = 0;

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	ASSERT_EQ(RINGVM_EXIT_IO_OUT, run->io.direction);
	ASSERT_EQ(port, run->io.port);
	ASSERT_EQ(size, run->io.size);
	ASSERT_EQ(1, run->io.count);
	memcpy(&got, rv_pio_data(vm, 0), size);
	ASSERT_EQ(value, got);
}

static void answer_in(struct __test_metadata *_metadata, struct rv_vm *vm,
		      uint16_t port, int size, uint32_t value)
{
	struct ringvm_run *run = vm->run[0];

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	ASSERT_EQ(RINGVM_EXIT_IO_IN, run->io.direction);
	ASSERT_EQ(port, run->io.port);
	ASSERT_EQ(size, run->io.size);
	memcpy(rv_pio_data(vm, 0), &value, size);
}

static void pio_sequence(struct __test_metadata *_metadata, struct rv_vm *vm)
{
	expect_out(_metadata, vm, 0x10, 1, 0x11);
	expect_out(_metadata, vm, 0x12, 2, 0x2222);
	expect_out(_metadata, vm, 0x14, 4, 0x44444444);
	answer_in(_metadata, vm, 0x20, 1, 0xa1);
	expect_out(_metadata, vm, 0x21, 1, 0xa1);
	answer_in(_metadata, vm, 0x22, 2, 0xb2b2);
	expect_out(_metadata, vm, 0x23, 2, 0xb2b2);
	answer_in(_metadata, vm, 0x24, 4, 0xc4c4c4c4);
	expect_out(_metadata, vm, 0x25, 4, 0xc4c4c4c4);
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(vm, 0));
}

TEST_F(vmx, pio_real_mode)
{
	rv_load(&self->vm, 0x7c00, pio16_start, pio16_end);
	ASSERT_EQ(0, rv_real_mode(&self->vm, 0, 0x7c00));
	pio_sequence(_metadata, &self->vm);
}

TEST_F(vmx, pio_protected_mode)
{
	rv_load(&self->vm, RV_CODE, pio32_start, pio32_end);
	ASSERT_EQ(0, rv_prot_mode(&self->vm, 0, RV_CODE));
	pio_sequence(_metadata, &self->vm);
}

TEST_F(vmx, pio_long_mode)
{
	rv_load(&self->vm, RV_CODE, pio64_start, pio64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	pio_sequence(_metadata, &self->vm);
}

TEST_F(vmx, string_out)
{
	struct ringvm_run *run = self->vm.run[0];

	memcpy(self->vm.mem + RV_DATA, "hello", 5);
	memcpy(self->vm.mem + RV_DATA + 0x10, "\x01\x02\x03\x04\x05\x06", 6);
	rv_load(&self->vm, RV_CODE, outs64_start, outs64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&self->vm, 0));
	EXPECT_EQ(RINGVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(0x30, run->io.port);
	EXPECT_EQ(1, run->io.size);
	EXPECT_EQ(5, run->io.count);
	EXPECT_EQ(0, memcmp(rv_pio_data(&self->vm, 0), "hello", 5));

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&self->vm, 0));
	EXPECT_EQ(2, run->io.size);
	EXPECT_EQ(3, run->io.count);
	EXPECT_EQ(0, memcmp(rv_pio_data(&self->vm, 0), "\x01\x02\x03\x04\x05\x06", 6));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
}

static void expect_mmio(struct __test_metadata *_metadata, struct rv_vm *vm, uint64_t gpa,
			int len, int write, uint64_t value)
{
	struct ringvm_run *run = vm->run[0];
	uint64_t got = 0;

	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(vm, 0));
	ASSERT_EQ(gpa, run->mmio.phys_addr);
	ASSERT_EQ(len, run->mmio.len);
	ASSERT_EQ(write, run->mmio.is_write);
	if (write) {
		memcpy(&got, run->mmio.data, len);
		ASSERT_EQ(value, got);
	} else {
		memcpy(run->mmio.data, &value, len);
	}
}

TEST_F(vmx, mmio_long_mode_all_sizes)
{
	struct ringvm_regs regs;

	rv_load(&self->vm, RV_CODE, mmio64_start, mmio64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	expect_mmio(_metadata, &self->vm, 0x800000, 1, 1, 0x5a);
	expect_mmio(_metadata, &self->vm, 0x800002, 2, 1, 0x1234);
	expect_mmio(_metadata, &self->vm, 0x800004, 4, 1, 0xdeadbeef);
	expect_mmio(_metadata, &self->vm, 0x800008, 8, 1, 0x0123456789abcdefull);
	expect_mmio(_metadata, &self->vm, 0x800010, 1, 0, 0x77);
	expect_mmio(_metadata, &self->vm, 0x800012, 2, 0, 0x6655);
	expect_mmio(_metadata, &self->vm, 0x800014, 4, 0, 0x44332211);
	expect_mmio(_metadata, &self->vm, 0x800018, 8, 0, 0xfedcba9876543210ull);
	expect_mmio(_metadata, &self->vm, 0x800020, 1, 0, 0xf0);
	expect_mmio(_metadata, &self->vm, 0x800021, 1, 0, 0x80);
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));

	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0x77, regs.rcx & 0xff);
	EXPECT_EQ(0x6655, regs.rdx & 0xffff);
	EXPECT_EQ(0x44332211, regs.rsi);	/* 32-bit load zero-extends */
	EXPECT_EQ(0xfedcba9876543210ull, regs.rdi);
	EXPECT_EQ(0xf0, regs.r8);		/* movzbl */
	EXPECT_EQ(0xffffffffffffff80ull, regs.r9);	/* movsbq */
}

TEST_F(vmx, mmio_real_mode_segmented)
{
	struct ringvm_regs regs;

	rv_load(&self->vm, 0x7c00, mmio16_start, mmio16_end);
	ASSERT_EQ(0, rv_real_mode(&self->vm, 0, 0x7c00));
	/* 0xb800:0 is 0xb8000: end the slot there so that it is MMIO. */
	ASSERT_EQ(0, rv_set_slot(&self->vm, 0, 0, 0, 0, self->vm.mem));
	ASSERT_EQ(0, rv_set_slot(&self->vm, 0, 0, 0, 0xb8000, self->vm.mem));
	expect_mmio(_metadata, &self->vm, 0xb8000, 2, 1, 0x0741);
	expect_mmio(_metadata, &self->vm, 0xb8002, 2, 0, 0xbeef);
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0xbeef, regs.rbx & 0xffff);
}

TEST_F(vmx, cpuid_answers_from_the_table)
{
	struct {
		struct ringvm_cpuid hdr;
		struct ringvm_cpuid_entry e[1];
	} c = { .hdr.nent = 1 };
	struct ringvm_regs regs;

	c.e[0].function = 0x4000aaaa;
	c.e[0].eax = 0x11111111;
	c.e[0].ebx = 0x22222222;
	c.e[0].ecx = 0x33333333;
	c.e[0].edx = 0x44444444;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_CPUID, &c));
	rv_load(&self->vm, RV_CODE, cpuid64_start, cpuid64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&self->vm, 0));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs));
	EXPECT_EQ(0x11111111, regs.r8);
	EXPECT_EQ(0x22222222, regs.r9);
	EXPECT_EQ(0x33333333, regs.r10);
	EXPECT_EQ(0x44444444, regs.r11);
}

TEST_F(vmx, triple_fault_is_shutdown)
{
	uint16_t *idtr = (uint16_t *)(self->vm.mem + 0x1800);

	idtr[0] = 0;	/* limit 0: every vector is out of bounds */
	rv_load(&self->vm, RV_CODE, tfault64_start, tfault64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_SHUTDOWN, rv_run(&self->vm, 0));
}

TEST_F(vmx, immediate_exit)
{
	rv_load(&self->vm, RV_CODE, spin64_start, spin64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	self->vm.run[0]->immediate_exit = 1;
	EXPECT_EQ(-EINTR, rv_run(&self->vm, 0));
	EXPECT_EQ(RINGVM_EXIT_INTR, self->vm.run[0]->exit_reason);
}

static void on_alarm(int sig)
{
}

/* A guest that never exits on its own still gives the CPU back on a signal. */
TEST_F(vmx, signal_interrupts_run)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);
	rv_load(&self->vm, RV_CODE, spin64_start, spin64_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	alarm(1);
	EXPECT_EQ(-EINTR, rv_run(&self->vm, 0));
	EXPECT_EQ(RINGVM_EXIT_INTR, self->vm.run[0]->exit_reason);
}

TEST_HARNESS_MAIN
