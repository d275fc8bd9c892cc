// SPDX-License-Identifier: GPL-2.0
/*
 * XSETBV (issue 6, item 2): the guest may enable exactly the XCR0 values
 * its CPUID leaf 0xD allows with every architectural pairing; any other
 * value gets #GP, and the host's XCR0 never changes.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define HANDLER_GP	0x11100
#define NVALUES_AT	(RV_DATA + 0x100)	/* u32: how many values */
#define VALUES_AT	(RV_DATA + 0x108)	/* u64 each */
#define RESULTS_AT	(RV_DATA + 0x10000)	/* u8 each: 1 = #GP */

/* Bits tried: x87..PKRU (0-9) and the AMX pair (17, 18). */
#define TRIED_BITS	0x603ffull
#define NTRIED		4096

#define XF_FP		0x1ull
#define XF_SSE		0x2ull
#define XF_YMM		0x4ull
#define XF_BNDREGS	0x8ull
#define XF_BNDCSR	0x10ull
#define XF_AVX512	0xe0ull
#define XF_XTILE	0x60000ull

/* #GP: mark this value refused and skip the 3-byte XSETBV. */
RV_GUEST_CODE(h_gp, 64, "movb $1, (%rdi)\n addq $3, 8(%rsp)\n add $8, %rsp\n iretq\n");

RV_GUEST_CODE(g_xsetbv, 64,
	"mov $0x20108, %rsi\n mov $0x30000, %rdi\n mov 0x20100, %r12d\n"
	"1: test %r12d, %r12d\n jz 2f\n"
	"movb $0, (%rdi)\n mov (%rsi), %eax\n mov 4(%rsi), %edx\n xor %ecx, %ecx\n xsetbv\n"
	"add $8, %rsi\n inc %rdi\n dec %r12d\n jmp 1b\n"
	"2: mov $1, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n xsetbv\n"
	"out %al, $0xe9\n hlt\n");

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* The SDM's rules for XCR0 (Vol. 1 13.3), given what CPUID enumerates. */
static int xcr0_valid(uint64_t v, uint64_t allowed)
{
	if (!(v & XF_FP) || (v & ~allowed))
		return 0;
	if ((v & XF_YMM) && !(v & XF_SSE))
		return 0;
	if (!(v & XF_BNDREGS) != !(v & XF_BNDCSR))
		return 0;
	if ((v & XF_AVX512) && ((v & XF_AVX512) != XF_AVX512 || !(v & XF_YMM)))
		return 0;
	if ((v & XF_XTILE) && (v & XF_XTILE) != XF_XTILE)
		return 0;
	return 1;
}

FIXTURE(xsetbv) {
	struct rv_vm vm;
	struct ringvm_cpuid *cpuid;
	struct ringvm_cpuid_entry *leaf_d;
	uint64_t supported;
};

FIXTURE_SETUP(xsetbv)
{
	struct ringvm_sregs sr;
	uint32_t i;

	RV_FIXTURE_SETUP(&self->vm, 1);
	self->cpuid = calloc(1, sizeof(*self->cpuid) + 256 * sizeof(struct ringvm_cpuid_entry));
	ASSERT_NE(NULL, self->cpuid);
	self->cpuid->nent = 256;
	ASSERT_EQ(0, ioctl(self->vm.sys, RINGVM_GET_SUPPORTED_CPUID, self->cpuid));
	for (i = 0; i < self->cpuid->nent; i++) {
		struct ringvm_cpuid_entry *e = &self->cpuid->entries[i];

		if (e->function == 0xd && e->index == 0)
			self->leaf_d = e;
	}
	ASSERT_NE(NULL, self->leaf_d);
	self->supported = self->leaf_d->eax | ((uint64_t)self->leaf_d->edx << 32);

	rv_load(&self->vm, HANDLER_GP, h_gp_start, h_gp_end);
	rv_idt_gate(&self->vm, 13, HANDLER_GP);
	rv_load(&self->vm, RV_CODE, g_xsetbv_start, g_xsetbv_end);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &sr));
	sr.cr4 |= 1u << 18;	/* OSXSAVE */
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &sr));
}

FIXTURE_TEARDOWN(xsetbv)
{
	free(self->cpuid);
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/* Runs every value of TRIED_BITS under a leaf 0xD that enumerates @allowed. */
static void try_all(struct __test_metadata *_metadata, FIXTURE_DATA(xsetbv) *self,
		    uint64_t allowed)
{
	uint64_t *values = (uint64_t *)(self->vm.mem + VALUES_AT);
	uint8_t *results = self->vm.mem + RESULTS_AT;
	uint64_t host = xgetbv0(), v;
	int n = 0, wrong = 0, bits[12], nbits = 0, b, i;

	for (b = 0; b < 64; b++)
		if (TRIED_BITS & (1ull << b))
			bits[nbits++] = b;
	for (i = 0; i < NTRIED; i++) {
		v = 0;
		for (b = 0; b < nbits; b++)
			if (i & (1 << b))
				v |= 1ull << bits[b];
		values[n++] = v;
	}
	*(uint32_t *)(self->vm.mem + NVALUES_AT) = n;

	self->leaf_d->eax = (uint32_t)allowed;
	self->leaf_d->edx = allowed >> 32;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_CPUID, self->cpuid));
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&self->vm, 0));
	ASSERT_EQ(0xe9, self->vm.run[0]->io.port);
	for (i = 0; i < n; i++) {
		int refused = results[i], want = !xcr0_valid(values[i], allowed | XF_FP);

		if (refused != want && wrong++ < 8)
			TH_LOG("XCR0 0x%llx: %s, should be %s (leaf 0xD allows 0x%llx)",
			       (unsigned long long)values[i], refused ? "#GP" : "taken",
			       want ? "#GP" : "taken", (unsigned long long)allowed);
	}
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(host, xgetbv0());
}

TEST_F(xsetbv, everything_supported)
{
	TH_LOG("supported XCR0 0x%llx, host 0x%llx", (unsigned long long)self->supported,
	       (unsigned long long)xgetbv0());
	try_all(_metadata, self, self->supported);
}

/* A VMM that offers less than the host has: the rest must #GP. */
TEST_F(xsetbv, only_x87_and_sse)
{
	try_all(_metadata, self, XF_FP | XF_SSE);
}

/* Leaf 0xD claiming everything tried: still only what ringvm supports. */
TEST_F(xsetbv, leaf_claims_more_than_supported)
{
	uint64_t *values = (uint64_t *)(self->vm.mem + VALUES_AT);
	uint8_t *results = self->vm.mem + RESULTS_AT;
	int i, wrong = 0;

	values[0] = 0;
	*(uint32_t *)(self->vm.mem + NVALUES_AT) = 0;
	self->leaf_d->eax = (uint32_t)TRIED_BITS;
	self->leaf_d->edx = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_CPUID, self->cpuid));
	for (i = 0; i < NTRIED; i++) {
		uint64_t v = 0;
		int b, k = 0;

		for (b = 0; b < 64; b++)
			if (TRIED_BITS & (1ull << b))
				if (i & (1 << k++))
					v |= 1ull << b;
		values[i] = v;
	}
	*(uint32_t *)(self->vm.mem + NVALUES_AT) = NTRIED;
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&self->vm, 0));
	for (i = 0; i < NTRIED; i++) {
		int want = !xcr0_valid(values[i], self->supported | XF_FP);

		if (results[i] != want && wrong++ < 8)
			TH_LOG("XCR0 0x%llx: %s", (unsigned long long)values[i],
			       results[i] ? "#GP" : "taken");
	}
	EXPECT_EQ(0, wrong);
}

TEST_HARNESS_MAIN
