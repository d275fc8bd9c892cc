// SPDX-License-Identifier: GPL-2.0
/*
 * The ringvm ABI outside of guest execution: system, VM and vCPU ioctls,
 * their argument checks, memory slots, register state and MSRs.
 */
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

FIXTURE(api) {
	struct rv_vm vm;
};

FIXTURE_SETUP(api)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(api)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_F(api, system_ioctls)
{
	int sys = self->vm.sys;

	EXPECT_EQ(RINGVM_API_VERSION, ioctl(sys, RINGVM_GET_API_VERSION, 0));
	EXPECT_EQ(2 * 4096, ioctl(sys, RINGVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_EQ(1, ioctl(sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_USER_MEMORY));
	EXPECT_EQ(1, ioctl(sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_READONLY_MEM));
	EXPECT_EQ(RINGVM_MAX_MEMSLOTS, ioctl(sys, RINGVM_CHECK_EXTENSION, RINGVM_CAP_NR_MEMSLOTS));
	EXPECT_EQ(0, ioctl(sys, RINGVM_CHECK_EXTENSION, 0x7fffffff));
	EXPECT_EQ(-1, ioctl(sys, RINGVM_CREATE_VM, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(api, supported_cpuid)
{
	struct {
		struct ringvm_cpuid hdr;
		struct ringvm_cpuid_entry e[256];
	} c = { .hdr.nent = 1 };
	uint32_t i, found = 0;

	/* Too small: E2BIG and the size needed. */
	EXPECT_EQ(-1, ioctl(self->vm.sys, RINGVM_GET_SUPPORTED_CPUID, &c));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_LT(1, c.hdr.nent);
	c.hdr.nent = 256;
	ASSERT_EQ(0, ioctl(self->vm.sys, RINGVM_GET_SUPPORTED_CPUID, &c));
	for (i = 0; i < c.hdr.nent; i++) {
		if (c.e[i].function == 1) {
			found++;
			EXPECT_EQ(0, c.e[i].ecx & (1u << 5)) TH_LOG("VMX must be hidden");
			EXPECT_NE(0, c.e[i].ecx & (1u << 31)) TH_LOG("hypervisor bit");
		}
		if (c.e[i].function == 0x40000000) {
			found++;
			EXPECT_EQ(0, memcmp(&c.e[i].ebx, "ring", 4));
		}
	}
	EXPECT_EQ(2, found);
}

TEST_F(api, vcpu_ids)
{
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_CREATE_VCPU, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioctl(self->vm.fd, RINGVM_CREATE_VCPU, 1000));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(api, unknown_ioctls)
{
	EXPECT_EQ(-1, ioctl(self->vm.fd, _IO(RINGVMIO, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], _IO(RINGVMIO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_RUN, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* A /proc field in kB ("VmLck:" of /proc/self/status, "MemFree:" of /proc/meminfo). */
static long proc_kb(const char *file, const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			kb = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return kb;
}

/*
 * One VM, and every other one with 64 KiB of memory and a vCPU that runs
 * to HLT there, so that guest pages are pinned and EPT tables built.
 * Returns the VmLck (kB) seen while the VM was alive.
 */
static long one_vm(struct __test_metadata *_metadata, int sys, bool with_guest)
{
	struct rv_vm vm = { .sys = sys, .mem_size = 16 * 4096 };
	long locked = -1;

	vm.fd = ioctl(sys, RINGVM_CREATE_VM, 0);
	ASSERT_LE(0, vm.fd);
	if (with_guest) {
		vm.run_size = ioctl(sys, RINGVM_GET_VCPU_MMAP_SIZE, 0);
		vm.mem = mmap(NULL, vm.mem_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, vm.mem);
		vm.mem[0x7c00] = 0xf4;	/* hlt */
		ASSERT_EQ(0, rv_set_slot(&vm, 0, 0, 0, vm.mem_size, vm.mem));
		vm.vcpu[0] = ioctl(vm.fd, RINGVM_CREATE_VCPU, 0);
		ASSERT_LE(0, vm.vcpu[0]);
		vm.run[0] = mmap(NULL, vm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 vm.vcpu[0], 0);
		ASSERT_NE(MAP_FAILED, vm.run[0]);
		ASSERT_EQ(0, rv_real_mode(&vm, 0, 0x7c00));
		ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(&vm, 0));
		locked = proc_kb("/proc/self/status", "VmLck:");
	}
	vm.sys = -1;		/* the caller's */
	rv_vm_destroy(&vm);
	return locked;
}

/*
 * KASAN's quarantine keeps freed slab objects out of MemFree for a while, so
 * a KASAN kernel (make check-debug) cannot judge a leak by MemFree; the
 * normal kernels of make check do.
 */
static bool kasan_quarantine(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " kasan_quarantine_reduce\n") != NULL;
	fclose(f);
	return found;
}

TEST_F(api, create_destroy_1000_vms)
{
	long lck0, free0, free1, lck_alive = -1;
	int i;

	/* Warm the slab caches first, so that what follows measures leaks only. */
	for (i = 0; i < 20; i++)
		one_vm(_metadata, self->vm.sys, i % 2);
	lck0 = proc_kb("/proc/self/status", "VmLck:");
	free0 = proc_kb("/proc/meminfo", "MemFree:");
	ASSERT_LE(0, lck0);
	ASSERT_LT(0, free0);
	for (i = 0; i < 1000; i++) {
		long l = one_vm(_metadata, self->vm.sys, i % 2);

		if (l > lck_alive)
			lck_alive = l;
	}
	free1 = proc_kb("/proc/meminfo", "MemFree:");
	TH_LOG("VmLck %ld kB before, %ld kB with a guest running, %ld kB after; "
	       "MemFree %ld kB before, %ld kB after",
	       lck0, lck_alive, proc_kb("/proc/self/status", "VmLck:"), free0, free1);
	/* The guests pinned memory (charged to this process) ... */
	EXPECT_LT(lck0, lck_alive);
	/* ... and every pin went with its VM. */
	EXPECT_EQ(lck0, proc_kb("/proc/self/status", "VmLck:"));
	/*
	 * Each VM holds at least a page of kernel memory (its EPT root) and half
	 * of them 64 KiB of pinned guest memory: a leak of either in 1000 VMs is
	 * 4 MiB or more, well above what per-CPU page lists hold back.
	 */
	if (kasan_quarantine())
		TH_LOG("KASAN quarantine holds freed objects: MemFree not judged here");
	else
		EXPECT_GT(3 * 1024, free0 - free1);
}

TEST_F(api, memslots)
{
	uint8_t *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, m);
	/* Overlap with slot 0 (0..4 MiB). */
	EXPECT_EQ(-1, rv_set_slot(&self->vm, 1, 0, 0x100000, 1 << 20, m));
	EXPECT_EQ(EEXIST, errno);
	/* Unaligned, unknown flag, bad slot, wrap. */
	EXPECT_EQ(-1, rv_set_slot(&self->vm, 1, 0, 0x1000001, 1 << 20, m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, rv_set_slot(&self->vm, 1, 0x80, 0x1000000, 1 << 20, m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, rv_set_slot(&self->vm, RINGVM_MAX_MEMSLOTS, 0, 0x1000000, 1 << 20, m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, rv_set_slot(&self->vm, 1, 0, ~0xfffull, 1 << 20, m));
	EXPECT_EQ(EINVAL, errno);
	/* Kernel address as the backing. */
	EXPECT_EQ(-1, rv_set_slot(&self->vm, 1, 0, 0x1000000, 1 << 20,
				  (void *)0xffff888000000000ull));
	EXPECT_EQ(EINVAL, errno);
	/* Add, move, resize refused, delete, add again. */
	EXPECT_EQ(0, rv_set_slot(&self->vm, 1, 0, 0x1000000, 1 << 20, m));
	EXPECT_EQ(0, rv_set_slot(&self->vm, 1, 0, 0x2000000, 1 << 20, m));
	EXPECT_EQ(-1, rv_set_slot(&self->vm, 1, 0, 0x2000000, 2 << 20, m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, rv_set_slot(&self->vm, 1, 0, 0x2000000, 0, m));
	EXPECT_EQ(0, rv_set_slot(&self->vm, 1, RINGVM_MEM_READONLY, 0x1000000, 1 << 20, m));
	munmap(m, 1 << 20);
}

TEST_F(api, regs_round_trip)
{
	struct ringvm_regs in, out;
	uint64_t *p = (uint64_t *)&in;
	unsigned int i;

	for (i = 0; i < sizeof(in) / 8; i++)
		p[i] = 0x1111111111111111ull * (i + 1);
	in.rflags = 0x246;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_REGS, &in));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &out));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
}

TEST_F(api, sregs_round_trip)
{
	struct ringvm_sregs in, out;

	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &in));
	in.fs.base = 0x7f0000001000ull;
	in.gs.base = 0xffff888000002000ull;
	in.cr2 = 0xdead000;
	in.cr8 = 5;
	in.idt.base = 0x123000;
	in.idt.limit = 0xfff;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &in));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &out));
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
	EXPECT_EQ(0x500, out.efer);
	/* LMA without paging is inconsistent. */
	in.cr0 = 0x11;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &in));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * SREGS.interrupt_bitmap is the vCPU's acknowledged interrupt, here
 * RINGVM_INTERRUPT's (KVM's layout): GET_SREGS shows it, SET_SREGS sets
 * it, an empty bitmap drops it and more than one vector is refused.
 */
TEST_F(api, sregs_interrupt_bitmap)
{
	struct ringvm_interrupt irq = { .irq = 0x40 };
	struct ringvm_sregs sr, now;

	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &sr));
	EXPECT_EQ(0, sr.interrupt_bitmap[0]);
	EXPECT_EQ(1, sr.interrupt_bitmap[1]) TH_LOG("vector 0x40");
	EXPECT_EQ(0, sr.interrupt_bitmap[2] | sr.interrupt_bitmap[3]);
	irq.irq = 0x41;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	EXPECT_EQ(EBUSY, errno);

	sr.interrupt_bitmap[3] = 1ull << 63;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &sr));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &now));
	EXPECT_EQ(1, now.interrupt_bitmap[1]) TH_LOG("the refused SET_SREGS changed nothing");
	EXPECT_EQ(0, now.interrupt_bitmap[3]);

	sr.interrupt_bitmap[1] = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &sr));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &now));
	EXPECT_EQ(1ull << 63, now.interrupt_bitmap[3]) TH_LOG("vector 0xff set");
	EXPECT_EQ(0, now.interrupt_bitmap[1]) TH_LOG("vector 0x40 replaced");
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	EXPECT_EQ(EBUSY, errno);

	memset(sr.interrupt_bitmap, 0, sizeof(sr.interrupt_bitmap));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &sr));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &now));
	EXPECT_EQ(0, now.interrupt_bitmap[3]) TH_LOG("an empty bitmap drops it");
	EXPECT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
}

/*
 * A VMM built before interrupt_bitmap keeps its ioctl numbers: GET_SREGS
 * writes the old size only, and SET_SREGS leaves the acknowledged
 * interrupt alone (the old layout says nothing about it).
 */
TEST_F(api, sregs_old_layout)
{
	size_t old = offsetof(struct ringvm_sregs, interrupt_bitmap);
	unsigned long get_v1 = _IOC(_IOC_READ, RINGVMIO, 0x83, old);
	unsigned long set_v1 = _IOC(_IOC_WRITE, RINGVMIO, 0x84, old);
	struct ringvm_interrupt irq = { .irq = 0x40 };
	struct ringvm_sregs sr, now;

	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	memset(&sr, 0xa5, sizeof(sr));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], get_v1, &sr));
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, sr.interrupt_bitmap[0]) TH_LOG("written past the old size");
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &now));
	EXPECT_EQ(0, memcmp(&sr, &now, old));
	sr.cr2 = 0x1234000;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], set_v1, &sr));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &now));
	EXPECT_EQ(0x1234000, now.cr2);
	EXPECT_EQ(1, now.interrupt_bitmap[1]) TH_LOG("vector 0x40 kept");
}

/* Bases VM entry would refuse are refused here, and change nothing. */
TEST_F(api, sregs_bad_bases_are_einval)
{
	struct ringvm_sregs good, bad, now;

	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &good));
	bad = good;
	bad.cs.base = 0x100000000ull;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad = good;
	bad.ss.base = 0xffffffff00000000ull;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad = good;
	bad.fs.base = 0x0000800000000000ull;	/* not canonical */
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad = good;
	bad.gdt.base = 0x8000000000000000ull;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &now));
	EXPECT_EQ(0, memcmp(&good, &now, sizeof(good)));
	/* The vCPU still runs what it ran. */
	EXPECT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &good));
}

TEST_F(api, msrs_round_trip)
{
	struct {
		struct ringvm_msrs hdr;
		struct ringvm_msr_entry e[4];
	} m = { .hdr.nmsrs = 4 };

	m.e[0].index = 0xc0000082;	/* LSTAR */
	m.e[0].data = 0xffffffff81000000ull;
	m.e[1].index = 0xc0000102;	/* KERNEL_GS_BASE */
	m.e[1].data = 0xffff888012340000ull;
	m.e[2].index = 0x277;		/* PAT */
	m.e[2].data = 0x0007010600070106ull;
	m.e[3].index = 0xdeadbeef;	/* unknown: stops here */
	EXPECT_EQ(3, ioctl(self->vm.vcpu[0], RINGVM_SET_MSRS, &m));
	memset(&m.e[0].data, 0, 8);
	m.e[1].data = 0;
	m.e[2].data = 0;
	EXPECT_EQ(3, ioctl(self->vm.vcpu[0], RINGVM_GET_MSRS, &m));
	EXPECT_EQ(0xffffffff81000000ull, m.e[0].data);
	EXPECT_EQ(0xffff888012340000ull, m.e[1].data);
	EXPECT_EQ(0x0007010600070106ull, m.e[2].data);
	m.hdr.nmsrs = 100000;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_GET_MSRS, &m));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(api, fpu_round_trip)
{
	struct ringvm_fpu in, out;

	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_FPU, &in));
	in.xmm[3][0] = 0xab;
	in.xmm[15][15] = 0xcd;
	in.mxcsr = 0x1f80 | 0x8000;
	in.fcw = 0x37e;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_FPU, &in));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_FPU, &out));
	EXPECT_EQ(0xab, out.xmm[3][0]);
	EXPECT_EQ(0xcd, out.xmm[15][15]);
	EXPECT_EQ(in.mxcsr, out.mxcsr);
	EXPECT_EQ(0x37e, out.fcw);
}

TEST_F(api, interrupt_argument_checks)
{
	struct ringvm_interrupt irq = { .irq = 3 };

	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
	irq.irq = 0x30;
	EXPECT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	EXPECT_EQ(-1, ioctl(self->vm.vcpu[0], RINGVM_INTERRUPT, &irq));
	EXPECT_EQ(EBUSY, errno);
}

/* The VM is bound to the mm that created it. */
TEST_F(api, other_process_is_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct ringvm_regs regs;

		_exit(ioctl(self->vm.vcpu[0], RINGVM_GET_REGS, &regs) == -1 && errno == EIO ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child ended by signal %d", WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
