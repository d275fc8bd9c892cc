// SPDX-License-Identifier: GPL-2.0
/*
 * An irqfd on an MSI route, from the eventfd write to the guest's handler:
 * what a vhost worker's or a passthrough device's interrupt costs before
 * the guest runs its handler, on ringvm.ko (MSI delivered from the eventfd
 * wakeup, and with irqfd_inatomic=0 through the workqueue) and on Debian's
 * kvm-intel.ko, in the same boot of the Bochs test host.
 *
 * The guest halts with interrupts on; one thread runs its vCPU, another
 * writes the eventfd once the vCPU thread sleeps in the kernel (its state
 * in /proc is S), reading the TSC just before the write.  The handler's
 * first instruction is an OUT; the vCPU thread reads the TSC as soon as
 * RUN returns with it.  The row is the median of NR such deltas, in test
 * host TSC ticks (with Bochs' "clock: sync=none", work done, not wall time).
 * It includes the wakeup of the vCPU thread and, on the one-CPU test host,
 * the switch to it: what a guest waiting for a device sees.
 *
 * Output as vmexit_bench: TAP, plus "# bench: <row> <ringvm> <kvm-intel>".
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <x86intrin.h>

#include "bench_tap.h"
#include "kvm_util.h"

#define NR		200
#define WARMUP		20
#define GSI		40
#define VECTOR		0x40
#define HANDLER		0x11000
#define PORT_READY	0x90
#define PORT_IRQ	0x91
#define MSI_TO_APIC0	0xfee00000u

/* APIC on, report, then wait for interrupts with IF set. */
RV_GUEST_CODE(halt_loop, 64,
	"mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%rbx)\n out %al, $0x90\n sti\n"
	"1: hlt\n jmp 1b\n");

/* OUT first, so that the exit marks the handler's start; then EOI. */
RV_GUEST_CODE(handler, 64,
	"out %al, $0x91\n push %rbx\n mov $0xfee00000, %ebx\n movl $0, 0xb0(%rbx)\n"
	"pop %rbx\n iretq\n");

struct hv;

struct hv_ops {
	const char *name;
	int (*load)(void);
	int (*unload)(void);
	/* A VM with an irqchip, its vCPU in long mode at RV_CODE with the full IDT. */
	int (*open)(struct hv *h);
	void (*close)(struct hv *h);
	/* GSI's route to the MSI, and @efd an irqfd on GSI. */
	int (*irqfd)(struct hv *h, int efd);
	/* RUN once; the port of an OUT exit, or -1. */
	int (*run_out)(struct hv *h);
};

struct hv {
	const struct hv_ops *ops;
	struct rv_vm rv;
	struct kt_vm kt;
};

/* The guest and its IDT, in either hypervisor's memory. */
static void load_guest(uint8_t *mem)
{
	memcpy(mem + RV_CODE, halt_loop_start, halt_loop_end - halt_loop_start);
	memcpy(mem + HANDLER, handler_start, handler_end - handler_start);
	rv_mem_idt_gate(mem, VECTOR, HANDLER);
	rv_mem_map_apic(mem);
}

/* ---- ringvm.ko ---- */

static int rv_open(struct hv *h)
{
	struct rv_vm *vm = &h->rv;
	int r = rv_vm_init(vm, 0);

	if (r)
		goto out;
	vm->failed = "RINGVM_CREATE_IRQCHIP";
	if (ioctl(vm->fd, RINGVM_CREATE_IRQCHIP, 0))
		goto fail;
	vm->failed = "RINGVM_CREATE_VCPU";
	r = rv_add_vcpu(vm, 0);
	if (r)
		goto out;
	load_guest(vm->mem);
	vm->failed = "long mode";
	if (rv_long_mode_idt(vm, 0, RV_CODE))
		goto fail;
	return 0;
fail:
	r = -errno;
out:
	printf("# ringvm: %s: %s\n", vm->failed, strerror(-r));
	rv_vm_destroy(vm);
	return r;
}

static void rv_close(struct hv *h)
{
	rv_vm_destroy(&h->rv);
}

static int rv_irqfd(struct hv *h, int efd)
{
	struct {
		struct ringvm_irq_routing hdr;
		struct ringvm_irq_routing_entry e[1];
	} rt = { .hdr.nr = 1 };
	struct ringvm_irqfd f = { .fd = efd, .gsi = GSI };

	rt.e[0].gsi = GSI;
	rt.e[0].type = RINGVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = MSI_TO_APIC0;
	rt.e[0].u.msi.data = VECTOR;
	if (ioctl(h->rv.fd, RINGVM_SET_GSI_ROUTING, &rt) || ioctl(h->rv.fd, RINGVM_IRQFD, &f)) {
		printf("# ringvm: route or irqfd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int rv_run_out(struct hv *h)
{
	int r = rv_run(&h->rv, 0);

	if (r == RINGVM_EXIT_IO && h->rv.run[0]->io.direction == RINGVM_EXIT_IO_OUT)
		return h->rv.run[0]->io.port;
	printf("# ringvm: RUN gave %d, not an OUT exit\n", r);
	return -1;
}

static int rv_hv_load(void)
{
	return rv_load_module("ringvm");
}

/* The same module with the eventfd wakeup handing every injection to the workqueue. */
static int rv_hv_load_workqueue(void)
{
	return rv_load_module_params(rv_moddir(), "ringvm", "irqfd_inatomic=0");
}

static int rv_hv_unload(void)
{
	return rv_unload_module("ringvm");
}

/* ---- kvm-intel.ko ---- */

static int kt_open(struct hv *h)
{
	struct kt_vm *vm = &h->kt;
	struct kvm_sregs sr;
	int r = kt_vm_init_with(vm, true);

	if (!r) {
		load_guest(vm->mem);
		r = kt_long_mode(vm, RV_CODE);
		if (!r && ioctl(vm->vcpu, KVM_GET_SREGS, &sr))
			r = -errno;
		sr.idt.limit = 256 * 16 - 1;
		if (!r && ioctl(vm->vcpu, KVM_SET_SREGS, &sr))
			r = -errno;
		if (r)
			vm->failed = "long mode";
	}
	if (r) {
		printf("# kvm: %s: %s\n", vm->failed, strerror(-r));
		kt_vm_destroy(vm);
	}
	return r;
}

static void kt_close(struct hv *h)
{
	kt_vm_destroy(&h->kt);
}

static int kt_irqfd(struct hv *h, int efd)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} rt = { .hdr.nr = 1 };
	struct kvm_irqfd f = { .fd = efd, .gsi = GSI };

	rt.e[0].gsi = GSI;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = MSI_TO_APIC0;
	rt.e[0].u.msi.data = VECTOR;
	if (ioctl(h->kt.fd, KVM_SET_GSI_ROUTING, &rt) || ioctl(h->kt.fd, KVM_IRQFD, &f)) {
		printf("# kvm: route or irqfd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int kt_run_out(struct hv *h)
{
	int r = kt_run(&h->kt);

	if (r == KVM_EXIT_IO && h->kt.run->io.direction == KVM_EXIT_IO_OUT)
		return h->kt.run->io.port;
	printf("# kvm: KVM_RUN gave %d, not an OUT exit\n", r);
	return -1;
}

/* ---- the measurement ---- */

struct vcpu_side {
	struct hv *h;
	pid_t tid;
	sem_t started, took;
	uint64_t t1[WARMUP + NR];
	int n, failed;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_side *v = arg;
	int port;

	v->tid = syscall(SYS_gettid);
	port = v->h->ops->run_out(v->h);
	__atomic_store_n(&v->failed, port != PORT_READY, __ATOMIC_RELEASE);
	sem_post(&v->started);
	while (!v->failed && v->n < WARMUP + NR) {
		port = v->h->ops->run_out(v->h);
		v->t1[v->n] = __rdtsc();
		if (port != PORT_IRQ)
			__atomic_store_n(&v->failed, 1, __ATOMIC_RELEASE);
		else
			v->n++;
		sem_post(&v->took);
	}
	return NULL;
}

/* 'S' once the vCPU thread waits in the kernel for the guest's next interrupt. */
static char thread_state(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' ? p[2] : '?';
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ticks from eventfd write to the handler's exit; UINT64_MAX when it failed. */
static uint64_t bench_irqfd(struct hv *h)
{
	static struct vcpu_side v;
	uint64_t t0[WARMUP + NR], d[NR], one = 1, res = UINT64_MAX;
	pthread_t t;
	int efd, i;
	char s;

	memset(&v, 0, sizeof(v));
	v.h = h;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || h->ops->open(h))
		goto out_efd;
	if (h->ops->irqfd(h, efd) || sem_init(&v.started, 0, 0) || sem_init(&v.took, 0, 0) ||
	    pthread_create(&t, NULL, vcpu_thread, &v))
		goto out_close;
	sem_wait(&v.started);
	/* The vCPU thread posts after every RUN and ends after the last or a failed one. */
	for (i = 0; !__atomic_load_n(&v.failed, __ATOMIC_ACQUIRE) && i < WARMUP + NR; i++) {
		/* Until the guest's HLT has the vCPU thread asleep in the kernel. */
		while ((s = thread_state(v.tid)) != 'S' && s != 'D')
			sched_yield();
		t0[i] = __rdtsc();
		if (write(efd, &one, 8) != 8) {
			/* Its vCPU would halt for ever: nothing to measure, nothing to wait for. */
			printf("# %s: eventfd write: %s\n", h->ops->name, strerror(errno));
			exit(1);
		}
		sem_wait(&v.took);
	}
	pthread_join(t, NULL);
	if (!v.failed) {
		for (i = 0; i < NR; i++)
			d[i] = v.t1[WARMUP + i] - t0[WARMUP + i];
		qsort(d, NR, sizeof(d[0]), cmp_u64);
		res = d[NR / 2];
	}
out_close:
	h->ops->close(h);
out_efd:
	if (efd >= 0)
		close(efd);
	return res;
}

static const struct hv_ops ops[] = {
	{ "ringvm", rv_hv_load, rv_hv_unload, rv_open, rv_close, rv_irqfd, rv_run_out },
	{ "ringvm_workqueue", rv_hv_load_workqueue, rv_hv_unload, rv_open, rv_close, rv_irqfd,
	  rv_run_out },
	{ "kvm", kt_load_kvm, kt_unload_kvm, kt_open, kt_close, kt_irqfd, kt_run_out },
};

int main(void)
{
	uint64_t rows[3];
	int i, r, failed = 0;

	printf("TAP version 13\n1..9\n");
	for (i = 0; i < 3; i++) {
		struct hv h = { .ops = &ops[i] };

		r = ops[i].load();
		tap(!r, "load", ops[i].name);
		rows[i] = r ? UINT64_MAX : bench_irqfd(&h);
		tap(rows[i] != UINT64_MAX, "irqfd_msi", ops[i].name);
		r = ops[i].unload();
		tap(!r, "unload", ops[i].name);
		failed += rows[i] == UINT64_MAX;
	}
	printf("# bench: irqfd_MSI_to_handler_(ticks) %llu %llu\n",
	       (unsigned long long)rows[0], (unsigned long long)rows[2]);
	printf("# bench: irqfd_MSI_to_handler,_workqueue_(ticks) %llu n/a\n",
	       (unsigned long long)rows[1]);
	return failed ? 1 : 0;
}
