// SPDX-License-Identifier: GPL-2.0
/*
 * Guest registers: the REGS/SREGS ioctls and the CR0/CR4/EFER rules that
 * both those ioctls and the guest's own MOV-to-CR and WRMSR go through.
 * The guest sees its values through read shadows; the hardware gets them
 * with VMX's fixed bits applied and CD/NW dropped (EPT decides caching).
 */
#include <linux/kernel.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/msr-index.h>
#include <asm/traps.h>
#include <asm/vmx.h>

#include "capabilities.h"
#include "irq.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

#define CR0_DEFINED	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | \
			 X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | \
			 X86_CR0_PG)
#define CR4_ALLOWED	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | \
			 X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_UMIP | \
			 X86_CR4_FSGSBASE | X86_CR4_PCIDE | X86_CR4_OSXSAVE | \
			 X86_CR4_SMEP | X86_CR4_SMAP)
#define EFER_ALLOWED	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

u64 ringvm_read_cr0(struct ringvm_vcpu *vcpu)
{
	return (vcpu->cr0 & ~RV_GUEST_OWNED_CR0) | (vmcs_read(GUEST_CR0) & RV_GUEST_OWNED_CR0);
}

u64 ringvm_read_cr4(struct ringvm_vcpu *vcpu)
{
	return (vcpu->cr4 & ~RV_GUEST_OWNED_CR4) | (vmcs_read(GUEST_CR4) & RV_GUEST_OWNED_CR4);
}

static void write_cr0_hw(struct ringvm_vcpu *vcpu, u64 cr0)
{
	/* Unrestricted guest lets PE and PG be 0; every other fixed-1 bit stays. */
	u64 fixed = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
	u64 hw = ((cr0 & ~(X86_CR0_CD | X86_CR0_NW)) | fixed) & vmx_caps.cr0_fixed1;

	vcpu->cr0 = cr0;
	vmcs_write(CR0_READ_SHADOW, cr0);
	vmcs_write(GUEST_CR0, hw);
}

static void write_cr4_hw(struct ringvm_vcpu *vcpu, u64 cr4)
{
	vcpu->cr4 = cr4;
	vmcs_write(CR4_READ_SHADOW, cr4);
	vmcs_write(GUEST_CR4, (cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
}

static void set_long_mode_active(struct ringvm_vcpu *vcpu, bool lma)
{
	if (lma) {
		vcpu->efer |= EFER_LMA;
		vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	} else {
		vcpu->efer &= ~EFER_LMA;
		vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	}
	vmcs_write(GUEST_IA32_EFER, vcpu->efer);
}

/*
 * PAE paging outside long mode takes its top level from four PDPTEs that
 * VM entry loads from the VMCS, so they are read whenever CR0/CR3/CR4
 * changes into that mode from our side.
 */
static int load_pdptrs(struct ringvm_vcpu *vcpu)
{
	u64 pdpte[4];
	int i;

	if (ringvm_read_guest(vcpu->vm, vmcs_read(GUEST_CR3) & ~0x1fULL, pdpte, sizeof(pdpte)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		vmcs_write(GUEST_PDPTR0 + i * 2, pdpte[i]);
	return 0;
}

/* CS.L: the guest runs 64-bit code (with EFER.LMA). */
static bool cs_long(struct ringvm_vcpu *vcpu)
{
	return vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK;
}

static bool pae_paging(struct ringvm_vcpu *vcpu)
{
	return (vcpu->cr0 & X86_CR0_PG) && (vcpu->cr4 & X86_CR4_PAE) &&
	       !(vcpu->efer & EFER_LMA);
}

int ringvm_set_cr0(struct ringvm_vcpu *vcpu, u64 val)
{
	u64 old = ringvm_read_cr0(vcpu);

	val |= X86_CR0_ET;
	if (val & ~(u64)CR0_DEFINED)
		return -EINVAL;
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return -EINVAL;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return -EINVAL;

	/*
	 * Paging off from 64-bit code, or with PCIDs on, is #GP (SDM Vol. 3
	 * 2.5, KVM's kvm_is_valid_cr0): taking it would leave a state that
	 * VM entry refuses, killing the VM instead of faulting the guest.
	 */
	if (!(val & X86_CR0_PG) &&
	    (((vcpu->efer & EFER_LMA) && cs_long(vcpu)) || (vcpu->cr4 & X86_CR4_PCIDE)))
		return -EINVAL;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (vcpu->efer & EFER_LME)) {
		/* Activating long mode needs PAE, and cannot happen from a 64-bit CS. */
		if (!(vcpu->cr4 & X86_CR4_PAE) || cs_long(vcpu))
			return -EINVAL;
		set_long_mode_active(vcpu, true);
	} else if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) && (vcpu->efer & EFER_LMA)) {
		set_long_mode_active(vcpu, false);
	}
	write_cr0_hw(vcpu, val);
	/* Turning paging on or off flushes the TLB; VPID-tagged entries would survive it. */
	if ((old ^ val) & X86_CR0_PG)
		vcpu->flush_tlb = true;
	if (pae_paging(vcpu) && ((old ^ val) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)))
		return load_pdptrs(vcpu);
	return 0;
}

int ringvm_set_cr4(struct ringvm_vcpu *vcpu, u64 val)
{
	u64 old = ringvm_read_cr4(vcpu);

	if (val & ~(u64)CR4_ALLOWED)
		return -EINVAL;
	if ((vcpu->efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -EINVAL;
	/* PCIDs only in long mode, and only from PCID 0 (SDM Vol. 3 4.10.1). */
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!(vcpu->efer & EFER_LMA) || (vmcs_read(GUEST_CR3) & X86_CR3_PCID_MASK)))
		return -EINVAL;
	write_cr4_hw(vcpu, val);
	/*
	 * Changing PGE, PAE, PSE or SMEP, or clearing PCIDE, flushes the TLB
	 * (global entries too, SDM Vol. 3 4.10.4.1); PGE is guest-owned, so
	 * only a write that also changes one of the others exits here.
	 */
	if (((old ^ val) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | X86_CR4_SMEP)) ||
	    ((old & X86_CR4_PCIDE) && !(val & X86_CR4_PCIDE)))
		vcpu->flush_tlb = true;
	if (pae_paging(vcpu) && ((old ^ val) & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE)))
		return load_pdptrs(vcpu);
	return 0;
}

/* A guest WRMSR to EFER: LMA is the CPU's to set, LME cannot change under paging. */
int ringvm_set_efer(struct ringvm_vcpu *vcpu, u64 val)
{
	if (val & ~(u64)EFER_ALLOWED)
		return -EINVAL;
	if ((vcpu->cr0 & X86_CR0_PG) && ((val ^ vcpu->efer) & EFER_LME))
		return -EINVAL;
	val = (val & ~EFER_LMA) | (vcpu->efer & EFER_LMA);
	vcpu->efer = val;
	vmcs_write(GUEST_IA32_EFER, val);
	return 0;
}

void ringvm_skip_insn(struct ringvm_vcpu *vcpu, unsigned int len)
{
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);

	vmcs_write(GUEST_RIP, vmcs_read(GUEST_RIP) + len);
	/* Completing an instruction ends the STI / MOV SS shadow it was under. */
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	/*
	 * The instruction ran here, not in the guest: with EFLAGS.TF the CPU
	 * would now take a single-step trap (DR6.BS), so give it one, or the
	 * step over a CPUID, port I/O or MOV DR is lost (KVM's
	 * kvm_vcpu_do_singlestep).  Not after MOV SS, whose shadow holds
	 * debug traps back for one instruction.  A CPU that kept the step
	 * pending across the exit itself (Bochs does, for CPUID) must not
	 * deliver it a second time.
	 */
	if ((vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_TF) && !(intr & GUEST_INTR_STATE_MOV_SS)) {
		vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) | DR_STEP;
		ringvm_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS,
			   vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS) & ~DR_STEP);
	}
}

void ringvm_get_regs(struct ringvm_vcpu *vcpu, struct ringvm_regs *r)
{
	unsigned long *g = vcpu->regs;

	r->rax = g[RV_RAX]; r->rbx = g[RV_RBX]; r->rcx = g[RV_RCX]; r->rdx = g[RV_RDX];
	r->rsi = g[RV_RSI]; r->rdi = g[RV_RDI]; r->rbp = g[RV_RBP];
	r->r8 = g[RV_R8]; r->r9 = g[RV_R9]; r->r10 = g[RV_R10]; r->r11 = g[RV_R11];
	r->r12 = g[RV_R12]; r->r13 = g[RV_R13]; r->r14 = g[RV_R14]; r->r15 = g[RV_R15];
	r->rsp = vmcs_read(GUEST_RSP);
	r->rip = vmcs_read(GUEST_RIP);
	r->rflags = vmcs_read(GUEST_RFLAGS);
}

void ringvm_set_regs(struct ringvm_vcpu *vcpu, const struct ringvm_regs *r)
{
	unsigned long *g = vcpu->regs;

	g[RV_RAX] = r->rax; g[RV_RBX] = r->rbx; g[RV_RCX] = r->rcx; g[RV_RDX] = r->rdx;
	g[RV_RSI] = r->rsi; g[RV_RDI] = r->rdi; g[RV_RBP] = r->rbp;
	g[RV_R8] = r->r8; g[RV_R9] = r->r9; g[RV_R10] = r->r10; g[RV_R11] = r->r11;
	g[RV_R12] = r->r12; g[RV_R13] = r->r13; g[RV_R14] = r->r14; g[RV_R15] = r->r15;
	vmcs_write(GUEST_RSP, r->rsp);
	vmcs_write(GUEST_RIP, r->rip);
	/* Bit 1 is fixed to 1, reserved bits to 0: anything else fails VM entry. */
	vmcs_write(GUEST_RFLAGS, (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED);
	/* An STI shadow cannot outlive IF: VM entry rejects the pair. */
	if (!(r->rflags & X86_EFLAGS_IF))
		vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_STI);
}

/* VMCS segment fields in the order of enum vmcs_field's selector block. */
struct seg_fields {
	unsigned long sel, base, limit, ar;
};

#define SEG(s) { GUEST_##s##_SELECTOR, GUEST_##s##_BASE, GUEST_##s##_LIMIT, GUEST_##s##_AR_BYTES }

static const struct seg_fields seg_cs = SEG(CS), seg_ds = SEG(DS), seg_es = SEG(ES),
	seg_fs = SEG(FS), seg_gs = SEG(GS), seg_ss = SEG(SS), seg_tr = SEG(TR),
	seg_ldt = SEG(LDTR);

static void get_seg(const struct seg_fields *f, struct ringvm_segment *s)
{
	u32 ar = vmcs_read(f->ar);

	memset(s, 0, sizeof(*s));
	s->selector = vmcs_read(f->sel);
	s->base = vmcs_read(f->base);
	s->limit = vmcs_read(f->limit);
	s->type = ar & 0xf;
	s->s = (ar >> 4) & 1;
	s->dpl = (ar >> 5) & 3;
	s->present = (ar >> 7) & 1;
	s->avl = (ar >> 12) & 1;
	s->l = (ar >> 13) & 1;
	s->db = (ar >> 14) & 1;
	s->g = (ar >> 15) & 1;
	s->unusable = (ar >> 16) & 1;
}

static void set_seg(const struct seg_fields *f, const struct ringvm_segment *s, bool accessed)
{
	u32 ar;

	if (s->unusable || !s->present) {
		ar = VMX_AR_UNUSABLE_MASK;
	} else {
		/* Unrestricted guest demands the accessed bit on usable segments. */
		ar = (s->type | (accessed ? 1 : 0)) & 0xf;
		ar |= (s->s & 1) << 4 | (s->dpl & 3) << 5 | (s->present & 1) << 7 |
		      (s->avl & 1) << 12 | (s->l & 1) << 13 | (s->db & 1) << 14 |
		      (s->g & 1) << 15;
	}
	vmcs_write(f->sel, s->selector);
	vmcs_write(f->base, s->base);
	vmcs_write(f->limit, s->limit);
	vmcs_write(f->ar, ar);
}

/* VM entry requires a usable, present, busy TSS in TR whatever the mode. */
static void set_seg_tr(const struct ringvm_segment *s)
{
	u8 type = (s->type == VMX_AR_TYPE_BUSY_16_TSS) ? s->type : VMX_AR_TYPE_BUSY_32_TSS;

	vmcs_write(GUEST_TR_SELECTOR, s->selector);
	vmcs_write(GUEST_TR_BASE, s->base);
	vmcs_write(GUEST_TR_LIMIT, s->limit);
	vmcs_write(GUEST_TR_AR_BYTES, type | VMX_AR_P_MASK | (s->g ? VMX_AR_G_MASK : 0));
}

void ringvm_get_sregs(struct ringvm_vcpu *vcpu, struct ringvm_sregs *sr)
{
	memset(sr, 0, sizeof(*sr));
	get_seg(&seg_cs, &sr->cs);
	get_seg(&seg_ds, &sr->ds);
	get_seg(&seg_es, &sr->es);
	get_seg(&seg_fs, &sr->fs);
	get_seg(&seg_gs, &sr->gs);
	get_seg(&seg_ss, &sr->ss);
	get_seg(&seg_tr, &sr->tr);
	get_seg(&seg_ldt, &sr->ldt);
	sr->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	sr->gdt.limit = vmcs_read(GUEST_GDTR_LIMIT);
	sr->idt.base = vmcs_read(GUEST_IDTR_BASE);
	sr->idt.limit = vmcs_read(GUEST_IDTR_LIMIT);
	sr->cr0 = ringvm_read_cr0(vcpu);
	sr->cr2 = vcpu->cr2;
	sr->cr3 = vmcs_read(GUEST_CR3);
	sr->cr4 = ringvm_read_cr4(vcpu);
	sr->cr8 = vcpu->lapic ? ringvm_lapic_get_cr8(vcpu) : vcpu->cr8;
	sr->efer = vcpu->efer;
	sr->apic_base = vcpu->apic_base;
	if (vcpu->pending_irq >= 0)
		__set_bit(vcpu->pending_irq, (unsigned long *)sr->interrupt_bitmap);
}

/* The one vector SET_SREGS's interrupt_bitmap holds, -1 for none, -EINVAL for more. */
static int sregs_pending_irq(const struct ringvm_sregs *sr)
{
	const unsigned long *bits = (const unsigned long *)sr->interrupt_bitmap;
	unsigned int v = find_first_bit(bits, RINGVM_NR_INTERRUPTS);

	if (v >= RINGVM_NR_INTERRUPTS)
		return -1;
	if (find_next_bit(bits, RINGVM_NR_INTERRUPTS, v + 1) < RINGVM_NR_INTERRUPTS)
		return -EINVAL;
	return v;
}

int ringvm_set_sregs(struct ringvm_vcpu *vcpu, const struct ringvm_sregs *sr)
{
	int irq = sregs_pending_irq(sr);

	/* A CPU holds one acknowledged interrupt at most. */
	if (irq == -EINVAL)
		return -EINVAL;
	if (sr->efer & ~(u64)EFER_ALLOWED || sr->cr4 & ~(u64)CR4_ALLOWED ||
	    (sr->cr0 | X86_CR0_ET) & ~(u64)CR0_DEFINED || sr->cr8 > 15)
		return -EINVAL;
	/* Long mode active needs paging and PAE, and is what LMA says it is. */
	if (!!(sr->efer & EFER_LMA) !=
	    ((sr->cr0 & X86_CR0_PG) && (sr->efer & EFER_LME)))
		return -EINVAL;
	if ((sr->efer & EFER_LMA) && !(sr->cr4 & X86_CR4_PAE))
		return -EINVAL;
	/* Bases VM entry would refuse: CS/SS/DS/ES above 4G, the rest non-canonical. */
	if ((sr->cs.base | sr->ss.base | sr->ds.base | sr->es.base) >> 32 ||
	    !__is_canonical_address(sr->fs.base, 48) || !__is_canonical_address(sr->gs.base, 48) ||
	    !__is_canonical_address(sr->tr.base, 48) || !__is_canonical_address(sr->ldt.base, 48) ||
	    !__is_canonical_address(sr->gdt.base, 48) || !__is_canonical_address(sr->idt.base, 48))
		return -EINVAL;
	/* With an irqchip, APIC_BASE and CR8 are the local APIC's (host-initiated). */
	if (vcpu->lapic && ringvm_lapic_set_sregs(vcpu, sr->apic_base, sr->cr8))
		return -EINVAL;

	set_seg(&seg_cs, &sr->cs, true);
	set_seg(&seg_ds, &sr->ds, true);
	set_seg(&seg_es, &sr->es, true);
	set_seg(&seg_fs, &sr->fs, true);
	set_seg(&seg_gs, &sr->gs, true);
	set_seg(&seg_ss, &sr->ss, true);
	set_seg_tr(&sr->tr);
	set_seg(&seg_ldt, &sr->ldt, false);
	vmcs_write(GUEST_GDTR_BASE, sr->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, sr->gdt.limit);
	vmcs_write(GUEST_IDTR_BASE, sr->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, sr->idt.limit);

	/*
	 * New segment and control state: an event cut short by the last exit
	 * is void, and the acknowledged interrupt is what interrupt_bitmap
	 * says, as on KVM; but an empty bitmap drops it, so that a VMM
	 * resetting the vCPU from a state of its own leaves no old PIC vector
	 * behind (KVM keeps it, and has KVM_SET_VCPU_EVENTS for that).  An
	 * APIC vector dropped was in service already: make it pending again,
	 * or its ISR bit would block lower vectors for good.
	 */
	if (irq != vcpu->pending_irq) {
		if (vcpu->pending_irq >= 0 && vcpu->pending_irq_apic)
			ringvm_lapic_requeue_irq(vcpu, vcpu->pending_irq);
		vcpu->pending_irq = irq;
		vcpu->pending_irq_apic = false;
	}
	vcpu->idt_vectoring = 0;
	vcpu->exception_pending = false;

	vcpu->efer = sr->efer;
	set_long_mode_active(vcpu, sr->efer & EFER_LMA);
	vmcs_write(GUEST_CR3, sr->cr3);
	vcpu->cr2 = sr->cr2;
	vcpu->cr8 = sr->cr8;
	vcpu->apic_base = sr->apic_base;
	write_cr4_hw(vcpu, sr->cr4);
	write_cr0_hw(vcpu, sr->cr0 | X86_CR0_ET);
	/* A new paging state from the VMM: nothing cached under the old one may survive. */
	vcpu->flush_tlb = true;
	if (pae_paging(vcpu))
		return load_pdptrs(vcpu);
	return 0;
}
