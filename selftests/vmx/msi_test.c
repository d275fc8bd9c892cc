// SPDX-License-Identifier: GPL-2.0
/*
 * MSI on the in-kernel irqchip with two vCPUs, each run by a thread of its
 * own (issue 10): a message reaches the APICs its address names and no
 * other (physical, logical flat, broadcast, lowest priority); an irqfd on
 * an MSI route delivers with no exit to userspace; and for ten seconds the
 * main thread rewrites the route and deassigns and reassigns the irqfd
 * while another thread signals it without pause, after which the last
 * route still delivers.  The host's kernel reports (KASAN, lockdep, ...)
 * are the runner's to catch.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>

#include "genl_util.h"
#include "kselftest_harness.h"
#include "vmx_util.h"

#define H_REPORT	0x11000		/* vector 0x41: OUT 0x11 with (vector << 8) | APIC ID */
#define H_COUNT_A	0x11100		/* vector 0x42: counts[0][APIC ID]++ */
#define H_COUNT_B	0x11200		/* vector 0x43: counts[1][APIC ID]++ */
#define COUNTS		0x20000		/* u32 counts[2][2] */
#define V_REPORT	0x41
#define V_COUNT_A	0x42
#define V_COUNT_B	0x43
#define GSI		40
#define STRESS_SECONDS	10
#define SIGNAL_BURST	8

/* SDM 11.11.1: the address names the destination, the data the rest. */
#define MSI_PHYS(id)	(0xfee00000u | (uint32_t)(id) << 12)
#define MSI_LOGICAL(m)	(MSI_PHYS(m) | 1u << 2)
#define MSI_FIXED(v)	(v)
#define MSI_LOWEST(v)	((v) | 1u << 8)

/*
 * Both vCPUs: APIC on, logical ID 1 << APIC ID in the flat model, report
 * the APIC ID at OUT 0x10, then wait for interrupts.
 */
RV_GUEST_CODE(g_cpu, 64,
	"mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n"
	"mov 0x20(%rbx), %ecx\n shr $24, %ecx\n"
	"mov $0x01000000, %edx\n shl %cl, %edx\n mov %edx, 0xd0(%rbx)\n"
	"movl $0xffffffff, 0xe0(%rbx)\n"
	"mov %ecx, %eax\n out %eax, $0x10\n sti\n"
	"1: hlt\n jmp 1b\n");

RV_GUEST_CODE(h_report, 64,
	"push %rax\n push %rbx\n mov $0xfee00000, %ebx\n"
	"mov 0x20(%rbx), %eax\n shr $24, %eax\n or $0x4100, %eax\n out %eax, $0x11\n"
	"movl $0, 0xb0(%rbx)\n pop %rbx\n pop %rax\n iretq\n");

RV_GUEST_CODE(h_count_a, 64,
	"push %rax\n push %rbx\n mov $0xfee00000, %ebx\n"
	"mov 0x20(%rbx), %eax\n shr $24, %eax\n lock incl 0x20000(,%rax,4)\n"
	"movl $0, 0xb0(%rbx)\n pop %rbx\n pop %rax\n iretq\n");

RV_GUEST_CODE(h_count_b, 64,
	"push %rax\n push %rbx\n mov $0xfee00000, %ebx\n"
	"mov 0x20(%rbx), %eax\n shr $24, %eax\n lock incl 0x20008(,%rax,4)\n"
	"movl $0, 0xb0(%rbx)\n pop %rbx\n pop %rax\n iretq\n");

/* counts[@vector_b][@apic], which the guest's handlers write while the test reads. */
static uint32_t count(const uint32_t *c, int vector_b, int apic)
{
	return __atomic_load_n(&c[vector_b * 2 + apic], __ATOMIC_RELAXED);
}

struct report {
	int vcpu;		/* which vCPU's RUN returned it */
	uint32_t value;		/* what the handler wrote: vector << 8 | APIC ID */
};

/* What the vCPU threads and the test share. */
struct shared {
	pthread_mutex_t lock;
	struct report log[64];
	int logged;
	sem_t ready, got;
	int stopping;		/* set before the threads are signalled to end */
};

struct vcpu_thread {
	struct rv_vm *vm;
	struct shared *sh;
	int i;
	pthread_t t;
	int exits;		/* RUN returns other than the stop signal's */
	int bad_exit;		/* an exit reason the guest should never cause */
};

FIXTURE(msi) {
	struct rv_vm vm;
	struct shared sh;
	struct vcpu_thread cpu[2];
};

static void on_signal(int sig)
{
}

static void *vcpu_loop(void *arg)
{
	struct vcpu_thread *c = arg;
	struct shared *sh = c->sh;
	struct rv_vm *vm = c->vm;
	int r;

	for (;;) {
		r = rv_run(vm, c->i);
		if (r == -EINTR && __atomic_load_n(&sh->stopping, __ATOMIC_ACQUIRE))
			break;
		c->exits++;
		if (r != RINGVM_EXIT_IO) {
			c->bad_exit = r;
			sem_post(&sh->got);
			break;
		}
		if (vm->run[c->i]->io.port == 0x10) {
			sem_post(&sh->ready);
			continue;
		}
		pthread_mutex_lock(&sh->lock);
		if (sh->logged < 64) {
			sh->log[sh->logged].vcpu = c->i;
			sh->log[sh->logged].value = *(uint32_t *)rv_pio_data(vm, c->i);
		}
		sh->logged++;
		pthread_mutex_unlock(&sh->lock);
		sem_post(&sh->got);
	}
	return NULL;
}

/* A post that never comes (a lost interrupt) fails after 30 s instead of hanging. */
static int wait_sem(sem_t *sem)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	return sem_timedwait(sem, &ts) ? -errno : 0;
}

static int wait_got(struct shared *sh)
{
	return wait_sem(&sh->got);
}

FIXTURE_SETUP(msi)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct ringvm_mp_state runnable = { .mp_state = RINGVM_MP_STATE_RUNNABLE };
	int k;

	RV_FIXTURE_SETUP(&self->vm, 0);
	ASSERT_EQ(0, ioctl(self->vm.fd, RINGVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, rv_add_vcpu(&self->vm, 0));
	ASSERT_EQ(0, rv_add_vcpu(&self->vm, 1));
	rv_load(&self->vm, RV_CODE, g_cpu_start, g_cpu_end);
	rv_load(&self->vm, H_REPORT, h_report_start, h_report_end);
	rv_load(&self->vm, H_COUNT_A, h_count_a_start, h_count_a_end);
	rv_load(&self->vm, H_COUNT_B, h_count_b_start, h_count_b_end);
	rv_idt_gate(&self->vm, V_REPORT, H_REPORT);
	rv_idt_gate(&self->vm, V_COUNT_A, H_COUNT_A);
	rv_idt_gate(&self->vm, V_COUNT_B, H_COUNT_B);
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 0, RV_CODE));
	ASSERT_EQ(0, rv_long_mode_idt(&self->vm, 1, RV_CODE));
	/* The AP starts where the BSP does, not waiting for INIT/SIPI. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu[1], RINGVM_SET_MP_STATE, &runnable));
	/* A stack each: interrupts on both CPUs at once must not share one. */
	ASSERT_EQ(0, rv_set_rip_rsp(&self->vm, 1, RV_CODE, 0x8000));
	rv_mem_map_apic(self->vm.mem);

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_mutex_init(&self->sh.lock, NULL));
	ASSERT_EQ(0, sem_init(&self->sh.ready, 0, 0));
	ASSERT_EQ(0, sem_init(&self->sh.got, 0, 0));
	for (k = 0; k < 2; k++) {
		self->cpu[k].vm = &self->vm;
		self->cpu[k].sh = &self->sh;
		self->cpu[k].i = k;
		ASSERT_EQ(0, pthread_create(&self->cpu[k].t, NULL, vcpu_loop, &self->cpu[k]));
	}
	/* Both APICs are set up and both guests wait with IF set. */
	ASSERT_EQ(0, wait_sem(&self->sh.ready));
	ASSERT_EQ(0, wait_sem(&self->sh.ready));
	self->cpu[0].exits = self->cpu[1].exits = 0;
}

FIXTURE_TEARDOWN(msi)
{
	int k;

	__atomic_store_n(&self->sh.stopping, 1, __ATOMIC_RELEASE);
	for (k = 0; k < 2; k++) {
		if (!self->cpu[k].t)
			continue;
		/* immediate_exit covers a signal that lands between two RUNs. */
		self->vm.run[k]->immediate_exit = 1;
		pthread_kill(self->cpu[k].t, SIGUSR1);
		pthread_join(self->cpu[k].t, NULL);
	}
	rv_vm_destroy(&self->vm);
	EXPECT_EQ(0, rv_unload_module("ringvm"));
}

static int signal_msi(int vm, uint32_t address, uint32_t data)
{
	struct ringvm_msi m = { .address_lo = address, .data = data };

	return ioctl(vm, RINGVM_SIGNAL_MSI, &m);
}

/*
 * The VM's exit counts by reason (netlink), logged: what the vCPUs were
 * doing when a report did not come.  Returns the exits to userspace.
 */
static uint64_t log_exits(struct __test_metadata *_metadata, const char *when)
{
	struct rv_vm_stats st;
	char line[512];
	int k, n = 0;

	if (rv_genl_dump(getpid(), &st) < 0 || !st.found) {
		TH_LOG("%s: no netlink statistics", when);
		return ~0ull;
	}
	for (k = 0; k < 128 && n < (int)sizeof(line) - 32; k++)
		if (st.exits[k])
			n += snprintf(line + n, sizeof(line) - n, " %d:%llu", k,
				      (unsigned long long)st.exits[k]);
	line[n] = 0;
	TH_LOG("%s: exits to userspace %llu; by reason%s", when,
	       (unsigned long long)st.userspace_exits, line);
	return st.userspace_exits;
}

/*
 * Waits for @n reports and returns which APICs they came from (bit per
 * APIC ID), or -1 if one is missing, came twice from one APIC, or names
 * a vector or vCPU it should not.
 */
static int reports(struct __test_metadata *_metadata, struct shared *sh, int n)
{
	int first, logged, mask = 0, k;

	pthread_mutex_lock(&sh->lock);
	first = sh->logged;
	pthread_mutex_unlock(&sh->lock);
	for (k = 0; k < n; k++) {
		if (wait_got(sh)) {
			TH_LOG("report %d of %d did not come", k + 1, n);
			log_exits(_metadata, "lost report");
			return -1;
		}
	}
	pthread_mutex_lock(&sh->lock);
	logged = sh->logged;
	pthread_mutex_unlock(&sh->lock);
	if (logged < first + n || first + n > 64)
		return -1;
	for (k = first; k < first + n; k++) {
		struct report *r = &sh->log[k];

		EXPECT_EQ(V_REPORT, r->value >> 8);
		EXPECT_EQ(r->vcpu, r->value & 0xff) TH_LOG("APIC ID and vCPU disagree");
		if (mask & 1 << r->vcpu)
			return -1;
		mask |= 1 << r->vcpu;
	}
	return mask;
}

/* SIGNAL_MSI reaches exactly the APICs its address names. */
TEST_F_TIMEOUT(msi, destinations, 120)
{
	static const struct {
		const char *what;
		uint32_t address, data;
		int took;	/* SIGNAL_MSI's answer: APICs that accepted */
		int mask;	/* who runs the handler */
	} c[] = {
		{ "physical 0", MSI_PHYS(0), MSI_FIXED(V_REPORT), 1, 1 },
		{ "physical 1", MSI_PHYS(1), MSI_FIXED(V_REPORT), 1, 2 },
		{ "logical 0x02", MSI_LOGICAL(2), MSI_FIXED(V_REPORT), 1, 2 },
		{ "logical 0x01", MSI_LOGICAL(1), MSI_FIXED(V_REPORT), 1, 1 },
		{ "logical 0x03", MSI_LOGICAL(3), MSI_FIXED(V_REPORT), 2, 3 },
		{ "physical broadcast", MSI_PHYS(0xff), MSI_FIXED(V_REPORT), 2, 3 },
		{ "lowest priority of 0x03", MSI_LOGICAL(3), MSI_LOWEST(V_REPORT), 1, -1 },
		{ "physical 2 (no such APIC)", MSI_PHYS(2), MSI_FIXED(V_REPORT), 0, 0 },
		{ "logical 0x04 (no such APIC)", MSI_LOGICAL(4), MSI_FIXED(V_REPORT), 0, 0 },
	};
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(c); k++) {
		int n = c[k].mask < 0 ? 1 : __builtin_popcount(c[k].mask), got;

		EXPECT_EQ(c[k].took, signal_msi(self->vm.fd, c[k].address, c[k].data)) TH_LOG("%s", c[k].what);
		got = reports(_metadata, &self->sh, n);
		if (c[k].mask < 0) {
			EXPECT_TRUE(got == 1 || got == 2) TH_LOG("%s: one APIC, got %d", c[k].what, got);
		} else {
			EXPECT_EQ(c[k].mask, got) TH_LOG("%s", c[k].what);
		}
	}
	/*
	 * Nothing went astray: a last message to each APIC is the next and
	 * only report of each, and nobody exited for anything else.
	 */
	ASSERT_EQ(2, signal_msi(self->vm.fd, MSI_PHYS(0xff), MSI_FIXED(V_REPORT)));
	EXPECT_EQ(3, reports(_metadata, &self->sh, 2));
	EXPECT_EQ(0, self->cpu[0].bad_exit);
	EXPECT_EQ(0, self->cpu[1].bad_exit);
	EXPECT_EQ(self->sh.logged, self->cpu[0].exits + self->cpu[1].exits);
}

static int set_route(int vm, uint32_t address, uint32_t data)
{
	struct {
		struct ringvm_irq_routing hdr;
		struct ringvm_irq_routing_entry e[1];
	} rt = { .hdr.nr = 1 };

	rt.e[0].gsi = GSI;
	if (!address) {
		/* I/O APIC pin 10, masked since reset: the signals go nowhere. */
		rt.e[0].type = RINGVM_IRQ_ROUTING_IRQCHIP;
		rt.e[0].u.irqchip.irqchip = RINGVM_IRQCHIP_IOAPIC;
		rt.e[0].u.irqchip.pin = 10;
	} else {
		rt.e[0].type = RINGVM_IRQ_ROUTING_MSI;
		rt.e[0].u.msi.address_lo = address;
		rt.e[0].u.msi.data = data;
	}
	return ioctl(vm, RINGVM_SET_GSI_ROUTING, &rt) ? errno : 0;
}

static int irqfd(int vm, int fd, uint32_t flags)
{
	struct ringvm_irqfd a = { .fd = fd, .gsi = GSI, .flags = flags };

	return ioctl(vm, RINGVM_IRQFD, &a) ? errno : 0;
}

/*
 * An irqfd on an MSI route: the handler runs on the APIC the route names,
 * and the handler's own report is the only exit to userspace (the VMM
 * never ran for the interrupt).  The route is read when the signal is
 * delivered, which the workqueue path does after the write returns.
 */
TEST_F_TIMEOUT(msi, irqfd_without_userspace, 120)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t one = 1, before;

	ASSERT_LE(0, efd);
	before = log_exits(_metadata, "before the signal");
	ASSERT_EQ(0, set_route(self->vm.fd, MSI_PHYS(1), MSI_FIXED(V_REPORT)));
	ASSERT_EQ(0, irqfd(self->vm.fd, efd, 0));
	ASSERT_EQ(8, write(efd, &one, 8));
	EXPECT_EQ(2, reports(_metadata, &self->sh, 1));
	EXPECT_EQ(0, self->cpu[0].exits);
	EXPECT_EQ(1, self->cpu[1].exits) TH_LOG("the report's OUT is the only exit");
	EXPECT_EQ(before + 1, log_exits(_metadata, "after the report"));
	EXPECT_EQ(0, irqfd(self->vm.fd, efd, RINGVM_IRQFD_FLAG_DEASSIGN));
	close(efd);
}

struct signaller {
	int efd;
	int stop;
	unsigned long writes;
};

/*
 * Bursts of writes with a pause between them.  The pause is pacing, not
 * synchronisation: in an emulated test host every interrupt costs the
 * host thousands of emulated instructions, and a host kept busy makes
 * each of its seconds cost minutes; bursts 2 ms apart still put dozens
 * of signals into every route change (each waits for an RCU grace period).
 */
static void *signal_loop(void *arg)
{
	const struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };
	struct signaller *s = arg;
	uint64_t one = 1;
	int k;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		for (k = 0; k < SIGNAL_BURST; k++)
			if (write(s->efd, &one, 8) == 8)
				s->writes++;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Ten seconds of route changes (two MSI destinations and vectors, a masked
 * pin, lowest priority) and of irqfd deassign and reassign, with another
 * thread signalling the eventfd all along: both vectors arrive where their
 * route sent them, no vCPU leaves the kernel, and afterwards the irqfd on
 * the last route delivers.
 */
TEST_F_TIMEOUT(msi, routes_change_under_fire, 120)
{
	uint32_t *c = (uint32_t *)(self->vm.mem + COUNTS);
	struct signaller s = { .efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	unsigned long changes = 0, reassigns = 0;
	uint64_t user_exits;
	struct timespec t0;
	pthread_t t;
	uint64_t one = 1;

	ASSERT_LE(0, s.efd);
	user_exits = log_exits(_metadata, "before the stress");
	ASSERT_EQ(0, set_route(self->vm.fd, MSI_PHYS(0), MSI_FIXED(V_COUNT_A)));
	ASSERT_EQ(0, irqfd(self->vm.fd, s.efd, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, signal_loop, &s));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seconds_since(&t0) < STRESS_SECONDS) {
		switch (changes++ % 4) {
		case 0:
			ASSERT_EQ(0, set_route(self->vm.fd, MSI_PHYS(0), MSI_FIXED(V_COUNT_A)));
			break;
		case 1:
			ASSERT_EQ(0, set_route(self->vm.fd, MSI_LOGICAL(2), MSI_FIXED(V_COUNT_B)));
			break;
		case 2:
			ASSERT_EQ(0, set_route(self->vm.fd, 0, 0));
			break;
		default:
			ASSERT_EQ(0, set_route(self->vm.fd, MSI_LOGICAL(3), MSI_LOWEST(V_COUNT_A)));
			break;
		}
		if (changes % 8 == 0) {
			ASSERT_EQ(0, irqfd(self->vm.fd, s.efd, RINGVM_IRQFD_FLAG_DEASSIGN));
			ASSERT_EQ(0, irqfd(self->vm.fd, s.efd, 0));
			reassigns++;
		}
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(user_exits, log_exits(_metadata, "after the stress"))
		TH_LOG("the VM left the kernel");
	TH_LOG("%lu signals, %lu route changes, %lu reassigns; counts A %u/%u, B %u/%u",
	       s.writes, changes, reassigns, count(c, 0, 0), count(c, 0, 1), count(c, 1, 0), count(c, 1, 1));
	EXPECT_LT(0, reassigns);
	EXPECT_LT(0, count(c, 0, 0)) TH_LOG("physical 0, vector A: CPU 0's handler ran");
	EXPECT_LT(0, count(c, 1, 1)) TH_LOG("logical 0x02, vector B: CPU 1's handler ran");
	EXPECT_EQ(0, count(c, 1, 0)) TH_LOG("vector B went only to logical 0x02");
	EXPECT_EQ(0, self->cpu[0].exits) TH_LOG("no exit to userspace on CPU 0");
	EXPECT_EQ(0, self->cpu[1].exits) TH_LOG("no exit to userspace on CPU 1");

	/* The last route and irqfd still work: one signal, one report from APIC 1. */
	ASSERT_EQ(0, set_route(self->vm.fd, MSI_PHYS(1), MSI_FIXED(V_REPORT)));
	ASSERT_EQ(8, write(s.efd, &one, 8));
	EXPECT_EQ(2, reports(_metadata, &self->sh, 1));
	EXPECT_EQ(0, irqfd(self->vm.fd, s.efd, RINGVM_IRQFD_FLAG_DEASSIGN));
	close(s.efd);
}

TEST_HARNESS_MAIN
