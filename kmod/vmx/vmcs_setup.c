// SPDX-License-Identifier: GPL-2.0
/*
 * Initial VMCS contents: execution controls, host state, and the reset
 * state of the guest (real mode at F000:FFF0, as after INIT).
 */
#include <linux/kernel.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "capabilities.h"
#include "vcpu.h"
#include "vm.h"
#include "vmenter.h"
#include "vmx_ops.h"

/* Host state that differs per CPU; rewritten whenever the VMCS changes CPU. */
void ringvm_vmcs_set_host_percpu(struct ringvm_vcpu *vcpu)
{
	struct desc_ptr gdt;
	struct desc_struct *d;
	unsigned long tr_base;
	u16 tr;
	u64 v;

	native_store_gdt(&gdt);
	vmcs_write(HOST_GDTR_BASE, gdt.address);

	/* The TSS descriptor is 16 bytes in long mode; its base spans both halves. */
	asm volatile("str %0" : "=r"(tr));
	d = (struct desc_struct *)(gdt.address + (tr & ~7));
	tr_base = get_desc_base(d) | ((unsigned long)((u32 *)d)[2] << 32);
	vmcs_write(HOST_TR_BASE, tr_base);

	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
}

static void vmcs_set_host_constant(void)
{
	struct desc_ptr idt;
	u32 lo, hi;
	u64 v;

	vmcs_write(HOST_CR0, read_cr0() & ~X86_CR0_TS);
	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, cr4_read_shadow());

	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_ES_SELECTOR, __KERNEL_DS);
	/* FS/GS selectors and FS base are the running task's: loaded.c sets them. */
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);

	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_RIP, (unsigned long)ringvm_vmexit);

	rdmsr(MSR_IA32_SYSENTER_CS, lo, hi);
	vmcs_write(HOST_IA32_SYSENTER_CS, lo);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write(HOST_IA32_PAT, v);
}

int ringvm_vmcs_init(struct ringvm_vcpu *vcpu)
{
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx_caps.proc2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_caps.entry);
	/*
	 * #MC is the host's (its handler must run, MCIP must be cleared);
	 * #AC is reflected by hand, so that a split-lock #AC of the host's
	 * detection never reaches the guest and #AC-during-#AC loops through
	 * the host instead of hanging the CPU in microcode (CVE-2015-5307).
	 * #DB too (CVE-2015-8104), and because the CPU does not update the
	 * guest's DR6 at a #DB that exits: exits.c does, then reflects it.
	 */
	vmcs_write(EXCEPTION_BITMAP, BIT(X86_TRAP_MC) | BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(TSC_OFFSET, 0);
	vmcs_write(MSR_BITMAP, __pa(ringvm_msr_bitmap));
	vmcs_write(EPT_POINTER, vcpu->vm->eptp);
	if (vmx_caps.vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vcpu->vpid);
	vmcs_write(VMCS_LINK_POINTER, -1ull);

	/* Guest/host masks: the guest reads its own values from the shadows. */
	vmcs_write(CR0_GUEST_HOST_MASK, ~(unsigned long)RV_GUEST_OWNED_CR0);
	vmcs_write(CR4_GUEST_HOST_MASK, ~(unsigned long)RV_GUEST_OWNED_CR4);

	vmcs_set_host_constant();
	ringvm_vmcs_set_host_percpu(vcpu);
	return 0;
}

static void set_real_segment(unsigned long sel_f, unsigned long base_f,
			     unsigned long limit_f, unsigned long ar_f,
			     u16 sel, u32 ar)
{
	vmcs_write(sel_f, sel);
	vmcs_write(base_f, (unsigned long)sel << 4);
	vmcs_write(limit_f, 0xffff);
	vmcs_write(ar_f, ar);
}

#define REAL_SEG(s, sel, ar) \
	set_real_segment(GUEST_##s##_SELECTOR, GUEST_##s##_BASE, GUEST_##s##_LIMIT, \
			 GUEST_##s##_AR_BYTES, sel, ar)

/* The architectural state after INIT (SDM Vol. 3 Table 10-1). */
void ringvm_vcpu_reset_state(struct ringvm_vcpu *vcpu)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs[RV_RDX] = 0x600;	/* family 6 reset signature */

	REAL_SEG(CS, 0xf000, 0x9b);
	vmcs_write(GUEST_CS_BASE, 0xffff0000);
	REAL_SEG(DS, 0, 0x93);
	REAL_SEG(ES, 0, 0x93);
	REAL_SEG(FS, 0, 0x93);
	REAL_SEG(GS, 0, 0x93);
	REAL_SEG(SS, 0, 0x93);
	vmcs_write(GUEST_TR_SELECTOR, 0);
	vmcs_write(GUEST_TR_BASE, 0);
	vmcs_write(GUEST_TR_LIMIT, 0xffff);
	vmcs_write(GUEST_TR_AR_BYTES, 0x8b);
	vmcs_write(GUEST_LDTR_SELECTOR, 0);
	vmcs_write(GUEST_LDTR_BASE, 0);
	vmcs_write(GUEST_LDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_LDTR_AR_BYTES, 0x82);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);

	vmcs_write(GUEST_RIP, 0xfff0);
	vmcs_write(GUEST_RSP, 0);
	vmcs_write(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_write(GUEST_DR7, 0x400);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);

	vcpu->efer = 0;
	vmcs_write(GUEST_IA32_EFER, 0);
	vcpu->cr4 = 0;
	ringvm_set_cr4(vcpu, 0);
	vcpu->cr0 = 0;
	ringvm_set_cr0(vcpu, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmcs_write(GUEST_CR3, 0);
	vcpu->cr2 = 0;
	vcpu->cr8 = 0;
	vcpu->dr6 = 0xffff0ff0;
	vcpu->dr7 = 0x400;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->apic_base = 0xfee00000 | (1 << 11) | (vcpu->id ? 0 : (1 << 8));
	vcpu->misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING;
	vcpu->mtrr_def_type = 0;
	vcpu->pending_irq = -1;
	vcpu->pending_irq_apic = false;
	vcpu->exception_pending = false;
	vcpu->completion = RV_COMPLETE_NONE;
}
