// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instructions as guests write them: a 64-bit guest runs each class
 * the in-kernel emulator knows (moffs MOV, ALU read-modify-write, TEST,
 * NOT/NEG, BT*, XCHG, MOVS/STOS/LODS with REP) on addresses outside every
 * slot.  The test is the device: it answers reads, checks every write
 * (address, size, value) and that flag-only forms write nothing, then
 * checks the registers and the flags the guest saved with PUSHF.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define DEV	0x800000ull	/* no slot: MMIO */

#define SAVE_FLAGS(reg) "pushfq\n pop %" #reg "\n"

RV_GUEST_CODE(alu64, 64,
	"mov $0x800000, %rbx\n mov %rbx, %r8\n"
	"addl $1, (%rbx)\n" SAVE_FLAGS(r9)
	"cmpl $5, 4(%rbx)\n" SAVE_FLAGS(r10)
	"stc\n adcb $0x7f, 8(%rbx)\n" SAVE_FLAGS(r11)
	"mov $0x10, %ecx\n or %ecx, 0x24(%r8)\n" SAVE_FLAGS(r12)
	"mov $0xff00ff00ff00ff00, %rax\n lock xorq %rax, 0x10(%rbx)\n" SAVE_FLAGS(r13)
	"mov $1, %edx\n add 0x18(%rbx), %rdx\n" SAVE_FLAGS(r14)
	"hlt\n");

RV_GUEST_CODE(unary64, 64,
	"mov $0x800000, %rbx\n"
	"testl $0x80000080, (%rbx)\n" SAVE_FLAGS(r8)
	"stc\n notw 2(%rbx)\n" SAVE_FLAGS(r9)
	"negq 8(%rbx)\n" SAVE_FLAGS(r10)
	"negb 0x10(%rbx)\n" SAVE_FLAGS(r11)
	"hlt\n");

RV_GUEST_CODE(bt64, 64,
	"mov $0x800000, %rbx\n"
	"btl $3, (%rbx)\n" SAVE_FLAGS(r8)
	"mov $70, %rcx\n btsq %rcx, (%rbx)\n" SAVE_FLAGS(r9)	/* bit 6 of the next qword */
	"btrw $1, 0x10(%rbx)\n" SAVE_FLAGS(r10)
	"lock btcl $31, 0x14(%rbx)\n" SAVE_FLAGS(r11)
	"hlt\n");

RV_GUEST_CODE(xchg_moffs64, 64,
	"mov $0x800000, %rbx\n"
	"mov $0xaabbccdd, %ecx\n xchg %ecx, 0x20(%rbx)\n"
	"mov $-1, %rax\n movabs 0x800030, %eax\n mov %rax, %r8\n"
	"mov $0x1122334455667788, %rax\n movabs %rax, 0x800038\n"
	"movabs 0x800040, %al\n mov %rax, %r9\n"
	"addr32 mov 0x800048, %ax\n mov %rax, %r10\n"
	"hlt\n");

RV_GUEST_CODE(string64, 64,
	"cld\n mov $0x800100, %rdi\n mov $3, %ecx\n mov $0x5a5a5a5a, %eax\n"
	"string64_rep_stos:\n rep stosl\n mov %rdi, %r8\n"
	"std\n mov $0x800201, %rsi\n mov $0x20001, %rdi\n mov $2, %ecx\n rep movsb\n cld\n"
	"mov %rsi, %r9\n mov %rdi, %r10\n"
	"mov $0x20010, %rsi\n mov $0x800300, %rdi\n mov $2, %ecx\n rep movsw\n"
	"mov $0x800400, %rsi\n mov $0x800500, %rdi\n movsl\n"
	"mov $0x800600, %rsi\n lodsq\n mov %rax, %r11\n"
	"hlt\n");

extern const unsigned char string64_rep_stos[];

RV_GUEST_CODE(unknown64, 64, "mov $0x800000, %rbx\n mull (%rbx)\n hlt\n");

FIXTURE(mmio) {
	struct rv_vm vm;
};

FIXTURE_SETUP(mmio)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(mmio)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static void start(struct __test_metadata *_metadata, struct rv_vm *vm,
		  const unsigned char *s, const unsigned char *e)
{
	rv_load(vm, RV_CODE, s, e);
	ASSERT_EQ(0, rv_long_mode(vm, 0, RV_CODE));
}

/* The next exit is a device read of @len bytes at @gpa; answer @value. */
static void dev_read(struct __test_metadata *_metadata, struct rv_vm *vm, uint64_t gpa,
		     int len, uint64_t value)
{
	struct ringvm_run *run = vm->run[0];

	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(vm, 0));
	ASSERT_EQ(gpa, run->mmio.phys_addr);
	ASSERT_EQ(len, run->mmio.len);
	ASSERT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &value, len);
}

/* The next exit is a device write of @value, @len bytes at @gpa. */
static void dev_write(struct __test_metadata *_metadata, struct rv_vm *vm, uint64_t gpa,
		      int len, uint64_t value)
{
	struct ringvm_run *run = vm->run[0];
	uint64_t got = 0;

	ASSERT_EQ(RINGVM_EXIT_MMIO, rv_run(vm, 0));
	ASSERT_EQ(gpa, run->mmio.phys_addr);
	ASSERT_EQ(len, run->mmio.len);
	ASSERT_EQ(1, run->mmio.is_write);
	memcpy(&got, run->mmio.data, len);
	ASSERT_EQ(value, got);
}

static void halt_regs(struct __test_metadata *_metadata, struct rv_vm *vm,
		      struct ringvm_regs *regs)
{
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(vm, 0));
	ASSERT_EQ(0, ioctl(vm->vcpu[0], RINGVM_GET_REGS, regs));
}

#define ARITH 0x8d5	/* OF SF ZF AF PF CF */

TEST_F(mmio, alu_read_modify_write)
{
	struct ringvm_regs r;

	start(_metadata, &self->vm, alu64_start, alu64_end);
	dev_read(_metadata, &self->vm, DEV, 4, 0xffffffff);
	dev_write(_metadata, &self->vm, DEV, 4, 0);
	dev_read(_metadata, &self->vm, DEV + 4, 4, 3);		/* CMP: no write */
	dev_read(_metadata, &self->vm, DEV + 8, 1, 0);
	dev_write(_metadata, &self->vm, DEV + 8, 1, 0x80);
	dev_read(_metadata, &self->vm, DEV + 0x24, 4, 1);
	dev_write(_metadata, &self->vm, DEV + 0x24, 4, 0x11);
	dev_read(_metadata, &self->vm, DEV + 0x10, 8, 0xff00ff00ff00ff00ull);
	dev_write(_metadata, &self->vm, DEV + 0x10, 8, 0);
	dev_read(_metadata, &self->vm, DEV + 0x18, 8, 0x7fffffffffffffffull);
	halt_regs(_metadata, &self->vm, &r);
	EXPECT_EQ(0x55, r.r9 & ARITH);		/* 0xffffffff + 1: CF ZF AF PF */
	EXPECT_EQ(0x91, r.r10 & ARITH);		/* 3 - 5: CF AF SF */
	EXPECT_EQ(0x890, r.r11 & ARITH);	/* 0 + 0x7f + CF: OF SF AF */
	EXPECT_EQ(0x04, r.r12 & ARITH);		/* 0x11: PF */
	EXPECT_EQ(0x44, r.r13 & ARITH);		/* ZF PF */
	EXPECT_EQ(0x894, r.r14 & ARITH);	/* OF SF AF PF */
	EXPECT_EQ(0x8000000000000000ull, r.rdx);
}

TEST_F(mmio, test_not_neg)
{
	struct ringvm_regs r;

	start(_metadata, &self->vm, unary64_start, unary64_end);
	dev_read(_metadata, &self->vm, DEV, 4, 0xffffff80);	/* TEST: no write */
	dev_read(_metadata, &self->vm, DEV + 2, 2, 0x1234);
	dev_write(_metadata, &self->vm, DEV + 2, 2, 0xedcb);
	dev_read(_metadata, &self->vm, DEV + 8, 8, 1);
	dev_write(_metadata, &self->vm, DEV + 8, 8, ~0ull);
	dev_read(_metadata, &self->vm, DEV + 0x10, 1, 0x80);
	dev_write(_metadata, &self->vm, DEV + 0x10, 1, 0x80);
	halt_regs(_metadata, &self->vm, &r);
	EXPECT_EQ(0x80, r.r8 & ARITH);		/* 0x80000080: SF */
	EXPECT_EQ(1, r.r9 & 1);			/* NOT leaves CF alone */
	EXPECT_EQ(0x95, r.r10 & ARITH);		/* -1: CF PF AF SF */
	EXPECT_EQ(0x881, r.r11 & ARITH);	/* -0x80: OF SF CF */
}

TEST_F(mmio, bit_test)
{
	struct ringvm_regs r;

	start(_metadata, &self->vm, bt64_start, bt64_end);
	dev_read(_metadata, &self->vm, DEV, 4, 0x8);		/* BT: no write */
	dev_read(_metadata, &self->vm, DEV + 8, 8, 0);
	dev_write(_metadata, &self->vm, DEV + 8, 8, 0x40);
	dev_read(_metadata, &self->vm, DEV + 0x10, 2, 3);
	dev_write(_metadata, &self->vm, DEV + 0x10, 2, 1);
	dev_read(_metadata, &self->vm, DEV + 0x14, 4, 0);
	dev_write(_metadata, &self->vm, DEV + 0x14, 4, 0x80000000);
	halt_regs(_metadata, &self->vm, &r);
	EXPECT_EQ(1, r.r8 & 1);
	EXPECT_EQ(0, r.r9 & 1);
	EXPECT_EQ(1, r.r10 & 1);
	EXPECT_EQ(0, r.r11 & 1);
}

TEST_F(mmio, xchg_and_moffs)
{
	struct ringvm_regs r;

	start(_metadata, &self->vm, xchg_moffs64_start, xchg_moffs64_end);
	dev_read(_metadata, &self->vm, DEV + 0x20, 4, 0x11223344);
	dev_write(_metadata, &self->vm, DEV + 0x20, 4, 0xaabbccdd);
	dev_read(_metadata, &self->vm, DEV + 0x30, 4, 0xcafef00d);
	dev_write(_metadata, &self->vm, DEV + 0x38, 8, 0x1122334455667788ull);
	dev_read(_metadata, &self->vm, DEV + 0x40, 1, 0xee);
	dev_read(_metadata, &self->vm, DEV + 0x48, 2, 0xbeef);
	halt_regs(_metadata, &self->vm, &r);
	EXPECT_EQ(0x11223344, r.rcx);
	EXPECT_EQ(0xcafef00d, r.r8);		/* a 32-bit load zero-extends */
	EXPECT_EQ(0x11223344556677eeull, r.r9);
	EXPECT_EQ(0x112233445566beefull, r.r10);
}

TEST_F(mmio, string_instructions)
{
	uint64_t rip = RV_CODE + (string64_rep_stos - string64_start);
	struct ringvm_regs r;

	memcpy(self->vm.mem + RV_DATA + 0x10, "\x11\x11\x22\x22", 4);
	start(_metadata, &self->vm, string64_start, string64_end);

	/* REP STOSL: one exit per element; RIP stays on the instruction until rCX is 0. */
	dev_write(_metadata, &self->vm, DEV + 0x100, 4, 0x5a5a5a5a);
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &r));
	EXPECT_EQ(rip, r.rip);
	EXPECT_EQ(2, r.rcx);
	dev_write(_metadata, &self->vm, DEV + 0x104, 4, 0x5a5a5a5a);
	dev_write(_metadata, &self->vm, DEV + 0x108, 4, 0x5a5a5a5a);

	/* STD; REP MOVSB from the device into RAM, downwards. */
	dev_read(_metadata, &self->vm, DEV + 0x201, 1, 0xa1);
	dev_read(_metadata, &self->vm, DEV + 0x200, 1, 0xa2);

	/* REP MOVSW from RAM to the device. */
	dev_write(_metadata, &self->vm, DEV + 0x300, 2, 0x1111);
	dev_write(_metadata, &self->vm, DEV + 0x302, 2, 0x2222);

	/* MOVSL from one device address to another: a read, then a write. */
	dev_read(_metadata, &self->vm, DEV + 0x400, 4, 0xdeadbeef);
	dev_write(_metadata, &self->vm, DEV + 0x500, 4, 0xdeadbeef);

	dev_read(_metadata, &self->vm, DEV + 0x600, 8, 0x0123456789abcdefull);
	halt_regs(_metadata, &self->vm, &r);
	EXPECT_EQ(DEV + 0x10c, r.r8);
	EXPECT_EQ(DEV + 0x1ff, r.r9);
	EXPECT_EQ(RV_DATA - 1, r.r10);
	EXPECT_EQ(0xa2, self->vm.mem[RV_DATA]);
	EXPECT_EQ(0xa1, self->vm.mem[RV_DATA + 1]);
	EXPECT_EQ(DEV + 0x608, r.rsi);		/* LODSQ moved rSI on by 8 */
	EXPECT_EQ(0x0123456789abcdefull, r.r11);
	EXPECT_EQ(0, r.rflags & 0x400);		/* CLD again */
}

/* What the emulator does not know still ends the VM with the instruction's bytes. */
TEST_F(mmio, unknown_instruction_is_internal_error)
{
	struct ringvm_run *run = self->vm.run[0];
	const uint8_t *bytes;

	start(_metadata, &self->vm, unknown64_start, unknown64_end);
	ASSERT_EQ(RINGVM_EXIT_INTERNAL_ERROR, rv_run(&self->vm, 0));
	EXPECT_EQ(RINGVM_INTERNAL_ERROR_EMULATION, run->internal.suberror);
	ASSERT_EQ(4, run->internal.ndata);
	EXPECT_EQ(RV_CODE + 7, run->internal.data[0]);	/* after the 7-byte MOV */
	bytes = (const uint8_t *)&run->internal.data[2];
	EXPECT_EQ(0xf7, bytes[0]);
	EXPECT_EQ(0x23, bytes[1]);
}

TEST_HARNESS_MAIN
