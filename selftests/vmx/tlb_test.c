// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 12: with VPID on, translations are tagged and survive VM
 * exits and entries, so a paging-mode change that exits (CR0.PG here)
 * must flush them as the CPU would: a guest that remaps a page without
 * INVLPG and then turns paging off and on reads the new page.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define PD	0x6000
#define PT	0x7000
#define LINEAR	0x300000
#define PAGE_A	0x301000
#define PAGE_B	0x302000

RV_GUEST_CODE(g_remap, 32,
	"mov $0x6000, %eax\n mov %eax, %cr3\n"
	"mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n"
	"mov (0x300000), %eax\n out %eax, $0xe9\n"
	"movl $0x302003, (0x7c00)\n"		/* PT[0x300] -> page B, no INVLPG */
	"mov %cr0, %eax\n and $0x7fffffff, %eax\n mov %eax, %cr0\n"
	"mov %cr0, %eax\n or $0x80000000, %eax\n mov %eax, %cr0\n"
	"mov (0x300000), %eax\n out %eax, $0xe9\n hlt\n");

TEST(paging_off_and_on_flushes)
{
	uint32_t *pd, *pt, a = 0xaaaa0001, b = 0xbbbb0002, got = 0;
	struct rv_vm vm;
	int r, i;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = rv_vm_init(&vm, 1);
	if (r)
		TH_LOG("%s failed: %s", vm.failed, strerror(-r));
	ASSERT_EQ(0, r);
	pd = (uint32_t *)(vm.mem + PD);
	pt = (uint32_t *)(vm.mem + PT);
	pd[0] = PT | 3;
	for (i = 0; i < 1024; i++)
		pt[i] = (i << 12) | 3;
	pt[LINEAR >> 12] = PAGE_A | 3;
	memcpy(vm.mem + PAGE_A, &a, 4);
	memcpy(vm.mem + PAGE_B, &b, 4);
	rv_load(&vm, RV_CODE, g_remap_start, g_remap_end);
	ASSERT_EQ(0, rv_prot_mode(&vm, 0, RV_CODE));

	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	memcpy(&got, rv_pio_data(&vm, 0), 4);
	EXPECT_EQ(a, got);
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	memcpy(&got, rv_pio_data(&vm, 0), 4);
	EXPECT_EQ(b, got) {
		TH_LOG("read 0x%x through a translation CR0.PG 1->0->1 should have flushed", got);
	}
	EXPECT_EQ(RINGVM_EXIT_HLT, rv_run(&vm, 0));
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
