// SPDX-License-Identifier: GPL-2.0
/*
 * VM-exit dispatch: one handler per basic exit reason, found by name in
 * exit_handlers[].  Reasons with no handler are unexpected and reach
 * userspace as INTERNAL_ERROR with the raw reason and qualification.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/traps.h>
#include <asm/vmx.h>

#include "apicv.h"
#include "exits.h"
#include "irq.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_ops.h"

unsigned long ringvm_get_gpr(struct ringvm_vcpu *vcpu, unsigned int reg)
{
	return reg == RV_RSP ? vmcs_read(GUEST_RSP) : vcpu->regs[reg & 15];
}

void ringvm_set_gpr(struct ringvm_vcpu *vcpu, unsigned int reg, unsigned long val)
{
	if (reg == RV_RSP)
		vmcs_write(GUEST_RSP, val);
	else
		vcpu->regs[reg & 15] = val;
}

int ringvm_internal_error(struct ringvm_vcpu *vcpu, u32 suberror, unsigned int ndata,
			  const u64 *data)
{
	struct ringvm_run *run = vcpu->run;

	run->exit_reason = RINGVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = min(ndata, 16u);
	memcpy(run->internal.data, data, run->internal.ndata * sizeof(u64));
	return 0;
}

static unsigned int insn_len(void)
{
	return vmcs_read(VM_EXIT_INSTRUCTION_LEN);
}

static int skip_and_continue(struct ringvm_vcpu *vcpu)
{
	ringvm_skip_insn(vcpu, insn_len());
	return 1;
}

static int inject_ud(struct ringvm_vcpu *vcpu)
{
	ringvm_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return 1;
}

static int inject_gp(struct ringvm_vcpu *vcpu)
{
	ringvm_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	return 1;
}

static int handle_unexpected(struct ringvm_vcpu *vcpu, u32 reason)
{
	u64 data[3] = { reason, vmcs_read(EXIT_QUALIFICATION), vmcs_read(GUEST_RIP) };

	return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_UNEXPECTED_EXIT, 3, data);
}

/* The guest itself asked for alignment checks: CPL 3, CR0.AM and EFLAGS.AC. */
static bool guest_wants_ac(struct ringvm_vcpu *vcpu)
{
	/* Without split-lock detection every #AC is an alignment check. */
	if (!boot_cpu_has(X86_FEATURE_SPLIT_LOCK_DETECT))
		return true;
	return ((vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3) == 3 && (vcpu->cr0 & X86_CR0_AM) &&
	       (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_AC);
}

/*
 * #AC: the guest's own alignment check goes back to it; a split lock the
 * host detects follows the host's policy (warn and let the task go on, or
 * SIGBUS), as KVM does; if it wants neither, userspace hears of it.
 */
static int handle_ac(struct ringvm_vcpu *vcpu)
{
	u64 data[3] = { EXIT_REASON_EXCEPTION_NMI, X86_TRAP_AC, vmcs_read(GUEST_RIP) };

	if (guest_wants_ac(vcpu)) {
		ringvm_queue_exception(vcpu, X86_TRAP_AC, true,
				       vmcs_read(VM_EXIT_INTR_ERROR_CODE));
		return 1;
	}
	if (handle_guest_split_lock(data[2]))
		return 1;
	return ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_UNEXPECTED_EXIT, 3, data);
}

/*
 * #DB: the CPU put what it would have added to DR6 in the exit
 * qualification and left DR6 alone; update the guest's DR6 (and DR7.GD,
 * which delivery clears) as the CPU would, then deliver it.  INT1 (ICEBP)
 * is a trap that touches neither: deliver it after the instruction.
 */
static int handle_db(struct ringvm_vcpu *vcpu, u32 info)
{
	unsigned long q;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION) {
		ringvm_skip_insn(vcpu, insn_len());
	} else {
		q = vmcs_read(EXIT_QUALIFICATION);
		vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) |
			    (q & (DR_TRAP_BITS | RV_DR6_BD | DR_STEP));
	}
	vcpu->dr7 &= ~RV_DR7_GD;
	vmcs_write(GUEST_DR7, vcpu->dr7);
	ringvm_queue_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

static int handle_exception_nmi(struct ringvm_vcpu *vcpu)
{
	u32 info = vmcs_read(VM_EXIT_INTR_INFO);
	u32 vector = info & INTR_INFO_VECTOR_MASK;

	/* NMIs and machine checks were handed to the host right after the exit. */
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1;
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION) {
		if (vector == X86_TRAP_MC)
			return 1;
		if (vector == X86_TRAP_AC)
			return handle_ac(vcpu);
	}
	if (vector == X86_TRAP_DB)
		return handle_db(vcpu, info);
	return handle_unexpected(vcpu, EXIT_REASON_EXCEPTION_NMI);
}

/* #MC during VM entry: the host took it at the exit; enter again. */
static int handle_mce_during_vmentry(struct ringvm_vcpu *vcpu)
{
	return 1;
}

/* The host took the interrupt as soon as interrupts were re-enabled. */
static int handle_external_interrupt(struct ringvm_vcpu *vcpu)
{
	return 1;
}

static int handle_triple_fault(struct ringvm_vcpu *vcpu)
{
	vcpu->idt_vectoring = 0;
	vcpu->run->exit_reason = RINGVM_EXIT_SHUTDOWN;
	return 0;
}

static int handle_interrupt_window(struct ringvm_vcpu *vcpu)
{
	vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
	/* A queued interrupt goes in at the next entry; otherwise tell the VMM. */
	if (!vcpu->lapic && vcpu->pending_irq < 0 && vcpu->run->request_interrupt_window) {
		vcpu->run->exit_reason = RINGVM_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}
	return 1;
}

/* The guest can take the NMI it was waiting for: the next entry injects it. */
static int handle_nmi_window(struct ringvm_vcpu *vcpu)
{
	vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_NMI_WINDOW_EXITING);
	return 1;
}

static int handle_cpuid(struct ringvm_vcpu *vcpu)
{
	ringvm_emulate_cpuid(vcpu);
	return skip_and_continue(vcpu);
}

static int handle_hlt(struct ringvm_vcpu *vcpu)
{
	/* With an irqchip the wake-up comes from the kernel: wait there. */
	if (vcpu->lapic) {
		ringvm_skip_insn(vcpu, insn_len());
		return ringvm_lapic_halt(vcpu);
	}
	vcpu->insn_len = insn_len();
	vcpu->completion = RV_COMPLETE_SKIP;
	vcpu->run->exit_reason = RINGVM_EXIT_HLT;
	return 0;
}

/* MOV to/from CR (SDM Vol. 3 Table 28-3). */
static int handle_cr_access(struct ringvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	unsigned int cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	unsigned long val;
	int r = 0;

	switch (type) {
	case 0:	/* MOV to CR */
		val = ringvm_get_gpr(vcpu, reg);
		if (cr == 0)
			r = ringvm_set_cr0(vcpu, val);
		else if (cr == 4)
			r = ringvm_set_cr4(vcpu, val);
		else if (cr == 8 && val <= 15 && vcpu->lapic)
			ringvm_lapic_set_cr8(vcpu, val);
		else if (cr == 8 && val <= 15)
			vcpu->cr8 = val;
		else if (cr == 8)
			r = -EINVAL;
		else if (cr == 3)
			vmcs_write(GUEST_CR3, val);
		else
			return handle_unexpected(vcpu, EXIT_REASON_CR_ACCESS);
		break;
	case 1:	/* MOV from CR */
		if (cr == 8 && vcpu->lapic)
			ringvm_set_gpr(vcpu, reg, ringvm_lapic_get_cr8(vcpu));
		else if (cr == 8)
			ringvm_set_gpr(vcpu, reg, vcpu->cr8);
		else if (cr == 3)
			ringvm_set_gpr(vcpu, reg, vmcs_read(GUEST_CR3));
		else
			return handle_unexpected(vcpu, EXIT_REASON_CR_ACCESS);
		break;
	case 2:	/* CLTS */
		r = ringvm_set_cr0(vcpu, ringvm_read_cr0(vcpu) & ~X86_CR0_TS);
		break;
	case 3:	/* LMSW: sets PE, MP, EM, TS; never clears PE */
		val = ringvm_read_cr0(vcpu);
		val = (val & ~0xeUL) | ((q >> 16) & 0xf);
		r = ringvm_set_cr0(vcpu, val);
		break;
	}
	if (r)
		return inject_gp(vcpu);
	return skip_and_continue(vcpu);
}

/* MOV DR: the guest's debug registers live in the vCPU and the VMCS. */
static int handle_dr_access(struct ringvm_vcpu *vcpu)
{
	unsigned long q = vmcs_read(EXIT_QUALIFICATION);
	unsigned int dr = q & 7, reg = (q >> 8) & 15;
	bool read = q & BIT(4);
	u64 *slot;

	if (dr == 4 || dr == 5) {
		if (ringvm_read_cr4(vcpu) & X86_CR4_DE)
			return inject_ud(vcpu);
		dr += 2;
	}
	/* General detect: a fault before the access, DR7.GD cleared for the handler. */
	if (vcpu->dr7 & RV_DR7_GD) {
		vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) | RV_DR6_BD;
		vcpu->dr7 &= ~RV_DR7_GD;
		vmcs_write(GUEST_DR7, vcpu->dr7);
		ringvm_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		return 1;
	}
	slot = dr < 4 ? &vcpu->dr[dr] : dr == 6 ? &vcpu->dr6 : &vcpu->dr7;
	if (read) {
		ringvm_set_gpr(vcpu, reg, *slot);
	} else {
		u64 val = ringvm_get_gpr(vcpu, reg);

		/* Outside 64-bit mode MOV DR takes the low 32 bits of the GPR. */
		if (!(vcpu->efer & EFER_LMA) || !(vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
			val = (u32)val;
		if (dr >= 6 && (val >> 32))
			return inject_gp(vcpu);
		if (dr == 6) {
			val = (val & 0xf00f) | DR6_RESERVED;
		} else if (dr == 7) {
			val = (val & ~0xd800ULL) | 0x400;
			vmcs_write(GUEST_DR7, val);
		}
		*slot = val;
	}
	return skip_and_continue(vcpu);
}

static int handle_msr_read(struct ringvm_vcpu *vcpu)
{
	u32 index = vcpu->regs[RV_RCX];
	u64 data;

	if (ringvm_get_msr(vcpu, index, &data, false))
		return inject_gp(vcpu);
	vcpu->regs[RV_RAX] = (u32)data;
	vcpu->regs[RV_RDX] = data >> 32;
	return skip_and_continue(vcpu);
}

static int handle_msr_write(struct ringvm_vcpu *vcpu)
{
	u32 index = vcpu->regs[RV_RCX];
	u64 data = (u32)vcpu->regs[RV_RAX] | ((u64)(u32)vcpu->regs[RV_RDX] << 32);

	if (ringvm_set_msr(vcpu, index, data, false))
		return inject_gp(vcpu);
	return skip_and_continue(vcpu);
}

static int handle_xsetbv(struct ringvm_vcpu *vcpu)
{
	u64 val = (u32)vcpu->regs[RV_RAX] | ((u64)(u32)vcpu->regs[RV_RDX] << 32);

	/* The value is loaded on the host CPU at entry: only what the guest may have. */
	if ((u32)vcpu->regs[RV_RCX] != XCR_XFEATURE_ENABLED_MASK || !ringvm_xcr0_valid(vcpu, val))
		return inject_gp(vcpu);
	vcpu->xcr0 = val;
	return skip_and_continue(vcpu);
}

static int handle_failed_entry(struct ringvm_vcpu *vcpu, u32 full_reason)
{
	struct ringvm_run *run = vcpu->run;

	pr_warn_ratelimited("vCPU %u: VM entry failed, exit reason 0x%x qualification 0x%lx\n",
			    vcpu->id, full_reason, vmcs_read(EXIT_QUALIFICATION));
	/* The state the entry checks refused, for the report. */
	pr_warn_ratelimited("vCPU %u: rip 0x%lx cr0 0x%lx cr4 0x%lx efer 0x%llx entry 0x%lx cs %lx/%lx/%lx/%lx ss %lx/%lx/%lx ds %lx/%lx/%lx\n",
			    vcpu->id, vmcs_read(GUEST_RIP), vmcs_read(GUEST_CR0),
			    vmcs_read(GUEST_CR4), vcpu->efer, vmcs_read(VM_ENTRY_CONTROLS),
			    vmcs_read(GUEST_CS_SELECTOR), vmcs_read(GUEST_CS_BASE),
			    vmcs_read(GUEST_CS_LIMIT), vmcs_read(GUEST_CS_AR_BYTES),
			    vmcs_read(GUEST_SS_SELECTOR), vmcs_read(GUEST_SS_BASE),
			    vmcs_read(GUEST_SS_AR_BYTES), vmcs_read(GUEST_DS_SELECTOR),
			    vmcs_read(GUEST_DS_BASE), vmcs_read(GUEST_DS_AR_BYTES));
	run->exit_reason = RINGVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = full_reason;
	run->fail_entry.cpu = vcpu->cpu;
	return 0;
}

typedef int (*exit_handler_t)(struct ringvm_vcpu *vcpu);

static const exit_handler_t exit_handlers[RINGVM_NR_EXIT_REASONS] = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW]		= handle_nmi_window,
	[EXIT_REASON_CPUID]			= handle_cpuid,
	[EXIT_REASON_HLT]			= handle_hlt,
	[EXIT_REASON_INVD]			= skip_and_continue,
	[EXIT_REASON_WBINVD]			= skip_and_continue,
	[EXIT_REASON_PAUSE_INSTRUCTION]		= skip_and_continue,
	[EXIT_REASON_RDPMC]			= inject_gp,
	/* No VMX, SMX, MONITOR/MWAIT or hypercalls are offered to guests. */
	[EXIT_REASON_VMCALL]			= inject_ud,
	[EXIT_REASON_VMCLEAR]			= inject_ud,
	[EXIT_REASON_VMLAUNCH]			= inject_ud,
	[EXIT_REASON_VMPTRLD]			= inject_ud,
	[EXIT_REASON_VMPTRST]			= inject_ud,
	[EXIT_REASON_VMREAD]			= inject_ud,
	[EXIT_REASON_VMRESUME]			= inject_ud,
	[EXIT_REASON_VMWRITE]			= inject_ud,
	[EXIT_REASON_VMOFF]			= inject_ud,
	[EXIT_REASON_VMON]			= inject_ud,
	[EXIT_REASON_INVEPT]			= inject_ud,
	[EXIT_REASON_INVVPID]			= inject_ud,
	[EXIT_REASON_VMFUNC]			= inject_ud,
	[11]					= inject_ud,	/* GETSEC */
	[EXIT_REASON_MWAIT_INSTRUCTION]		= inject_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= inject_ud,
	[EXIT_REASON_RDTSCP]			= inject_ud,
	[EXIT_REASON_INVPCID]			= inject_ud,
	[EXIT_REASON_CR_ACCESS]			= handle_cr_access,
	[EXIT_REASON_DR_ACCESS]			= handle_dr_access,
	[EXIT_REASON_IO_INSTRUCTION]		= ringvm_handle_io,
	[EXIT_REASON_MSR_READ]			= handle_msr_read,
	[EXIT_REASON_MSR_WRITE]			= handle_msr_write,
	[EXIT_REASON_EPT_VIOLATION]		= ringvm_handle_ept_violation,
	[EXIT_REASON_XSETBV]			= handle_xsetbv,
	[EXIT_REASON_MCE_DURING_VMENTRY]	= handle_mce_during_vmentry,
	/* The time slice ran out: the run loop checks signals and resched. */
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_external_interrupt,
	[EXIT_REASON_TPR_BELOW_THRESHOLD]	= ringvm_apicv_handle_tpr_below_threshold,
	[EXIT_REASON_EOI_INDUCED]		= ringvm_apicv_handle_eoi_induced,
	[EXIT_REASON_APIC_ACCESS]		= ringvm_apicv_handle_apic_access,
	[EXIT_REASON_APIC_WRITE]		= ringvm_apicv_handle_apic_write,
};

int ringvm_handle_exit(struct ringvm_vcpu *vcpu, u32 exit_reason)
{
	u32 basic = exit_reason & 0xffff;

	vcpu->exits[basic < RINGVM_NR_EXIT_REASONS ? basic : 0]++;
	trace_exit(vcpu->id, basic, vmcs_read(GUEST_RIP), vmcs_read(EXIT_QUALIFICATION),
		   vmcs_read(VM_EXIT_INTR_INFO));

	/* Bit 31: the entry itself failed (invalid guest state, MSR load, #MC). */
	if (basic == EXIT_REASON_MCE_DURING_VMENTRY)
		return handle_mce_during_vmentry(vcpu);
	if (exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return handle_failed_entry(vcpu, exit_reason);
	if (basic < RINGVM_NR_EXIT_REASONS && exit_handlers[basic])
		return exit_handlers[basic](vcpu);
	return handle_unexpected(vcpu, basic);
}
