// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 14: a guest WRMSR the CPU would refuse gets #GP instead
 * of reaching the host CPU (where it faulted and warned).
 */
#include <sys/ioctl.h>

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
