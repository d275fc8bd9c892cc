// SPDX-License-Identifier: GPL-2.0
/*
 * Observability: the generic netlink family lists the VM and counts its
 * exits by reason, and the ringvm:exit tracepoint fires exactly as often
 * as the module counts.
 */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define NCPUID 1000

/* NCPUID CPUID exits, one OUT, then HLT. */
RV_GUEST_CODE(cpuid_loop, 64,
	"mov $1000, %edi\n 1: xor %eax, %eax\n cpuid\n dec %edi\n jnz 1b\n"
	"out %al, $0x80\n hlt\n");

FIXTURE(observe) {
	struct rv_vm vm;
};

FIXTURE_SETUP(observe)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(observe)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static void run_cpuid_loop(struct __test_metadata *_metadata, struct rv_vm *vm)
{
	rv_load(vm, RV_CODE, cpuid_loop_start, cpuid_loop_end);
	ASSERT_EQ(0, rv_long_mode(vm, 0, RV_CODE));
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(vm, 0));
	ASSERT_EQ(RINGVM_EXIT_HLT, rv_run(vm, 0));
}

TEST_F(observe, netlink_lists_vm_and_counts_exits)
{
	struct rv_vm_stats s;

	ASSERT_LE(1, rv_genl_dump(getpid(), &s));
	ASSERT_TRUE(s.found);
	EXPECT_EQ(1, s.nr_vcpus);
	EXPECT_EQ(RV_MEM_SIZE, s.mem_bytes);
	EXPECT_EQ(0, s.exits[10]);

	run_cpuid_loop(_metadata, &self->vm);
	ASSERT_LE(1, rv_genl_dump(getpid(), &s));
	ASSERT_TRUE(s.found);
	EXPECT_EQ(NCPUID, s.exits[10]);		/* EXIT_REASON_CPUID */
	EXPECT_EQ(1, s.exits[30]);		/* EXIT_REASON_IO_INSTRUCTION */
	EXPECT_EQ(1, s.exits[12]);		/* EXIT_REASON_HLT */
	EXPECT_LE(1, s.exits[48]);		/* EXIT_REASON_EPT_VIOLATION */
	EXPECT_EQ(2, s.userspace_exits);
}

TEST_F(observe, netlink_forgets_closed_vm)
{
	struct rv_vm_stats s;

	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_genl_dump(getpid(), &s));
	EXPECT_FALSE(s.found);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int r;

	if (fd < 0)
		return -errno;
	r = write(fd, s, strlen(s)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Count trace lines of ringvm:exit with reason @reason. */
static long count_trace(const char *needle)
{
	FILE *f = fopen("/sys/kernel/tracing/trace", "r");
	char line[512];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

TEST_F(observe, tracepoint_count_equals_counter)
{
	struct rv_vm_stats s;

	ASSERT_EQ(0, write_file("/sys/kernel/tracing/buffer_size_kb", "4096"));
	ASSERT_EQ(0, write_file("/sys/kernel/tracing/trace", ""));
	ASSERT_EQ(0, write_file("/sys/kernel/tracing/events/ringvm/exit/enable", "1"));
	run_cpuid_loop(_metadata, &self->vm);
	ASSERT_EQ(0, write_file("/sys/kernel/tracing/events/ringvm/exit/enable", "0"));

	ASSERT_LE(1, rv_genl_dump(getpid(), &s));
	EXPECT_EQ(NCPUID, s.exits[10]);
	EXPECT_EQ((long)s.exits[10], count_trace("exit: vcpu 0 reason 10 "));
	EXPECT_EQ((long)s.exits[30], count_trace("exit: vcpu 0 reason 30 "));
}

TEST_HARNESS_MAIN
