// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 17: every feature RINGVM_GET_SUPPORTED_CPUID reports that
 * comes with MSRs has those MSRs.  The test walks the supported table,
 * and for each MSR-backed feature present the guest reads each of its
 * MSRs and, where writable, writes the value back: none may #GP.
 * Also: the clock leaves 0x15 and 0x16, and the leaves of features ringvm
 * does not virtualize, are empty, as on KVM (Documentation/irqchip.rst,
 * "Timer interrupt storm").
 */
#include <cpuid.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define HANDLER_GP	0x11100
#define NMSRS_AT	(RV_DATA + 0x100)	/* u32 */
#define MSRS_AT		(RV_DATA + 0x108)	/* { u32 index, u32 write_back } */
#define RESULTS_AT	(RV_DATA + 0x8000)	/* u8 each: 1 = #GP */

enum { EAX, EBX, ECX, EDX };

struct msr_feature {
	const char *name;
	uint32_t fn, idx;
	int reg, bit;
	uint32_t msrs[8];
	int write_back;
};

/* Features whose CPUID bit promises MSRs (SDM Vol. 4, "Architectural MSRs"). */
static const struct msr_feature features[] = {
	{ "TSC", 1, 0, EDX, 4, { 0x10 }, 0 },
	{ "APIC", 1, 0, EDX, 9, { 0x1b }, 1 },
	{ "SEP", 1, 0, EDX, 11, { 0x174, 0x175, 0x176 }, 1 },
	{ "MTRR", 1, 0, EDX, 12, { 0xfe, 0x2ff, 0x200, 0x201, 0x250, 0x258, 0x268 }, 0 },
	{ "MCE", 1, 0, EDX, 7, { 0x17a }, 0 },
	{ "MCA", 1, 0, EDX, 14, { 0x179, 0x17a }, 0 },
	{ "PAT", 1, 0, EDX, 16, { 0x277 }, 1 },
	{ "ACPI", 1, 0, EDX, 22, { 0x19c }, 0 },
	{ "VMX", 1, 0, ECX, 5, { 0x480 }, 0 },
	{ "EST", 1, 0, ECX, 7, { 0x198 }, 0 },
	{ "PDCM", 1, 0, ECX, 15, { 0x345 }, 0 },
	{ "X2APIC", 1, 0, ECX, 21, { 0x802 }, 0 },
	{ "TSC_DEADLINE", 1, 0, ECX, 24, { 0x6e0 }, 0 },
	{ "TSC_ADJUST", 7, 0, EBX, 1, { 0x3b }, 1 },
	{ "MPX", 7, 0, EBX, 14, { 0xd90 }, 0 },
	{ "WAITPKG", 7, 0, ECX, 5, { 0xe1 }, 0 },
	{ "RDPID", 7, 0, ECX, 22, { 0xc0000103 }, 1 },
	{ "ARCH_LBR", 7, 0, EDX, 19, { 0x14ce }, 0 },
	{ "IBRS", 7, 0, EDX, 26, { 0x48 }, 0 },
	{ "STIBP", 7, 0, EDX, 27, { 0x48 }, 0 },
	{ "ARCH_CAPABILITIES", 7, 0, EDX, 29, { 0x10a }, 0 },
	{ "SSBD", 7, 0, EDX, 31, { 0x48 }, 0 },
	{ "XSAVES", 0xd, 1, EAX, 3, { 0xda0 }, 0 },
	{ "SYSCALL", 0x80000001, 0, EDX, 11, { 0xc0000081, 0xc0000082, 0xc0000083,
					       0xc0000084 }, 1 },
	{ "NX", 0x80000001, 0, EDX, 20, { 0xc0000080 }, 1 },
	{ "RDTSCP", 0x80000001, 0, EDX, 27, { 0xc0000103 }, 1 },
	{ "LM", 0x80000001, 0, EDX, 29, { 0xc0000080, 0xc0000100, 0xc0000101,
					  0xc0000102 }, 1 },
};

/* #GP: mark this MSR and skip the 2-byte RDMSR/WRMSR. */
RV_GUEST_CODE(h_gp, 64, "movb $1, (%rdi)\n addq $2, 8(%rsp)\n add $8, %rsp\n iretq\n");

RV_GUEST_CODE(g_walk, 64,
	"mov $0x20108, %rsi\n mov $0x28000, %rdi\n mov 0x20100, %r12d\n"
	"1: test %r12d, %r12d\n jz 3f\n"
	"movb $0, (%rdi)\n mov (%rsi), %ecx\n rdmsr\n"
	"cmpl $0, 4(%rsi)\n je 2f\n cmpb $0, (%rdi)\n jne 2f\n wrmsr\n"
	"2: add $8, %rsi\n inc %rdi\n dec %r12d\n jmp 1b\n"
	"3: out %al, $0xe9\n hlt\n");

static uint32_t reg_of(const struct ringvm_cpuid_entry *e, int reg)
{
	return reg == EAX ? e->eax : reg == EBX ? e->ebx : reg == ECX ? e->ecx : e->edx;
}

static const struct ringvm_cpuid_entry *find(const struct ringvm_cpuid *c, uint32_t fn,
					     uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

TEST(supported_features_have_their_msrs)
{
	struct { uint32_t index, write_back; } *list;
	const char *owner[256];
	struct ringvm_cpuid *c;
	struct rv_vm vm;
	uint8_t *results;
	unsigned int f, k, n = 0, bad = 0;
	int r;

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = rv_vm_init(&vm, 1);
	if (r)
		TH_LOG("%s failed: %s", vm.failed, strerror(-r));
	ASSERT_EQ(0, r);
	c = calloc(1, sizeof(*c) + 256 * sizeof(struct ringvm_cpuid_entry));
	ASSERT_NE(NULL, c);
	c->nent = 256;
	ASSERT_EQ(0, ioctl(vm.sys, RINGVM_GET_SUPPORTED_CPUID, c));
	ASSERT_EQ(0, ioctl(vm.vcpu[0], RINGVM_SET_CPUID, c));

	list = (void *)(vm.mem + MSRS_AT);
	results = vm.mem + RESULTS_AT;
	for (f = 0; f < sizeof(features) / sizeof(features[0]); f++) {
		const struct msr_feature *ft = &features[f];
		const struct ringvm_cpuid_entry *e = find(c, ft->fn, ft->idx);

		if (!e || !(reg_of(e, ft->reg) & (1u << ft->bit)))
			continue;
		TH_LOG("%s advertised", ft->name);
		for (k = 0; k < 8 && ft->msrs[k]; k++) {
			owner[n] = ft->name;
			list[n].index = ft->msrs[k];
			list[n].write_back = ft->write_back;
			n++;
		}
	}
	/* The walk must cover something, or it proves nothing. */
	ASSERT_LT(4, n);
	*(uint32_t *)(vm.mem + NMSRS_AT) = n;

	rv_load(&vm, HANDLER_GP, h_gp_start, h_gp_end);
	rv_idt_gate(&vm, 13, HANDLER_GP);
	rv_load(&vm, RV_CODE, g_walk_start, g_walk_end);
	ASSERT_EQ(0, rv_long_mode_idt(&vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&vm, 0));
	ASSERT_EQ(0xe9, vm.run[0]->io.port);
	for (k = 0; k < n; k++) {
		if (!results[k])
			continue;
		bad++;
		TH_LOG("%s is advertised but MSR 0x%x raises #GP", owner[k], list[k].index);
	}
	EXPECT_EQ(0, bad);
	free(c);
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/*
 * Linux takes leaf 0x15's crystal for its local APIC timer's clock, and
 * ringvm's timer counts a 1 GHz bus whatever the host's crystal is.  The
 * Bochs host reports a 24 MHz crystal: passed on, the guest armed every
 * timer about 40 times too short.  The other leaves here describe what
 * ringvm does not virtualize; KVM reports all of them empty.
 */
TEST(unvirtualized_leaves_are_empty)
{
	static const unsigned int leaves[] = { 0x15, 0x16, 3, 0x17, 0x18, 0x19, 0x1a,
					       0x1b, 0x1c, 0x1d, 0x1e };
	unsigned int a, b, cx, d, i, max = __get_cpuid_max(0, NULL);
	const struct ringvm_cpuid_entry *e;
	struct ringvm_cpuid *c;
	int sys;

	if (max < 0x15)
		SKIP(return, "the host's CPUID stops at leaf 0x%x", max);
	ASSERT_EQ(0, rv_load_module("ringvm"));
	sys = rv_open_sys();
	ASSERT_LE(0, sys);
	c = calloc(1, sizeof(*c) + 256 * sizeof(struct ringvm_cpuid_entry));
	ASSERT_NE(NULL, c);
	c->nent = 256;
	ASSERT_EQ(0, ioctl(sys, RINGVM_GET_SUPPORTED_CPUID, c));
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		if (leaves[i] > max)
			continue;
		__cpuid_count(leaves[i], 0, a, b, cx, d);
		TH_LOG("host leaf 0x%x: %08x %08x %08x %08x", leaves[i], a, b, cx, d);
		e = find(c, leaves[i], 0);
		ASSERT_NE(NULL, e) TH_LOG("leaf 0x%x missing", leaves[i]);
		EXPECT_EQ(0, e->eax | e->ebx | e->ecx | e->edx)
			TH_LOG("leaf 0x%x: %08x %08x %08x %08x", leaves[i], e->eax, e->ebx,
			       e->ecx, e->edx);
	}
	/* Thermal and power: only ARAT, which Linux needs to trust the APIC timer. */
	e = find(c, 6, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1u << 2, e->eax);
	EXPECT_EQ(0, e->ebx | e->ecx | e->edx);
	/* Key Locker, whose leaf 0x19 is empty. */
	e = find(c, 7, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, e->ecx & (1u << 23));
	free(c);
	close(sys);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
