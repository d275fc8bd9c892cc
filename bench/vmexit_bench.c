// SPDX-License-Identifier: GPL-2.0
/*
 * VM-exit cost on ringvm.ko and on Debian's kvm-intel.ko, measured in the
 * same boot of the Bochs test host with the same guest code and the same
 * guest memory layout (selftests/vmx/{vmx,kvm}_util.h).
 *
 * A tick is one TSC tick of the test host.  With Bochs' "clock: sync=none"
 * the TSC advances with emulated instructions, so a figure is work done,
 * not wall-clock noise: reruns give the same numbers.
 *
 *  cpuid_exit:      a long-mode guest runs NR CPUIDs (each an exit the
 *                   hypervisor answers in the kernel) between two RDTSCs of
 *                   its own; ticks per exit.  Both hypervisors use TSC
 *                   offsetting without RDTSC exiting, so the guest's delta
 *                   is the host's.
 *  cpuid_exit_host: the same loop timed by this program with RDTSC around
 *                   the RUN that covers it (adds one return to userspace
 *                   per NR exits): a cross-check on the first row.
 *  pio_round_trip:  NR OUTs, each a RUN that comes back to this program;
 *                   RDTSC around the whole loop, divided by NR.
 *
 * Every loop runs ROUNDS times after a warm-up (EPT faults, cache of the
 * VMCS fields) and the smallest figure is kept.  Nothing here asserts a
 * timing: a test fails only when a guest does not do what it should.
 *
 * Output is TAP for the runner, plus "# bench: <row> <ringvm> <kvm-intel>"
 * lines that `make bench` turns into a table (rows may be added freely).
 */
#include <x86intrin.h>

#include "bench_tap.h"
#include "kvm_util.h"

#define NR		10000
#define ROUNDS		3
#define PIO_WARMUP	100
#define PORT_DONE	0x90
#define PORT_PIO	0x91
#define STR_(x)		#x
#define STR(x)		STR_(x)

/* Guest-timed CPUID loop: the delta goes to RV_DATA (0x20000), then OUT PORT_DONE; forever. */
RV_GUEST_CODE(cpuid_loop, 64,
	"1: rdtsc\n shl $32, %rdx\n or %rax, %rdx\n mov %rdx, %r12\n"
	"mov $" STR(NR) ", %edi\n"
	"2: xor %eax, %eax\n xor %ecx, %ecx\n cpuid\n dec %edi\n jnz 2b\n"
	"rdtsc\n shl $32, %rdx\n or %rdx, %rax\n sub %r12, %rax\n"
	"mov %rax, 0x20000\n out %al, $0x90\n jmp 1b\n");

RV_GUEST_CODE(pio_loop, 64, "1: out %al, $0x91\n jmp 1b\n");

/* One hypervisor behind the few operations the loops need. */
struct hv {
	const char *name;
	int (*load)(void);
	int (*unload)(void);
	int (*open)(struct hv *h);
	void (*close)(struct hv *h);
	uint8_t *(*mem)(struct hv *h);
	int (*long_mode)(struct hv *h, uint64_t entry);
	/* RUN once; returns the port of an OUT exit, or -1 (and says why). */
	int (*run_out)(struct hv *h);
	struct rv_vm rv;
	struct kt_vm kt;
};

/* ---- ringvm.ko ---- */

static int rv_hv_load(void)
{
	return rv_load_module("ringvm");
}

static int rv_hv_unload(void)
{
	return rv_unload_module("ringvm");
}

static int rv_hv_open(struct hv *h)
{
	int r = rv_vm_init(&h->rv, 1);

	if (r) {
		printf("# ringvm: %s: %s\n", h->rv.failed, strerror(-r));
		rv_vm_destroy(&h->rv);
	}
	return r;
}

static void rv_hv_close(struct hv *h)
{
	rv_vm_destroy(&h->rv);
}

static uint8_t *rv_hv_mem(struct hv *h)
{
	return h->rv.mem;
}

static int rv_hv_long_mode(struct hv *h, uint64_t entry)
{
	return rv_long_mode(&h->rv, 0, entry);
}

static int rv_hv_run_out(struct hv *h)
{
	struct ringvm_run *run = h->rv.run[0];
	int r = rv_run(&h->rv, 0);

	if (r == RINGVM_EXIT_IO && run->io.direction == RINGVM_EXIT_IO_OUT)
		return run->io.port;
	printf("# ringvm: RUN gave %d (%s), not an OUT exit\n", r, r < 0 ? strerror(-r) : "exit");
	return -1;
}

/* ---- kvm-intel.ko ---- */

static int kt_hv_open(struct hv *h)
{
	int r = kt_vm_init(&h->kt);

	if (r) {
		printf("# kvm: %s: %s\n", h->kt.failed, strerror(-r));
		kt_vm_destroy(&h->kt);
	}
	return r;
}

static void kt_hv_close(struct hv *h)
{
	kt_vm_destroy(&h->kt);
}

static uint8_t *kt_hv_mem(struct hv *h)
{
	return h->kt.mem;
}

static int kt_hv_long_mode(struct hv *h, uint64_t entry)
{
	return kt_long_mode(&h->kt, entry);
}

static int kt_hv_run_out(struct hv *h)
{
	struct kvm_run *run = h->kt.run;
	int r = kt_run(&h->kt);

	if (r == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT)
		return run->io.port;
	printf("# kvm: KVM_RUN gave %d (%s), not an OUT exit\n", r, r < 0 ? strerror(-r) : "exit");
	return -1;
}

/* ---- the loops ---- */

/* A fresh VM running @start..@end in long mode; 0 or -1. */
static int prepare(struct hv *h, const unsigned char *start, const unsigned char *end)
{
	if (h->open(h))
		return -1;
	memcpy(h->mem(h) + RV_CODE, start, end - start);
	if (h->long_mode(h, RV_CODE)) {
		printf("# %s: entering long mode: %s\n", h->name, strerror(errno));
		h->close(h);
		return -1;
	}
	return 0;
}

/* Fills @guest and @host with ticks per CPUID exit; 0 or -1. */
static int bench_cpuid(struct hv *h, uint64_t *guest, uint64_t *host)
{
	uint64_t t0, t1, d;
	int i, r = 0;

	if (prepare(h, cpuid_loop_start, cpuid_loop_end))
		return -1;
	*guest = *host = UINT64_MAX;
	for (i = 0; i <= ROUNDS && !r; i++) {
		t0 = __rdtsc();
		r = h->run_out(h) == PORT_DONE ? 0 : -1;
		t1 = __rdtsc();
		memcpy(&d, h->mem(h) + RV_DATA, sizeof(d));
		if (r || i == 0)	/* i == 0 warms up: first touches of every page */
			continue;
		if (d / NR < *guest)
			*guest = d / NR;
		if ((t1 - t0) / NR < *host)
			*host = (t1 - t0) / NR;
	}
	h->close(h);
	if (r)
		*guest = *host = UINT64_MAX;
	return r;
}

/* Fills @ticks with ticks per OUT round trip through this program; 0 or -1. */
static int bench_pio(struct hv *h, uint64_t *ticks)
{
	uint64_t t0, t1;
	int i, round, r = 0;

	if (prepare(h, pio_loop_start, pio_loop_end))
		return -1;
	for (i = 0; i < PIO_WARMUP && !r; i++)
		r = h->run_out(h) == PORT_PIO ? 0 : -1;
	*ticks = UINT64_MAX;
	for (round = 0; round < ROUNDS && !r; round++) {
		t0 = __rdtsc();
		for (i = 0; i < NR; i++) {
			if (h->run_out(h) != PORT_PIO) {
				r = -1;
				break;
			}
		}
		t1 = __rdtsc();
		if (!r && (t1 - t0) / NR < *ticks)
			*ticks = (t1 - t0) / NR;
	}
	h->close(h);
	if (r)
		*ticks = UINT64_MAX;
	return r;
}

enum { ROW_CPUID, ROW_CPUID_HOST, ROW_PIO, NR_ROWS };

static const char *const row_names[NR_ROWS] = {
	"cpuid_exit_(ticks)", "cpuid_exit,_host-timed_(ticks)", "pio_round_trip_(ticks)",
};

/* Loads, measures, unloads: four TAP results per hypervisor. */
static void measure(struct hv *h, uint64_t *rows)
{
	int r = h->load();

	tap(!r, "load", h->name);
	if (r)
		printf("# %s: loading: %s\n", h->name, strerror(-r));
	tap(!r && !bench_cpuid(h, &rows[ROW_CPUID], &rows[ROW_CPUID_HOST]), "cpuid_loop", h->name);
	tap(!r && !bench_pio(h, &rows[ROW_PIO]), "pio_loop", h->name);
	r = h->unload();
	if (r)
		printf("# %s: unloading: %s\n", h->name, strerror(-r));
	tap(!r, "unload", h->name);
}

int main(void)
{
	static struct hv hvs[2] = {
		{ .name = "ringvm", .load = rv_hv_load, .unload = rv_hv_unload,
		  .open = rv_hv_open, .close = rv_hv_close, .mem = rv_hv_mem,
		  .long_mode = rv_hv_long_mode, .run_out = rv_hv_run_out },
		{ .name = "kvm", .load = kt_load_kvm, .unload = kt_unload_kvm,
		  .open = kt_hv_open, .close = kt_hv_close, .mem = kt_hv_mem,
		  .long_mode = kt_hv_long_mode, .run_out = kt_hv_run_out },
	};
	uint64_t rows[2][NR_ROWS];
	int i, k, failed;

	memset(rows, 0xff, sizeof(rows));	/* UINT64_MAX: not measured */
	printf("TAP version 13\n1..8\n");
	for (i = 0; i < 2; i++)
		measure(&hvs[i], rows[i]);

	for (k = 0; k < NR_ROWS; k++) {
		printf("# bench: %s", row_names[k]);
		for (i = 0; i < 2; i++) {
			if (rows[i][k] == UINT64_MAX)
				printf(" n/a");
			else
				printf(" %llu", (unsigned long long)rows[i][k]);
		}
		printf("\n");
	}
	failed = 0;
	for (i = 0; i < 2; i++)
		for (k = 0; k < NR_ROWS; k++)
			failed += rows[i][k] == UINT64_MAX;
	return failed ? 1 : 0;
}
