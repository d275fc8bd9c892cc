/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny VMM for the ringvm.ko selftests: one VM with guest memory at GPA 0,
 * vCPUs, and helpers that put a vCPU into real, protected or long mode.
 *
 * Guest payloads are assembled by gas from .code16/.code32/.code64 blocks
 * (see RV_GUEST_CODE) and copied into guest memory.
 */
#ifndef RINGVM_VMX_UTIL_H
#define RINGVM_VMX_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/ringvm.h>

#include "ringvm_selftest.h"

/*
 * Define a guest payload NAME in MODE (16, 32 or 64) made of assembly
 * text; NAME_start/NAME_end bound its bytes.
 */
#define RV_GUEST_CODE(name, mode, text)					\
	extern const unsigned char name##_start[], name##_end[];	\
	asm(".pushsection .rodata.guest, \"a\"\n"			\
	    ".code" #mode "\n"						\
	    #name "_start:\n" text "\n" #name "_end:\n"			\
	    ".code64\n"							\
	    ".popsection\n")

/* Guest memory layout used by every helper. */
#define RV_MEM_SIZE	(4u << 20)	/* 4 MiB at GPA 0 */
#define RV_CODE		0x10000u	/* payload */
#define RV_GDT		0x1000u
#define RV_IDT		0x2000u
#define RV_PML4		0x3000u
#define RV_PDPT		0x4000u
#define RV_PD		0x5000u
#define RV_STACK	0x9000u		/* grows down */
#define RV_DATA		0x20000u	/* scratch area payloads may use */

struct rv_vm {
	int sys, fd;
	uint8_t *mem;
	size_t mem_size;
	int vcpu[4];
	struct ringvm_run *run[4];
	size_t run_size;
	const char *failed;	/* the step rv_vm_init failed at */
};

static inline int rv_open_sys(void)
{
	return open("/dev/ringvm", O_RDWR | O_CLOEXEC);
}

static inline int rv_set_slot(struct rv_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
			      uint64_t size, void *hva)
{
	struct ringvm_userspace_memory_region mr = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, RINGVM_SET_USER_MEMORY_REGION, &mr);
}

#define RV_STEP(vm, what, failed_cond)			\
	do {						\
		if (failed_cond) {			\
			(vm)->failed = what;		\
			return -errno;			\
		}					\
	} while (0)

/* Returns 0, or -errno of the step named by vm->failed. */
static inline int rv_vm_init(struct rv_vm *vm, int nvcpus)
{
	int i;

	memset(vm, 0, sizeof(*vm));
	vm->sys = rv_open_sys();
	RV_STEP(vm, "open /dev/ringvm", vm->sys < 0);
	vm->fd = ioctl(vm->sys, RINGVM_CREATE_VM, 0);
	RV_STEP(vm, "RINGVM_CREATE_VM", vm->fd < 0);
	vm->mem_size = RV_MEM_SIZE;
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	RV_STEP(vm, "mmap guest memory", vm->mem == MAP_FAILED);
	RV_STEP(vm, "RINGVM_SET_USER_MEMORY_REGION",
		rv_set_slot(vm, 0, 0, 0, vm->mem_size, vm->mem));
	vm->run_size = ioctl(vm->sys, RINGVM_GET_VCPU_MMAP_SIZE, 0);
	RV_STEP(vm, "RINGVM_GET_VCPU_MMAP_SIZE", (long)vm->run_size <= 0);
	for (i = 0; i < nvcpus; i++) {
		vm->vcpu[i] = ioctl(vm->fd, RINGVM_CREATE_VCPU, i);
		RV_STEP(vm, "RINGVM_CREATE_VCPU", vm->vcpu[i] < 0);
		vm->run[i] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				  vm->vcpu[i], 0);
		RV_STEP(vm, "mmap vCPU", vm->run[i] == MAP_FAILED);
	}
	return 0;
}

/* vCPU @i added to a VM rv_vm_init() built (after RINGVM_CREATE_IRQCHIP, say): 0 or -errno. */
static inline int rv_add_vcpu(struct rv_vm *vm, int i)
{
	vm->vcpu[i] = ioctl(vm->fd, RINGVM_CREATE_VCPU, i);
	if (vm->vcpu[i] < 0)
		return -errno;
	vm->run[i] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  vm->vcpu[i], 0);
	return vm->run[i] == MAP_FAILED ? -errno : 0;
}

/*
 * Fixture setup shared by the suites: load ringvm.ko and build a VM.  On
 * failure the module is unloaded again, so later tests start clean.
 */
#define RV_FIXTURE_SETUP(vm, nvcpus)						\
	do {									\
		int __r;							\
		ASSERT_EQ(0, rv_load_module("ringvm"));				\
		__r = rv_vm_init(vm, nvcpus);					\
		if (__r) {							\
			TH_LOG("%s failed: %s", (vm)->failed, strerror(-__r));	\
			rv_vm_destroy(vm);					\
			rv_unload_module("ringvm");				\
		}								\
		ASSERT_EQ(0, __r);						\
	} while (0)

static inline void rv_vm_destroy(struct rv_vm *vm)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (vm->run[i] && vm->run[i] != MAP_FAILED)
			munmap(vm->run[i], vm->run_size);
		if (vm->vcpu[i] > 0)
			close(vm->vcpu[i]);
	}
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, vm->mem_size);
	if (vm->fd > 0)
		close(vm->fd);
	if (vm->sys > 0)
		close(vm->sys);
	memset(vm, 0, sizeof(*vm));
}

static inline void rv_load(struct rv_vm *vm, uint64_t gpa, const unsigned char *start,
			   const unsigned char *end)
{
	memcpy(vm->mem + gpa, start, end - start);
}

static inline void rv_seg(struct ringvm_segment *s, uint16_t sel, uint64_t base, uint32_t limit,
			  uint8_t type, uint8_t db, uint8_t l, uint8_t g)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = db;
	s->l = l;
	s->g = g;
}

static inline int rv_set_rip_rsp(struct rv_vm *vm, int i, uint64_t rip, uint64_t rsp)
{
	struct ringvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 0x2;
	return ioctl(vm->vcpu[i], RINGVM_SET_REGS, &regs);
}

/* Real mode, CS = DS = SS = 0, IP = @entry. */
static inline int rv_real_mode(struct rv_vm *vm, int i, uint16_t entry)
{
	struct ringvm_sregs sr;

	if (ioctl(vm->vcpu[i], RINGVM_GET_SREGS, &sr))
		return -errno;
	rv_seg(&sr.cs, 0, 0, 0xffff, 0xb, 0, 0, 0);
	rv_seg(&sr.ds, 0, 0, 0xffff, 0x3, 0, 0, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.idt.base = 0;
	sr.idt.limit = 0x3ff;
	if (ioctl(vm->vcpu[i], RINGVM_SET_SREGS, &sr))
		return -errno;
	return rv_set_rip_rsp(vm, i, entry, RV_STACK);
}

/* A flat GDT: 0x08 code32, 0x10 data, 0x18 code64, 0x20 TSS (unused by payloads). */
static inline void rv_write_gdt(struct rv_vm *vm)
{
	uint64_t *gdt = (uint64_t *)(vm->mem + RV_GDT);

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	gdt[3] = 0x00af9b000000ffffull;
}

static inline int rv_prot_mode(struct rv_vm *vm, int i, uint32_t entry)
{
	struct ringvm_sregs sr;

	rv_write_gdt(vm);
	if (ioctl(vm->vcpu[i], RINGVM_GET_SREGS, &sr))
		return -errno;
	rv_seg(&sr.cs, 0x08, 0, 0xffffffff, 0xb, 1, 0, 1);
	rv_seg(&sr.ds, 0x10, 0, 0xffffffff, 0x3, 1, 0, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = RV_GDT;
	sr.gdt.limit = 4 * 8 - 1;
	sr.idt.base = RV_IDT;
	sr.idt.limit = 0;
	sr.cr0 = 0x11;	/* PE | ET */
	if (ioctl(vm->vcpu[i], RINGVM_SET_SREGS, &sr))
		return -errno;
	return rv_set_rip_rsp(vm, i, entry, RV_STACK);
}

/* Long mode with the first 1 GiB identity-mapped by 2 MiB pages. */
static inline int rv_long_mode(struct rv_vm *vm, int i, uint64_t entry)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + RV_PML4);
	uint64_t *pdpt = (uint64_t *)(vm->mem + RV_PDPT);
	uint64_t *pd = (uint64_t *)(vm->mem + RV_PD);
	struct ringvm_sregs sr;
	int k;

	rv_write_gdt(vm);
	pml4[0] = RV_PDPT | 3;
	pdpt[0] = RV_PD | 3;
	for (k = 0; k < 512; k++)
		pd[k] = ((uint64_t)k << 21) | 0x83;
	if (ioctl(vm->vcpu[i], RINGVM_GET_SREGS, &sr))
		return -errno;
	rv_seg(&sr.cs, 0x18, 0, 0xffffffff, 0xb, 0, 1, 1);
	rv_seg(&sr.ds, 0x10, 0, 0xffffffff, 0x3, 1, 0, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = RV_GDT;
	sr.gdt.limit = 4 * 8 - 1;
	sr.idt.base = RV_IDT;
	sr.idt.limit = 0;
	sr.cr3 = RV_PML4;
	sr.cr4 = 0x20;			/* PAE */
	sr.cr0 = 0x80000011;		/* PG | PE | ET */
	sr.efer = 0x500;		/* LME | LMA */
	if (ioctl(vm->vcpu[i], RINGVM_SET_SREGS, &sr))
		return -errno;
	return rv_set_rip_rsp(vm, i, entry, RV_STACK);
}

/*
 * A present, DPL 0, 64-bit interrupt gate for @vector to @handler (code
 * selector 0x18) in the IDT at RV_IDT of guest memory @mem (any hypervisor's).
 */
static inline void rv_mem_idt_gate(uint8_t *mem, int vector, uint64_t handler)
{
	uint32_t *g = (uint32_t *)(mem + RV_IDT + vector * 16);

	g[0] = (handler & 0xffff) | (0x18 << 16);
	g[1] = (handler & 0xffff0000) | 0x8e00;
	g[2] = handler >> 32;
	g[3] = 0;
}

static inline void rv_idt_gate(struct rv_vm *vm, int vector, uint64_t handler)
{
	rv_mem_idt_gate(vm->mem, vector, handler);
}

/*
 * The xAPIC page at 0xfee00000 for a guest of rv_long_mode(): the fourth
 * GiB mapped by uncached 2 MiB pages, their page directory at GPA 0x6000.
 */
static inline void rv_mem_map_apic(uint8_t *mem)
{
	uint64_t *pdpt = (uint64_t *)(mem + RV_PDPT);
	uint64_t *pd = (uint64_t *)(mem + 0x6000);
	int k;

	pdpt[3] = 0x6000 | 3;
	for (k = 0; k < 512; k++)
		pd[k] = (3ull << 30) + ((uint64_t)k << 21) + 0x9b;
}

/* rv_long_mode() with a full 256-entry IDT at RV_IDT (gates set by rv_idt_gate). */
static inline int rv_long_mode_idt(struct rv_vm *vm, int i, uint64_t entry)
{
	struct ringvm_sregs sr;

	if (rv_long_mode(vm, i, entry))
		return -1;
	if (ioctl(vm->vcpu[i], RINGVM_GET_SREGS, &sr))
		return -1;
	sr.idt.limit = 256 * 16 - 1;
	return ioctl(vm->vcpu[i], RINGVM_SET_SREGS, &sr);
}

/* RINGVM_RUN; returns the exit reason, or -errno when the ioctl failed. */
static inline int rv_run(struct rv_vm *vm, int i)
{
	if (ioctl(vm->vcpu[i], RINGVM_RUN, 0))
		return -errno;
	return vm->run[i]->exit_reason;
}

static inline uint64_t rv_reg_rax(struct rv_vm *vm, int i)
{
	struct ringvm_regs regs;

	if (ioctl(vm->vcpu[i], RINGVM_GET_REGS, &regs))
		return ~0ull;
	return regs.rax;
}

static inline void *rv_pio_data(struct rv_vm *vm, int i)
{
	return (char *)vm->run[i] + vm->run[i]->io.data_offset;
}

#endif /* RINGVM_VMX_UTIL_H */
