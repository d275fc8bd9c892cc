/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KVM twin of vmx_util.h: one VM on /dev/kvm with guest memory at GPA
 * 0 and a vCPU in real or long mode, laid out exactly like the ringvm VMs
 * (same RV_* addresses, same GDT and page tables), so that one payload
 * runs unchanged on both hypervisors and their results compare.
 *
 * Only /dev/kvm and the installed <linux/kvm.h> are used: this is the
 * stock kvm-intel.ko of the test host, not anything of ours.
 */
#ifndef RINGVM_KVM_UTIL_H
#define RINGVM_KVM_UTIL_H

#include <linux/kvm.h>

#include "vmx_util.h"

struct kt_vm {
	int sys, fd, vcpu;
	uint8_t *mem;
	size_t mem_size;
	struct kvm_run *run;
	size_t run_size;
	const char *failed;	/* the step kt_vm_init failed at */
};

/*
 * KVM validates EFER.LME against the guest's CPUID (no LM bit, no long
 * mode), so the vCPU gets everything KVM supports, as a VMM would.
 */
static inline int kt_set_cpuid(struct kt_vm *vm)
{
	const int nent = 128;
	struct kvm_cpuid2 *c;
	int r = 0;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = nent;
	if (ioctl(vm->sys, KVM_GET_SUPPORTED_CPUID, c) ||
	    ioctl(vm->vcpu, KVM_SET_CPUID2, c))
		r = -errno;
	free(c);
	return r;
}

/*
 * Returns 0, or -errno of the step named by vm->failed.  With @irqchip,
 * KVM_CREATE_IRQCHIP comes before the vCPU, which then has a local APIC.
 */
static inline int kt_vm_init_with(struct kt_vm *vm, bool irqchip)
{
	struct kvm_userspace_memory_region mr;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->sys = vm->fd = vm->vcpu = -1;
	vm->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	RV_STEP(vm, "open /dev/kvm", vm->sys < 0);
	vm->fd = ioctl(vm->sys, KVM_CREATE_VM, 0);
	RV_STEP(vm, "KVM_CREATE_VM", vm->fd < 0);
	vm->mem_size = RV_MEM_SIZE;
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	RV_STEP(vm, "mmap guest memory", vm->mem == MAP_FAILED);
	memset(&mr, 0, sizeof(mr));
	mr.memory_size = vm->mem_size;
	mr.userspace_addr = (uintptr_t)vm->mem;
	RV_STEP(vm, "KVM_SET_USER_MEMORY_REGION",
		ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr));
	vm->run_size = ioctl(vm->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	RV_STEP(vm, "KVM_GET_VCPU_MMAP_SIZE", (long)vm->run_size <= 0);
	if (irqchip)
		RV_STEP(vm, "KVM_CREATE_IRQCHIP", ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	RV_STEP(vm, "KVM_CREATE_VCPU", vm->vcpu < 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	RV_STEP(vm, "mmap vCPU", vm->run == MAP_FAILED);
	r = kt_set_cpuid(vm);
	if (r) {
		vm->failed = "KVM_GET_SUPPORTED_CPUID/KVM_SET_CPUID2";
		return r;
	}
	return 0;
}

static inline int kt_vm_init(struct kt_vm *vm)
{
	return kt_vm_init_with(vm, false);
}

/* Safe on a VM that kt_vm_init left half-built. */
static inline void kt_vm_destroy(struct kt_vm *vm)
{
	if (vm->run && vm->run != MAP_FAILED)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, vm->mem_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->sys >= 0)
		close(vm->sys);
	memset(vm, 0, sizeof(*vm));
	vm->sys = vm->fd = vm->vcpu = -1;
}

static inline void kt_load(struct kt_vm *vm, uint64_t gpa, const unsigned char *start,
			   const unsigned char *end)
{
	memcpy(vm->mem + gpa, start, end - start);
}

static inline void kt_seg(struct kvm_segment *s, uint16_t sel, uint64_t base, uint32_t limit,
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

static inline int kt_set_rip_rsp(struct kt_vm *vm, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 0x2;
	return ioctl(vm->vcpu, KVM_SET_REGS, &regs) ? -errno : 0;
}

/* Real mode, CS = DS = SS = 0, IP = @entry. */
static inline int kt_real_mode(struct kt_vm *vm, uint16_t entry)
{
	struct kvm_sregs sr;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sr))
		return -errno;
	kt_seg(&sr.cs, 0, 0, 0xffff, 0xb, 0, 0, 0);
	kt_seg(&sr.ds, 0, 0, 0xffff, 0x3, 0, 0, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sr))
		return -errno;
	return kt_set_rip_rsp(vm, entry, RV_STACK);
}

/* Long mode, first 1 GiB identity-mapped by 2 MiB pages: vmx_util.h's layout. */
static inline int kt_long_mode(struct kt_vm *vm, uint64_t entry)
{
	uint64_t *gdt = (uint64_t *)(vm->mem + RV_GDT);
	uint64_t *pml4 = (uint64_t *)(vm->mem + RV_PML4);
	uint64_t *pdpt = (uint64_t *)(vm->mem + RV_PDPT);
	uint64_t *pd = (uint64_t *)(vm->mem + RV_PD);
	struct kvm_sregs sr;
	int k;

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	gdt[3] = 0x00af9b000000ffffull;
	pml4[0] = RV_PDPT | 3;
	pdpt[0] = RV_PD | 3;
	for (k = 0; k < 512; k++)
		pd[k] = ((uint64_t)k << 21) | 0x83;
	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sr))
		return -errno;
	kt_seg(&sr.cs, 0x18, 0, 0xffffffff, 0xb, 0, 1, 1);
	kt_seg(&sr.ds, 0x10, 0, 0xffffffff, 0x3, 1, 0, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = RV_GDT;
	sr.gdt.limit = 4 * 8 - 1;
	sr.idt.base = RV_IDT;
	sr.idt.limit = 0;
	sr.cr3 = RV_PML4;
	sr.cr4 = 0x20;			/* PAE */
	sr.cr0 = 0x80000011;		/* PG | PE | ET */
	sr.efer = 0x500;		/* LME | LMA */
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sr))
		return -errno;
	return kt_set_rip_rsp(vm, entry, RV_STACK);
}

/* KVM_RUN; returns the exit reason, or -errno when the ioctl failed. */
static inline int kt_run(struct kt_vm *vm)
{
	if (ioctl(vm->vcpu, KVM_RUN, 0))
		return -errno;
	return vm->run->exit_reason;
}

static inline void *kt_pio_data(struct kt_vm *vm)
{
	return (char *)vm->run + vm->run->io.data_offset;
}

static inline uint64_t kt_reg_rax(struct kt_vm *vm)
{
	struct kvm_regs regs;

	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		return ~0ull;
	return regs.rax;
}

/*
 * Debian's kvm-intel and what it needs, in load order; unloaded in the
 * reverse order.  The plan must copy them in with "kmod:" lines.
 */
static const char *const kt_host_modules[] = { "irqbypass", "kvm", "kvm-intel" };
#define KT_NR_HOST_MODULES 3

/* Returns 0, or -errno of the first module that failed (earlier ones unloaded). */
static inline int kt_load_kvm(void)
{
	int i, r;

	for (i = 0; i < KT_NR_HOST_MODULES; i++) {
		r = rv_load_host_module(kt_host_modules[i]);
		if (r && r != -EEXIST) {
			while (--i >= 0)
				rv_unload_module(kt_host_modules[i]);
			return r;
		}
	}
	return 0;
}

/* The module names the kernel knows them by use '_' for '-'. */
static inline int kt_unload_kvm(void)
{
	static const char *const names[] = { "kvm_intel", "kvm", "irqbypass" };
	int i, r, first = 0;

	for (i = 0; i < KT_NR_HOST_MODULES; i++) {
		r = rv_unload_module(names[i]);
		if (r && !first)
			first = r;
	}
	return first;
}

#endif /* RINGVM_KVM_UTIL_H */
