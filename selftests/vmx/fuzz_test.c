// SPDX-License-Identifier: GPL-2.0
/*
 * Robustness: random ioctls on the system, VM and vCPU fds, and random
 * guest code in real, protected and long mode.  Whatever happens, the
 * calls return (an error or an exit), the host stays up, and the kernel
 * log stays free of warnings (the runner checks it after the suite).
 * Seeds are fixed so a failure can be replayed.
 *
 * Random bytes alone rarely get past the first check of an ioctl or reach
 * MMIO, so the fuzzers mix in arguments that look valid (memory slots in
 * a pool the test owns, registers pointing into a hole in guest memory)
 * and assert that they reached those paths: a fuzzer that only ever hit
 * EINVAL would prove nothing.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define IOCTL_CALLS	100000
#define PAYLOADS	1000
#define EXITS_PER_PAYLOAD 64

/* Valid-looking slots: guest addresses above the test VM's memory. */
#define POOL_PAGES	256
#define FUZZ_SLOT_GPA	0x40000000ull
#define FUZZ_SLOT_SPAN	(64ull << 20)

/* The payload VM leaves a hole where a PC has its VGA window: MMIO. */
#define HOLE_START	0xa0000u
#define HOLE_END	0x100000u

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic per seed, good enough to spread inputs. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void on_alarm(int sig)
{
}

/* A periodic signal bounds every RINGVM_RUN the fuzzers make. */
static void arm_kicker(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

FIXTURE(fuzz) {
	struct rv_vm vm;
};

FIXTURE_SETUP(fuzz)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(fuzz)
{
	struct itimerval off = { 0 };

	setitimer(ITIMER_REAL, &off, NULL);
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static const unsigned long vcpu_ioctls[] = {
	RINGVM_RUN, RINGVM_GET_REGS, RINGVM_SET_REGS, RINGVM_GET_SREGS, RINGVM_SET_SREGS,
	RINGVM_INTERRUPT, RINGVM_GET_MSRS, RINGVM_SET_MSRS, RINGVM_GET_FPU, RINGVM_SET_FPU,
	RINGVM_SET_CPUID, RINGVM_GET_CPUID,
};
static const unsigned long vm_ioctls[] = {
	RINGVM_SET_USER_MEMORY_REGION, RINGVM_CREATE_VCPU,
};
static const unsigned long sys_ioctls[] = {
	RINGVM_GET_API_VERSION, RINGVM_CHECK_EXTENSION, RINGVM_GET_VCPU_MMAP_SIZE,
	RINGVM_GET_SUPPORTED_CPUID, RINGVM_GET_MSR_INDEX_LIST,
};

/*
 * A slot the kernel should take: page-aligned, in a pool the test owns, at a
 * guest address no other slot of the test VM uses (fuzz slots may still
 * collide with each other: EEXIST is a fine answer too).
 */
static void valid_looking_slot(struct ringvm_userspace_memory_region *mr, uint8_t *pool)
{
	uint64_t pages = 1 + rnd() % 16;

	memset(mr, 0, sizeof(*mr));
	mr->slot = 2 + rnd() % (RINGVM_MAX_MEMSLOTS - 2);
	mr->flags = rnd() % 4 ? 0 : RINGVM_MEM_READONLY;
	mr->guest_phys_addr = FUZZ_SLOT_GPA + (rnd() % (FUZZ_SLOT_SPAN >> 12)) * 4096;
	mr->memory_size = rnd() % 4 ? pages * 4096 : 0;
	mr->userspace_addr = (uintptr_t)pool + (rnd() % (POOL_PAGES - 16)) * 4096;
}

TEST_F(fuzz, random_ioctls)
{
	/* A guard page after the buffer turns overruns into EFAULT, not corruption. */
	const size_t size = 16384;
	uint8_t *buf = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *pool = mmap(NULL, POOL_PAGES * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long calls = 0, ok = 0, kind_ok[3] = { 0 }, errs[256] = { 0 };
	unsigned long created = 0, deleted = 0, vcpus = 0;
	uint32_t live = 0;	/* fuzz slots the kernel accepted and still holds */
	int i;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_NE(MAP_FAILED, pool);
	ASSERT_EQ(0, mprotect(buf + size, 4096, PROT_NONE));
	rng_state = 0x5eed1234;
	arm_kicker();
	for (i = 0; i < IOCTL_CALLS; i++) {
		unsigned int kind = rnd() % 3, k;
		unsigned long req, arg;
		int fd, r;

		/* Random contents, with sizes and counts sometimes small and valid. */
		for (k = 0; k < 64; k++)
			((uint64_t *)buf)[rnd() % (size / 8)] = rnd();
		if (rnd() % 2)
			*(uint32_t *)buf = rnd() % 300;

		if (kind == 0) {
			fd = self->vm.vcpu[0];
			req = vcpu_ioctls[rnd() % ARRAY_SIZE(vcpu_ioctls)];
		} else if (kind == 1) {
			fd = self->vm.fd;
			req = vm_ioctls[rnd() % ARRAY_SIZE(vm_ioctls)];
		} else {
			fd = self->vm.sys;
			req = sys_ioctls[rnd() % ARRAY_SIZE(sys_ioctls)];
		}
		if (rnd() % 8 == 0)	/* an unknown number in our space */
			req = _IOC(rnd() % 4, RINGVMIO, rnd() % 256, rnd() % 512);

		switch (rnd() % 4) {
		case 0: arg = (unsigned long)buf; break;
		case 1: arg = rnd() % 64; break;
		case 2: arg = rnd(); break;			/* wild pointer */
		default: arg = (unsigned long)buf + size - rnd() % 64; break;
		}
		/* Memory slots must not swallow the VM's own slot 0 or the test's memory. */
		if (req == RINGVM_SET_USER_MEMORY_REGION && arg == (unsigned long)buf &&
		    *(uint32_t *)buf < 2)
			*(uint32_t *)buf = 2 + rnd() % 30;
		if (req == RINGVM_SET_USER_MEMORY_REGION && rnd() % 2) {
			struct ringvm_userspace_memory_region *mr = (void *)buf;

			valid_looking_slot(mr, pool);
			arg = (unsigned long)buf;
			r = ioctl(fd, req, arg);
			calls++;
			if (r)
				continue;
			ok++;
			kind_ok[kind]++;
			if (mr->memory_size) {
				created++;
				live |= 1u << mr->slot;
			} else if (live & (1u << mr->slot)) {
				deleted++;
				live &= ~(1u << mr->slot);
			}
			continue;
		}
		if (req == RINGVM_CREATE_VCPU) {
			r = ioctl(fd, req, arg);
			if (r >= 0) {
				vcpus++;
				close(r);
			}
			calls++;
			continue;
		}
		r = ioctl(fd, req, arg);
		calls++;
		if (r >= 0) {
			ok++;
			kind_ok[kind]++;
		} else {
			errs[errno & 255]++;
		}
	}
	TH_LOG("%lu calls, %lu succeeded (vcpu %lu, vm %lu, system %lu)", calls, ok,
	       kind_ok[0], kind_ok[1], kind_ok[2]);
	TH_LOG("slots created %lu, deleted %lu; vCPUs created %lu", created, deleted, vcpus);
	TH_LOG("errors: EINVAL %lu EFAULT %lu ENOTTY %lu E2BIG %lu EINTR %lu EIO %lu EEXIST %lu",
	       errs[EINVAL], errs[EFAULT], errs[ENOTTY], errs[E2BIG], errs[EINTR], errs[EIO],
	       errs[EEXIST]);
	/* The VM still works afterwards. */
	EXPECT_EQ(RINGVM_API_VERSION, ioctl(self->vm.sys, RINGVM_GET_API_VERSION, 0));
	/* The fuzzer got past argument checking on every fd, and slots came and went. */
	EXPECT_GT(kind_ok[0], 0);
	EXPECT_GT(kind_ok[1], 0);
	EXPECT_GT(kind_ok[2], 0);
	EXPECT_GT(created, 0);
	EXPECT_GT(deleted, 0);
	EXPECT_GT(vcpus, 0);
	munmap(pool, POOL_PAGES * 4096);
	munmap(buf, size + 4096);
}

/*
 * Answer whatever the guest asks for, until it stops or EXITS_PER_PAYLOAD
 * exits; @seen counts every exit by reason.
 */
static int drive(struct rv_vm *vm, int *seen)
{
	int n, r = 0;

	for (n = 0; n < EXITS_PER_PAYLOAD; n++) {
		r = rv_run(vm, 0);
		if (r < 0 && r != -EINTR)
			return r;
		seen[r < 0 ? 15 : r & 15]++;
		if (r == RINGVM_EXIT_SHUTDOWN || r == RINGVM_EXIT_INTERNAL_ERROR ||
		    r == RINGVM_EXIT_FAIL_ENTRY)
			return r;
		if (r == RINGVM_EXIT_MMIO && !vm->run[0]->mmio.is_write)
			memset(vm->run[0]->mmio.data, 0x5a, 8);
		if (r == RINGVM_EXIT_INTR || r == -EINTR)
			return r;
	}
	return r;
}

/*
 * Half the payloads start with every general register (but RSP) pointing
 * into the hole, and in real mode with DS = ES = the hole's segment, so
 * that random memory operands land on MMIO as often as on RAM.
 */
static int aim_at_hole(struct rv_vm *vm, int mode)
{
	struct ringvm_regs regs;
	__u64 *gprs[] = {
		&regs.rax, &regs.rbx, &regs.rcx, &regs.rdx, &regs.rsi, &regs.rdi, &regs.rbp,
		&regs.r8, &regs.r9, &regs.r10, &regs.r11, &regs.r12, &regs.r13, &regs.r14,
		&regs.r15,
	};
	unsigned int k;

	if (ioctl(vm->vcpu[0], RINGVM_GET_REGS, &regs))
		return -errno;
	for (k = 0; k < ARRAY_SIZE(gprs); k++)
		*gprs[k] = mode == 16 ? rnd() % 0x10000 :
			   HOLE_START + rnd() % (HOLE_END - HOLE_START);
	if (ioctl(vm->vcpu[0], RINGVM_SET_REGS, &regs))
		return -errno;
	if (mode == 16) {
		struct ringvm_sregs sr;

		if (ioctl(vm->vcpu[0], RINGVM_GET_SREGS, &sr))
			return -errno;
		sr.ds.selector = sr.es.selector = HOLE_START >> 4;
		sr.ds.base = sr.es.base = HOLE_START;
		if (ioctl(vm->vcpu[0], RINGVM_SET_SREGS, &sr))
			return -errno;
	}
	return 0;
}

static void fuzz_mode(struct __test_metadata *_metadata, struct rv_vm *vm, int mode,
		      uint64_t seed)
{
	int i, k, outcomes[16] = { 0 }, seen[16] = { 0 };

	/* Slot 0 becomes RAM below the hole and slot 1 RAM above it. */
	ASSERT_EQ(0, rv_set_slot(vm, 0, 0, 0, 0, NULL));
	ASSERT_EQ(0, rv_set_slot(vm, 0, 0, 0, HOLE_START, vm->mem));
	ASSERT_EQ(0, rv_set_slot(vm, 1, 0, HOLE_END, vm->mem_size - HOLE_END,
				 vm->mem + HOLE_END));
	rng_state = seed;
	arm_kicker();
	for (i = 0; i < PAYLOADS; i++) {
		uint8_t *code = vm->mem + (mode == 16 ? 0x7c00 : RV_CODE);
		int r;

		for (k = 0; k < 256; k++)
			code[k] = rnd();
		if (mode == 16)
			r = rv_real_mode(vm, 0, 0x7c00);
		else if (mode == 32)
			r = rv_prot_mode(vm, 0, RV_CODE);
		else
			r = rv_long_mode(vm, 0, RV_CODE);
		ASSERT_EQ(0, r);
		if (i % 2)
			ASSERT_EQ(0, aim_at_hole(vm, mode));
		r = drive(vm, seen);
		/* RUN never fails with an error the caller did not cause. */
		ASSERT_TRUE(r >= 0 || r == -EINTR) TH_LOG("payload %d: RUN failed: %d", i, r);
		outcomes[r < 0 ? 15 : r & 15]++;
	}
	TH_LOG("mode %d, last exits: shutdown %d, internal %d, io %d, mmio %d, hlt %d, intr %d",
	       mode, outcomes[RINGVM_EXIT_SHUTDOWN], outcomes[RINGVM_EXIT_INTERNAL_ERROR],
	       outcomes[RINGVM_EXIT_IO], outcomes[RINGVM_EXIT_MMIO], outcomes[RINGVM_EXIT_HLT],
	       outcomes[RINGVM_EXIT_INTR] + outcomes[15]);
	TH_LOG("mode %d, all exits: io %d, mmio %d, hlt %d, shutdown %d, internal %d",
	       mode, seen[RINGVM_EXIT_IO], seen[RINGVM_EXIT_MMIO], seen[RINGVM_EXIT_HLT],
	       seen[RINGVM_EXIT_SHUTDOWN], seen[RINGVM_EXIT_INTERNAL_ERROR]);
	/* A payload must never make VM entry itself fail: the state is ours. */
	EXPECT_EQ(0, seen[RINGVM_EXIT_FAIL_ENTRY]);
	/* The payloads reached the exits they exist to fuzz. */
	EXPECT_GT(seen[RINGVM_EXIT_IO], 0);
	EXPECT_GT(seen[RINGVM_EXIT_MMIO], 0);
}

TEST_F(fuzz, random_real_mode_payloads)
{
	fuzz_mode(_metadata, &self->vm, 16, 0x1616);
}

TEST_F(fuzz, random_protected_mode_payloads)
{
	fuzz_mode(_metadata, &self->vm, 32, 0x3232);
}

TEST_F(fuzz, random_long_mode_payloads)
{
	fuzz_mode(_metadata, &self->vm, 64, 0x6464);
}

TEST_HARNESS_MAIN
