// SPDX-License-Identifier: GPL-2.0
/*
 * `perf stat -e ringvm:exit` (Debian's perf, inside the test host) counts
 * a guest's exits exactly: the program perf runs is this test binary
 * re-executed in "guest mode", which runs a guest doing a known number of
 * CPUID exits and reports the module's own counter.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "vmx_util.h"

#define NCPUID 2000

RV_GUEST_CODE(perf_loop, 64,
	"mov $2000, %edi\n 1: xor %eax, %eax\n cpuid\n dec %edi\n jnz 1b\n hlt\n");

/*
 * Guest mode: run the loop once and print the module's exit count, taken
 * before the VM goes so that it is the whole story.
 */
__attribute__((constructor)) static void guest_mode(void)
{
	struct rv_vm_stats s;
	struct rv_vm vm;
	uint64_t total = 0;
	int i;

	if (!getenv("RV_PERF_GUEST"))
		return;
	if (rv_vm_init(&vm, 1))
		exit(2);
	rv_load(&vm, RV_CODE, perf_loop_start, perf_loop_end);
	if (rv_long_mode(&vm, 0, RV_CODE) || rv_run(&vm, 0) != RINGVM_EXIT_HLT)
		exit(3);
	if (rv_genl_dump(getpid(), &s) < 1 || !s.found)
		exit(4);
	for (i = 0; i < 128; i++)
		total += s.exits[i];
	printf("exits %llu cpuid %llu\n", (unsigned long long)total,
	       (unsigned long long)s.exits[10]);
	rv_vm_destroy(&vm);
	exit(0);
}

FIXTURE(perf) {
	int dummy;
};

FIXTURE_SETUP(perf)
{
	ASSERT_EQ(0, rv_load_module("ringvm"));
}

FIXTURE_TEARDOWN(perf)
{
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/* Runs perf stat on guest mode; returns perf's count and the module's. */
static int perf_count(const char *event, long *perf, long *module, long *cpuid)
{
	char cmd[512], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "RV_PERF_GUEST=1 perf stat -x, -e %s /proc/%d/exe 2>&1", event, getpid());
	p = popen(cmd, "r");
	if (!p)
		return -1;
	*perf = *module = *cpuid = -1;
	while (fgets(line, sizeof(line), p)) {
		long a, b;

		if (sscanf(line, "exits %ld cpuid %ld", &a, &b) == 2) {
			*module = a;
			*cpuid = b;
		} else if (strstr(line, event)) {
			*perf = strtol(line, NULL, 10);
		}
	}
	return pclose(p);
}

TEST_F(perf, perf_stat_counts_ringvm_exits)
{
	long perf, module, cpuid;

	ASSERT_EQ(0, perf_count("ringvm:exit", &perf, &module, &cpuid));
	EXPECT_EQ(NCPUID, cpuid);
	EXPECT_EQ(module, perf);
	EXPECT_LE(NCPUID, perf);
}

TEST_F(perf, perf_stat_counts_entries)
{
	long perf, module, cpuid;

	/* Every exit was preceded by an entry. */
	ASSERT_EQ(0, perf_count("ringvm:entry", &perf, &module, &cpuid));
	EXPECT_EQ(module, perf);
}

TEST_HARNESS_MAIN
