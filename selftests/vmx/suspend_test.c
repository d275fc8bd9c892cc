// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 6, item 8: a suspend with a VM alive.  The host goes through a
 * test suspend (/sys/power/pm_test "core": tasks frozen, devices
 * suspended, non-boot CPUs offline, syscore suspend callbacks, then
 * resume without powering down) while a vCPU thread runs a guest that
 * counts in a loop.  ringvm's syscore callbacks VMCLEAR every VMCS and
 * leave VMX operation, then enter it again; the guest must count on and
 * RINGVM_RUN keep returning only EINTR (the freezer's and ours).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

/* Count at RV_DATA for ever: no exit but the host's own. */
RV_GUEST_CODE(g_count, 64, "1: incl 0x20000\n jmp 1b\n");

struct vcpu_thread {
	struct rv_vm *vm;
	volatile int stop;
	int bad_errno;		/* RINGVM_RUN failed with something but EINTR */
	int bad_exit;		/* or returned an exit to userspace */
};

static void *vcpu_loop(void *arg)
{
	struct vcpu_thread *t = arg;

	while (!t->stop) {
		if (!ioctl(t->vm->vcpu[0], RINGVM_RUN, 0)) {
			t->bad_exit = t->vm->run[0]->exit_reason + 1;
			break;
		}
		if (errno != EINTR) {
			t->bad_errno = errno;
			break;
		}
	}
	return NULL;
}

static void on_usr1(int sig)
{
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static bool file_has_word(const char *path, const char *word)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, word) != NULL;
}

/* Wait for the guest's counter to pass @from; false after a minute without it. */
static bool counter_passes(struct rv_vm *vm, uint32_t from)
{
	volatile uint32_t *c = (volatile uint32_t *)(vm->mem + RV_DATA);
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (*c - from < 0x80000000u && *c != from)
			return true;
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 60);
	return false;
}

TEST(vm_runs_on_after_test_suspend)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct vcpu_thread t = { 0 };
	const char *target;
	struct rv_vm vm;
	pthread_t th;
	uint32_t before;
	int r;

	ASSERT_TRUE(file_has_word("/sys/power/pm_test", "core")) {
		TH_LOG("this host kernel has no pm_test (CONFIG_PM_DEBUG)");
	}
	/* S3 if the firmware offers it; otherwise hibernation runs the same callbacks. */
	target = file_has_word("/sys/power/state", "mem") ? "mem" : "disk";
	ASSERT_TRUE(file_has_word("/sys/power/state", target)) {
		TH_LOG("/sys/power/state offers neither mem nor disk");
	}

	ASSERT_EQ(0, rv_load_module("ringvm"));
	r = rv_vm_init(&vm, 1);
	if (r)
		TH_LOG("%s failed: %s", vm.failed, strerror(-r));
	ASSERT_EQ(0, r);
	rv_load(&vm, RV_CODE, g_count_start, g_count_end);
	ASSERT_EQ(0, rv_long_mode(&vm, 0, RV_CODE));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	t.vm = &vm;
	ASSERT_EQ(0, pthread_create(&th, NULL, vcpu_loop, &t));
	EXPECT_TRUE(counter_passes(&vm, 0));

	ASSERT_EQ(0, write_str("/sys/power/pm_test", "core"));
	r = write_str("/sys/power/state", target);
	EXPECT_EQ(0, write_str("/sys/power/pm_test", "none"));
	EXPECT_EQ(0, r) {
		TH_LOG("echo %s > /sys/power/state: %s", target, strerror(-r));
	}

	before = *(volatile uint32_t *)(vm.mem + RV_DATA);
	EXPECT_TRUE(counter_passes(&vm, before)) {
		TH_LOG("the guest stopped counting at %u after the suspend", before);
	}

	t.stop = 1;
	vm.run[0]->immediate_exit = 1;
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	EXPECT_EQ(0, t.bad_errno) {
		TH_LOG("RINGVM_RUN failed: %s", strerror(t.bad_errno));
	}
	EXPECT_EQ(0, t.bad_exit) {
		TH_LOG("RINGVM_RUN returned exit reason %d", t.bad_exit - 1);
	}
	rv_vm_destroy(&vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

TEST_HARNESS_MAIN
