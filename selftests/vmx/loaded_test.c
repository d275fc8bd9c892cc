// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU loaded on a host CPU (kmod/vmx/loaded.c): its VMCS follows the
 * task between CPUs, the guest's syscall MSRs never stay behind on a CPU
 * the task left, the host FS base after an exit is the running thread's,
 * and register ioctls may fault guest memory in (issue 6, items 4, 5, 6, 9).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <asm/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <sys/klog.h>
#include <sys/utsname.h>

#include "kselftest_harness.h"
#include "vmx_util.h"

#define REPORT_PORT	0xe9
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084
#define MSR_TSC_AUX	0xc0000103

/* OUT forever: every RUN comes back with one I/O exit. */
RV_GUEST_CODE(g_out_loop, 64, "1: out %al, $0x80\n jmp 1b\n");

/*
 * Round K (R12): write LSTAR, STAR, SFMASK and TSC_AUX with values made
 * from K, read each back, report 0 on REPORT_PORT (1 on a mismatch and stop).
 */
RV_GUEST_CODE(g_msr_loop, 64,
	"mov $1, %r12d\n"
	"1:\n"
	"mov $0xc0000082, %ecx\n mov %r12d, %eax\n shl $4, %eax\n mov $0xffffffff, %edx\n wrmsr\n"
	"mov $0xc0000081, %ecx\n mov %r12d, %eax\n mov $0x00230010, %edx\n wrmsr\n"
	"mov $0xc0000084, %ecx\n mov %r12d, %eax\n and $0xffff, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov $0xc0000103, %ecx\n mov %r12d, %eax\n add $0x5000, %eax\n xor %edx, %edx\n wrmsr\n"
	"mov $0xc0000082, %ecx\n rdmsr\n mov %r12d, %ebx\n shl $4, %ebx\n"
	"cmp %ebx, %eax\n jne 2f\n cmp $0xffffffff, %edx\n jne 2f\n"
	"mov $0xc0000081, %ecx\n rdmsr\n cmp %r12d, %eax\n jne 2f\n cmp $0x00230010, %edx\n jne 2f\n"
	"mov $0xc0000084, %ecx\n rdmsr\n mov %r12d, %ebx\n and $0xffff, %ebx\n cmp %ebx, %eax\n jne 2f\n"
	"mov $0xc0000103, %ecx\n rdmsr\n mov %r12d, %ebx\n add $0x5000, %ebx\n cmp %ebx, %eax\n jne 2f\n"
	"xor %eax, %eax\n out %al, $0xe9\n inc %r12d\n jmp 1b\n"
	"2: mov $1, %al\n out %al, $0xe9\n hlt\n");

/* Read through the PAE mapping of linear 0x40000000 and report it. */
RV_GUEST_CODE(g_pae_read, 32, "mov (0x40000000), %eax\n out %eax, $0xe9\n hlt\n");

static uint64_t read_fs_self(void)
{
	uint64_t v;

	/* The thread pointer's self-link: wrong FS base, wrong thread. */
	asm volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

struct tls_run {
	struct rv_vm *vm;
	int rounds, bad_exits, wrong_fs;
	uint64_t fs_want, fs_got;
};

static void *tls_runner(void *arg)
{
	struct tls_run *t = arg;
	unsigned long fsbase = 0;
	int i;

	t->fs_want = read_fs_self();
	for (i = 0; i < t->rounds; i++) {
		if (rv_run(t->vm, 0) != RINGVM_EXIT_IO)
			t->bad_exits++;
		syscall(SYS_arch_prctl, ARCH_GET_FS, &fsbase);
		if (read_fs_self() != t->fs_want || fsbase != t->fs_want) {
			t->wrong_fs++;
			t->fs_got = fsbase;
		}
	}
	return NULL;
}

FIXTURE(loaded) {
	struct rv_vm vm;
};

FIXTURE_SETUP(loaded)
{
	RV_FIXTURE_SETUP(&self->vm, 1);
}

FIXTURE_TEARDOWN(loaded)
{
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/*
 * Item 6: the vCPU is created on this thread and run on another, as the
 * ringvm VMM does; after every exit the running thread keeps its own TLS.
 */
TEST_F(loaded, tls_of_the_running_thread)
{
	struct tls_run t = { .vm = &self->vm, .rounds = 200 };
	pthread_t th;

	rv_load(&self->vm, RV_CODE, g_out_loop_start, g_out_loop_end);
	ASSERT_EQ(0, rv_long_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, pthread_create(&th, NULL, tls_runner, &t));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, t.bad_exits);
	if (t.wrong_fs)
		TH_LOG("%d of %d exits came back with FS base 0x%llx, thread's is 0x%llx"
		       " (creator's 0x%llx)", t.wrong_fs, t.rounds,
		       (unsigned long long)t.fs_got, (unsigned long long)t.fs_want,
		       (unsigned long long)read_fs_self());
	EXPECT_EQ(0, t.wrong_fs);
}

/* One vCPU of its own VM looping on g_msr_loop, on a thread that keeps moving. */
struct msr_vcpu {
	struct rv_vm vm;
	int id, ncpus, failed_at, last_exit;
	atomic_int tid, done, self_moves;
	atomic_long *moves;
};

#define MIN_ROUNDS	900
#define MAX_ROUNDS	20000
#define MIN_MOVES	300

static void move_to(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(tid, sizeof(set), &set);
}

/*
 * Rounds until both enough rounds and enough moves happened.  The thread
 * also moves itself every third round, on a schedule that puts the two
 * vCPU threads now on the same CPU (preempting each other), now apart.
 * EINTR (a signal or notify-resume work) only means "run again".
 */
static void *msr_runner(void *arg)
{
	struct msr_vcpu *v = arg;
	int i = 0, tries;

	atomic_store(&v->tid, syscall(SYS_gettid));
	v->failed_at = -1;
	for (tries = 0; tries < 4 * MAX_ROUNDS && i < MAX_ROUNDS; tries++) {
		int r = rv_run(&v->vm, 0);

		v->last_exit = r;
		if (r == -EINTR)
			continue;
		if (r != RINGVM_EXIT_IO || v->vm.run[0]->io.port != REPORT_PORT ||
		    *(uint8_t *)rv_pio_data(&v->vm, 0) != 0) {
			v->failed_at = i;
			break;
		}
		i++;
		atomic_fetch_add(&v->done, 1);
		if (i % 3 == 0) {
			move_to(0, (i / 3 + (i / 7) * v->id) % v->ncpus);
			atomic_fetch_add(&v->self_moves, 1);
		}
		if (i >= MIN_ROUNDS && atomic_load(&v->self_moves) >= MIN_MOVES)
			break;
	}
	return NULL;
}

struct mover {
	struct msr_vcpu *v;
	int nv, ncpus;
	atomic_int stop;
	atomic_long moves;
};

/* Meanwhile moves the vCPU threads from outside too, wherever they are in RUN. */
static void *move(void *arg)
{
	struct mover *m = arg;
	int k = 0, i;

	while (!atomic_load(&m->stop)) {
		for (i = 0; i < m->nv; i++) {
			pid_t tid = atomic_load(&m->v[i].tid);

			if (tid)
				move_to(tid, (k + i) % m->ncpus);
		}
		k++;
		atomic_fetch_add(&m->moves, 1);
		sched_yield();
	}
	return NULL;
}

static int read_msr(int cpu, uint32_t index, uint64_t *v)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = pread(fd, v, 8, index) == 8 ? 0 : -errno;
	close(fd);
	return r;
}

/* "none (voluntary) full" → "voluntary"; returns 0 or -1. */
/* syslog(2)'s "read all": glibc's <sys/klog.h> names no actions. */
#define RV_SYSLOG_READ_ALL	3

/* @what in the kernel's version string or its boot log. */
static bool kernel_says(const char *what)
{
	static char log[1 << 20];
	struct utsname u;
	int n;

	if (!uname(&u) && strstr(u.version, what))
		return true;
	n = klogctl(RV_SYSLOG_READ_ALL, log, sizeof(log) - 1);
	if (n <= 0)
		return false;
	log[n] = 0;
	return strstr(log, what) != NULL;
}

static int preempt_mode(char *cur, size_t len, const char *set)
{
	const char *p = "/sys/kernel/debug/sched/preempt";
	char buf[128], *a, *b;
	FILE *f = fopen(p, "r");

	if (!f) {
		/*
		 * No knob without SCHED_DEBUG (the debug kernel of make
		 * check-debug): fine when the kernel runs fully preemptible,
		 * built so or chosen at boot.
		 */
		if (strcmp(set, "full") || !(kernel_says(" PREEMPT ") ||
					     kernel_says("Dynamic Preempt: full")))
			return -1;
		snprintf(cur, len, "full");
		return 0;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	a = strchr(buf, '(');
	b = a ? strchr(a, ')') : NULL;
	if (!b)
		return -1;
	*b = 0;
	snprintf(cur, len, "%s", a + 1);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(set, f);
	return fclose(f) ? -1 : 0;
}

static const uint32_t switched_msrs[] = { MSR_STAR, MSR_LSTAR, MSR_SFMASK, MSR_TSC_AUX };

/*
 * Items 4 and 5: two vCPUs (two VMs, so a stale VMCS would be the other
 * one's) whose guests write and read LSTAR/STAR/SFMASK/TSC_AUX and exit
 * to userspace every round, while their threads are moved between the
 * host's CPUs under full preemption.  Every round's read-back must match,
 * and afterwards every CPU must hold the host's values again; a guest
 * LSTAR left on a CPU would also take the host down at its next syscall.
 */
TEST(msrs_follow_migration)
{
	static struct msr_vcpu v[2];
	uint64_t host[64][4];
	struct mover m = { .v = v, .nv = 2 };
	pthread_t th[2], tm;
	char mode[32] = "", was[32] = "";
	int ncpus, cpu, i, r;

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	ASSERT_LE(1, ncpus);
	ASSERT_GE(64, ncpus);
	r = rv_load_host_module("msr");
	ASSERT_TRUE(r == 0 || r == -EEXIST);
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < 4; i++)
			ASSERT_EQ(0, read_msr(cpu, switched_msrs[i], &host[cpu][i]));

	/* Preemptible everywhere preemption is enabled: the windows are reachable. */
	ASSERT_EQ(0, preempt_mode(was, sizeof(was), "full"));
	ASSERT_EQ(0, rv_load_module("ringvm"));
	for (i = 0; i < 2; i++) {
		r = rv_vm_init(&v[i].vm, 1);
		if (r)
			TH_LOG("%s failed: %s", v[i].vm.failed, strerror(-r));
		ASSERT_EQ(0, r);
		rv_load(&v[i].vm, RV_CODE, g_msr_loop_start, g_msr_loop_end);
		ASSERT_EQ(0, rv_long_mode(&v[i].vm, 0, RV_CODE));
		v[i].moves = &m.moves;
		v[i].id = i;
		v[i].ncpus = ncpus;
	}
	m.ncpus = ncpus;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, msr_runner, &v[i]));
	ASSERT_EQ(0, pthread_create(&tm, NULL, move, &m));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_store(&m.stop, 1);
	pthread_join(tm, NULL);
	preempt_mode(mode, sizeof(mode), was);
	TH_LOG("%d host CPUs; %d + %d rounds, %d + %d self-moves, %ld moves from outside;"
	       " preemption back to %s", ncpus, atomic_load(&v[0].done), atomic_load(&v[1].done),
	       atomic_load(&v[0].self_moves), atomic_load(&v[1].self_moves),
	       atomic_load(&m.moves), was);

	for (i = 0; i < 2; i++) {
		if (v[i].failed_at >= 0)
			TH_LOG("vCPU %d: round %d ended with exit %d", i, v[i].failed_at,
			       v[i].last_exit);
		EXPECT_EQ(-1, v[i].failed_at);
		EXPECT_LE(MIN_ROUNDS, atomic_load(&v[i].done));
		EXPECT_LE(MIN_MOVES, atomic_load(&v[i].self_moves));
		rv_vm_destroy(&v[i].vm);
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		for (i = 0; i < 4; i++) {
			uint64_t now = 0;

			EXPECT_EQ(0, read_msr(cpu, switched_msrs[i], &now));
			if (now != host[cpu][i])
				TH_LOG("CPU %d MSR 0x%x: 0x%llx, host's 0x%llx", cpu,
				       switched_msrs[i], (unsigned long long)now,
				       (unsigned long long)host[cpu][i]);
			EXPECT_EQ(host[cpu][i], now);
		}
	}
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

/*
 * Item 9: SET_SREGS into PAE paging reads the four PDPTEs from guest
 * memory, which may have to be faulted into the VMM first (here a memfd
 * page never touched through this mapping): that must happen where the
 * task may sleep, and the guest must then translate through them.
 */
TEST_F(loaded, set_sregs_loads_pdptes_from_unmapped_memory)
{
	uint64_t pdpt[4] = { 0x6000 | 1, 0x7000 | 1, 0, 0 };
	uint64_t *pd0 = (uint64_t *)(self->vm.mem + 0x6000);
	uint64_t *pd1 = (uint64_t *)(self->vm.mem + 0x7000);
	struct ringvm_sregs sr;
	uint32_t magic = 0x5eed1234, got = 0;
	void *page;
	int mfd;

	mfd = memfd_create("pdpt", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(sizeof(pdpt), pwrite(mfd, pdpt, sizeof(pdpt), 0));
	ASSERT_EQ(0, ftruncate(mfd, 4096));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, rv_set_slot(&self->vm, 1, 0, RV_MEM_SIZE, 4096, page));

	pd0[0] = 0x83;				/* 0-2 MiB: identity, 2 MiB page */
	pd1[0] = 0x200000 | 0x83;		/* 1 GiB -> 2 MiB */
	memcpy(self->vm.mem + 0x200000, &magic, 4);
	rv_load(&self->vm, RV_CODE, g_pae_read_start, g_pae_read_end);
	ASSERT_EQ(0, rv_prot_mode(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_GET_SREGS, &sr));
	sr.cr3 = RV_MEM_SIZE;
	sr.cr4 = 0x20;			/* PAE */
	sr.cr0 = 0x80000011;		/* PG | PE | ET */
	sr.efer = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu[0], RINGVM_SET_SREGS, &sr)) {
		TH_LOG("SET_SREGS into PAE paging: %s", strerror(errno));
	}
	ASSERT_EQ(RINGVM_EXIT_IO, rv_run(&self->vm, 0));
	ASSERT_EQ(REPORT_PORT, self->vm.run[0]->io.port);
	ASSERT_EQ(4, self->vm.run[0]->io.size);
	memcpy(&got, rv_pio_data(&self->vm, 0), 4);
	EXPECT_EQ(magic, got);
	munmap(page, 4096);
	close(mfd);
}

TEST_HARNESS_MAIN
