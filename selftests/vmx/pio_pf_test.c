// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 11: INS/OUTS memory operands obey the guest's paging rules.
 * A CPL 3 guest (IOPL 3, so the I/O itself is allowed) that INSes into a
 * read-only page, or OUTSes from a supervisor page, gets its own #PF with
 * the error code and CR2 the CPU would give, and the VMM never sees the
 * port access.  A REP string op moves at most one guest page per exit.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define HANDLER_PF	0x11000
#define HANDLER_GP	0x11100
#define USER_CODE	0x12000
#define TSS		0x6000
#define USER_STACK	0x7000
#define KERNEL_STACK	0x8000
#define PROBE		0x200100	/* in the 2 MiB page pd[1] maps */

/* #PF: report CR2, then the pushed error code, stop. */
RV_GUEST_CODE(h_pf, 64,
	"mov %cr2, %rax\n out %eax, $0xe9\n mov (%rsp), %eax\n out %eax, $0xe9\n hlt\n");
/* #GP (the user code's HLT, reached only if no #PF came): report 0xee. */
RV_GUEST_CODE(h_gp, 64, "mov $0xee, %eax\n out %eax, $0xe9\n hlt\n");
/* CPL 0: IRET to CPL 3 with IOPL 3. */
RV_GUEST_CODE(g_to_user, 64,
	"push $0x33\n push $0x7000\n push $0x3002\n push $0x3b\n push $0x12000\n iretq\n");
RV_GUEST_CODE(u_ins, 64, "mov $0x200100, %rdi\n mov $0x80, %dx\n insb\n hlt\n");
/* The same, into the last byte of the address space (its end wraps to 0). */
RV_GUEST_CODE(u_ins_top, 64, "mov $-1, %rdi\n mov $0x80, %dx\n insb\n hlt\n");
RV_GUEST_CODE(u_outs, 64, "mov $0x200100, %rsi\n mov $0x80, %dx\n outsb\n hlt\n");
/* CPL 0: a REP INSB of 0x1800 bytes starting half way into a page. */
RV_GUEST_CODE(g_rep_ins, 64,
	"mov $0x20800, %rdi\n mov $0x1800, %rcx\n mov $0x80, %dx\n rep insb\n hlt\n");

/* Long mode, CPL 3 user code at USER_CODE, pd[1] mapped with @pde_flags. */
static int user_vm(struct rv_vm *vm, const unsigned char *start, const unsigned char *end, uint64_t pde_flags)
{
	uint64_t *gdt, *pd;
	struct ringvm_sregs sr;
	int r;

	r = rv_vm_init(vm, 1);
	if (r)
		return r;
	rv_load(vm, RV_CODE, g_to_user_start, g_to_user_end);
	rv_load(vm, USER_CODE, start, end);
	rv_load(vm, HANDLER_PF, h_pf_start, h_pf_end);
	rv_load(vm, HANDLER_GP, h_gp_start, h_gp_end);
	rv_idt_gate(vm, 14, HANDLER_PF);
	rv_idt_gate(vm, 13, HANDLER_GP);
	if (rv_long_mode_idt(vm, 0, RV_CODE))
		return -EINVAL;
	((uint64_t *)(vm->mem + RV_PML4))[0] |= 4;
	((uint64_t *)(vm->mem + RV_PDPT))[0] |= 4;
	pd = (uint64_t *)(vm->mem + RV_PD);
	pd[0] |= 4;
	pd[1] = 0x200000 | 0x80 | pde_flags;
	gdt = (uint64_t *)(vm->mem + RV_GDT);
	gdt[4] = 0x0000890000000067ull | ((uint64_t)TSS << 16);	/* 64-bit TSS */
	gdt[5] = 0;
	gdt[6] = 0x00cff3000000ffffull;		/* 0x30: data, DPL 3 */
	gdt[7] = 0x00affb000000ffffull;		/* 0x38: code64, DPL 3 */
	*(uint64_t *)(vm->mem + TSS + 4) = KERNEL_STACK;	/* RSP0 */
	if (ioctl(vm->vcpu[0], RINGVM_GET_SREGS, &sr))
		return -errno;
	sr.gdt.limit = 8 * 8 - 1;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = 0x20;
	sr.tr.base = TSS;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	if (ioctl(vm->vcpu[0], RINGVM_SET_SREGS, &sr))
		return -errno;
	return 0;
}

/* The next exit is the #PF handler's two reports: CR2, then the error code. */
static void expect_pf(struct __test_metadata *_metadata, struct rv_vm *vm, uint32_t cr2,
		      uint32_t ec)
{
	uint32_t v = 0;

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	EXPECT_EQ(0xe9, vm->run[0]->io.port) {
		TH_LOG("exit on port 0x%x: the string access reached the VMM",
		       vm->run[0]->io.port);
	}
	if (vm->run[0]->io.port != 0xe9)
		return;
	memcpy(&v, rv_pio_data(vm, 0), 4);
	EXPECT_EQ(cr2, v) {
		TH_LOG("first report 0x%x: CR2 expected, 0xee is the #GP handler's", v);
	}
	if (v != cr2)
		return;
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	memcpy(&v, rv_pio_data(vm, 0), 4);
	EXPECT_EQ(ec, v);
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(vm, 0));
}

TEST(cpl3_ins_into_read_only_page_gets_pf)
{
	struct rv_vm vm;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	ASSERT_EQ(0, user_vm(&vm, u_ins_start, u_ins_end, 0x5));	/* P | U, read-only */
	vm.mem[PROBE] = 0x5a;
	expect_pf(_metadata, &vm, PROBE, 0x7);			/* P | W | U */
	EXPECT_EQ(0x5a, vm.mem[PROBE]);
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/*
 * The permission walk counts bytes, not up to an end address: an operand
 * ending at the top of the address space used to wrap the end to 0 and
 * skip the check, so the write reached a page the guest made read-only.
 */
TEST(ins_into_top_page_of_address_space_gets_pf)
{
	uint64_t *pml4, *pdpt, *pd;
	struct rv_vm vm;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	ASSERT_EQ(0, user_vm(&vm, u_ins_top_start, u_ins_top_end, 0x5));
	pml4 = (uint64_t *)(vm.mem + RV_PML4);
	pdpt = (uint64_t *)(vm.mem + RV_PDPT);
	pd = (uint64_t *)(vm.mem + RV_PD);
	pml4[511] = pml4[0];
	pdpt[511] = pdpt[0];
	pd[511] = 0x200000 | 0x80 | 0x5;	/* P | U | PS, read-only */
	vm.mem[0x3fffff] = 0x5a;		/* what 0xffffffffffffffff maps to */
	expect_pf(_metadata, &vm, 0xffffffff, 0x7);	/* CR2's low half; P | W | U */
	EXPECT_EQ(0x5a, vm.mem[0x3fffff]);
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST(cpl3_outs_from_supervisor_page_gets_pf)
{
	struct rv_vm vm;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	ASSERT_EQ(0, user_vm(&vm, u_outs_start, u_outs_end, 0x3));	/* P | RW, supervisor */
	expect_pf(_metadata, &vm, PROBE, 0x5);			/* P | U */
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST(rep_ins_moves_one_guest_page_per_exit)
{
	struct rv_vm vm;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	ASSERT_EQ(0, rv_vm_init(&vm, 1));
	rv_load(&vm, RV_CODE, g_rep_ins_start, g_rep_ins_end);
	ASSERT_EQ(0, rv_long_mode(&vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	EXPECT_EQ(0x80, vm.run[0]->io.port);
	EXPECT_EQ(0x800, vm.run[0]->io.count);	/* up to the end of page 0x20000 */
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	EXPECT_EQ(0x1000, vm.run[0]->io.count);	/* the whole of page 0x21000 */
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&vm, 0));
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
