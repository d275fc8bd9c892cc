// SPDX-License-Identifier: GPL-2.0
/*
 * Walk the guest's page tables in software: the kernel needs guest-linear
 * addresses for string I/O operands and for fetching the instruction that
 * touched MMIO.  Handles no paging, 32-bit (with PSE), PAE and 4-level.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "exits.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_PS		BIT_ULL(7)

/* #PF error code bits (SDM Vol. 3 4.7). */
#define PF_PRESENT	BIT(0)
#define PF_WRITE	BIT(1)
#define PF_USER		BIT(2)
#define PTE_ADDR	GENMASK_ULL(51, 12)

static const unsigned long seg_base_field[] = {
	GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE,
	GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE,
};

static bool long_mode_code(struct ringvm_vcpu *vcpu)
{
	return (vcpu->efer & EFER_LMA) && (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
}

unsigned int ringvm_code_size(struct ringvm_vcpu *vcpu)
{
	if (long_mode_code(vcpu))
		return 8;
	if (!(vcpu->cr0 & X86_CR0_PE))
		return 2;
	return (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_DB_MASK) ? 4 : 2;
}

u64 ringvm_seg_linear(struct ringvm_vcpu *vcpu, unsigned int seg, u64 offset)
{
	/* 64-bit code ignores every segment base but FS and GS. */
	if (long_mode_code(vcpu) && seg != 4 && seg != 5)
		return offset;
	if (seg >= ARRAY_SIZE(seg_base_field))
		seg = 3;
	offset += vmcs_read(seg_base_field[seg]);
	return long_mode_code(vcpu) ? offset : (u32)offset;
}

static int read_pte(struct ringvm_vcpu *vcpu, u64 addr, bool wide, u64 *pte)
{
	u32 narrow;

	if (wide)
		return ringvm_read_guest(vcpu->vm, addr, pte, 8);
	if (ringvm_read_guest(vcpu->vm, addr, &narrow, 4))
		return -EFAULT;
	*pte = narrow;
	return 0;
}

/*
 * Translate @gva; *@rights gets the U/S and R/W bits ANDed over every level
 * (PAE PDPTEs have neither, so they do not narrow them).  -ENOENT: a level
 * is not present; -EFAULT: a table is not in guest memory.
 */
static int walk(struct ringvm_vcpu *vcpu, u64 gva, u64 *gpa, u64 *rights)
{
	u64 table, pte;
	int level, bits;
	bool wide;

	*rights = PTE_RW | PTE_US;

	if (!(vcpu->cr0 & X86_CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	table = vmcs_read(GUEST_CR3);
	if (vcpu->efer & EFER_LMA) {
		level = 3;
		wide = true;
		bits = 9;
		table &= PTE_ADDR;
	} else if (vcpu->cr4 & X86_CR4_PAE) {
		pte = vmcs_read(GUEST_PDPTR0 + ((gva >> 30) & 3) * 2);
		if (!(pte & PTE_P))
			return -ENOENT;
		table = pte & PTE_ADDR;
		level = 1;
		wide = true;
		bits = 9;
	} else {
		level = 1;
		wide = false;
		bits = 10;
		table &= 0xfffff000;
	}

	for (;; level--) {
		unsigned int shift = PAGE_SHIFT + bits * level;
		u64 idx = (gva >> shift) & ((1u << bits) - 1);

		if (read_pte(vcpu, table + idx * (wide ? 8 : 4), wide, &pte))
			return -EFAULT;
		if (!(pte & PTE_P))
			return -ENOENT;
		*rights &= pte;
		if (level == 0) {
			*gpa = (pte & PTE_ADDR) | (gva & ~PAGE_MASK);
			return 0;
		}
		if ((pte & PTE_PS) && (wide ? level <= 2 : (vcpu->cr4 & X86_CR4_PSE))) {
			u64 size = 1ULL << shift;
			u64 base = pte & PTE_ADDR & ~(size - 1);

			/* 32-bit PSE keeps address bits 39:32 in PDE bits 20:13. */
			if (!wide)
				base = (pte & 0xffc00000) | ((pte & 0x1fe000) << 19);
			*gpa = base | (gva & (size - 1));
			return 0;
		}
		table = pte & PTE_ADDR;
	}
}

int ringvm_gva_to_gpa(struct ringvm_vcpu *vcpu, u64 gva, u64 *gpa)
{
	u64 rights;

	return walk(vcpu, gva, gpa, &rights) ? -EFAULT : 0;
}

/*
 * The #PF error code a data access to @gva would raise under the guest's
 * rules, or 0 if it is allowed.  *@gpa is valid when 0 is returned.
 */
static u32 data_access_fault(struct ringvm_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
			     int *err)
{
	bool user = ((vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3) == 3;
	u32 ec = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
	u64 rights;

	*err = walk(vcpu, gva, gpa, &rights);
	if (*err == -ENOENT) {
		*err = 0;
		return ec;
	}
	if (*err || !(vcpu->cr0 & X86_CR0_PG))
		return 0;
	if (user) {
		if (!(rights & PTE_US) || (write && !(rights & PTE_RW)))
			return ec | PF_PRESENT;
		return 0;
	}
	/* Supervisor: CR0.WP makes read-only pages read-only for it too. */
	if (write && !(rights & PTE_RW) && (vcpu->cr0 & X86_CR0_WP))
		return ec | PF_PRESENT;
	/* SMAP: user pages are off limits unless EFLAGS.AC says otherwise. */
	if ((rights & PTE_US) && (vcpu->cr4 & X86_CR4_SMAP) &&
	    !(vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_AC))
		return ec | PF_PRESENT;
	return 0;
}

/*
 * Count down the bytes, not up to an end address: an operand in the top
 * page of the address space would wrap "end" to 0 and skip the check, and
 * the access would then reach a page the guest made read-only.
 */
int ringvm_check_guest_virt(struct ringvm_vcpu *vcpu, u64 gva, unsigned int len, bool write)
{
	u64 gpa;
	int err;

	while (len) {
		unsigned int chunk = min_t(u64, len, PAGE_SIZE - (gva & ~PAGE_MASK));
		u32 ec = data_access_fault(vcpu, gva, write, &gpa, &err);

		if (err)
			return err;
		if (ec) {
			vcpu->cr2 = gva;
			ringvm_queue_exception(vcpu, X86_TRAP_PF, true, ec);
			return 1;
		}
		gva += chunk;
		len -= chunk;
	}
	return 0;
}

static int access_virt(struct ringvm_vcpu *vcpu, u64 gva, void *buf, unsigned int len,
		       bool write)
{
	while (len) {
		unsigned int chunk = min_t(u64, len, PAGE_SIZE - (gva & ~PAGE_MASK));
		u64 gpa;
		int r;

		r = ringvm_gva_to_gpa(vcpu, gva, &gpa);
		if (r)
			return r;
		r = write ? ringvm_write_guest(vcpu->vm, gpa, buf, chunk) :
			    ringvm_read_guest(vcpu->vm, gpa, buf, chunk);
		if (r)
			return r;
		gva += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int ringvm_read_guest_virt(struct ringvm_vcpu *vcpu, u64 gva, void *buf, unsigned int len)
{
	return access_virt(vcpu, gva, buf, len, false);
}

int ringvm_write_guest_virt(struct ringvm_vcpu *vcpu, u64 gva, const void *buf,
			    unsigned int len)
{
	return access_virt(vcpu, gva, (void *)buf, len, true);
}
