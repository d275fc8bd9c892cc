// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 3: #AC is intercepted (so that #AC during #AC delivery
 * loops through the host instead of hanging the CPU in microcode, and a
 * host split-lock #AC never reaches the guest) and reflected: a CPL 3
 * guest with CR0.AM and EFLAGS.AC gets its own #AC handler exactly once.
 * #MC is intercepted too and handed to the host; Bochs cannot raise one
 * in a guest (security.rst says what was verified instead).
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define HANDLER_AC	0x11000
#define HANDLER_GP	0x11100
#define USER_CODE	0x12000
#define TSS		0x6000
#define USER_STACK	0x7000
#define KERNEL_STACK	0x8000

/* #AC: count it, report the count and the pushed error code, stop. */
RV_GUEST_CODE(h_ac, 64,
	"incl 0x20000\n mov 0x20000, %eax\n out %eax, $0xe9\n"
	"mov (%rsp), %eax\n out %eax, $0xe9\n hlt\n");
/* #GP (the user code's HLT, reached only if #AC never came): report 0xee. */
RV_GUEST_CODE(h_gp, 64, "mov $0xee, %eax\n out %eax, $0xe9\n hlt\n");

/* CPL 0: set CR0.AM, then IRET to CPL 3 with EFLAGS.AC. */
RV_GUEST_CODE(g_to_user, 64,
	"mov %cr0, %rax\n bts $18, %rax\n mov %rax, %cr0\n"
	"push $0x33\n push $0x7000\n push $0x40002\n push $0x3b\n push $0x12000\n iretq\n");
/* CPL 3: a misaligned 4-byte load, then HLT (#GP at CPL 3). */
RV_GUEST_CODE(g_user, 64, "mov $0x20001, %rbx\n mov (%rbx), %eax\n hlt\n");

TEST(cpl3_alignment_check_reaches_guest_once)
{
	uint64_t *gdt, *pml4, *pdpt, *pd;
	struct ringvm_sregs sr;
	struct rv_vm_stats st;
	struct rv_vm vm;
	uint32_t v = 0;
	int r;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = rv_vm_init(&vm, 1);
	if (r)
		TH_LOG("%s failed: %s", vm.failed, strerror(-r));
	ASSERT_EQ(0, r);
	rv_load(&vm, RV_CODE, g_to_user_start, g_to_user_end);
	rv_load(&vm, USER_CODE, g_user_start, g_user_end);
	rv_load(&vm, HANDLER_AC, h_ac_start, h_ac_end);
	rv_load(&vm, HANDLER_GP, h_gp_start, h_gp_end);
	rv_idt_gate(&vm, 17, HANDLER_AC);
	rv_idt_gate(&vm, 13, HANDLER_GP);
	ASSERT_EQ(0, rv_long_mode_idt(&vm, 0, RV_CODE));

	/* User pages, user segments, and a TSS whose RSP0 the handlers run on. */
	pml4 = (uint64_t *)(vm.mem + RV_PML4);
	pdpt = (uint64_t *)(vm.mem + RV_PDPT);
	pd = (uint64_t *)(vm.mem + RV_PD);
	pml4[0] |= 4;
	pdpt[0] |= 4;
	pd[0] |= 4;
	gdt = (uint64_t *)(vm.mem + RV_GDT);
	gdt[4] = 0x0000890000000067ull | ((uint64_t)TSS << 16);	/* 64-bit TSS, base TSS */
	gdt[5] = 0;
	gdt[6] = 0x00cff3000000ffffull;		/* 0x30: data, DPL 3 */
	gdt[7] = 0x00affb000000ffffull;		/* 0x38: code64, DPL 3 */
	*(uint64_t *)(vm.mem + TSS + 4) = KERNEL_STACK;	/* RSP0 */
	ASSERT_EQ(0, ioctl(vm.vcpu[0], RINGVM_GET_SREGS, &sr));
	sr.gdt.limit = 8 * 8 - 1;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = 0x20;
	sr.tr.base = TSS;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	ASSERT_EQ(0, ioctl(vm.vcpu[0], RINGVM_SET_SREGS, &sr));

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	memcpy(&v, rv_pio_data(&vm, 0), 4);
	EXPECT_EQ(1, v) {
		TH_LOG("first report 0x%x: 1 is the #AC handler's count, 0xee the #GP's", v);
	}
	if (v == 1) {
		ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
		memcpy(&v, rv_pio_data(&vm, 0), 4);
		EXPECT_EQ(0, v);			/* #AC's error code */
		EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&vm, 0));
	}
	/* It went through the host: exactly one exception exit. */
	ASSERT_LE(1, rv_genl_dump(getpid(), &st));
	ASSERT_TRUE(st.found);
	EXPECT_EQ(1, st.exits[0]);
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
