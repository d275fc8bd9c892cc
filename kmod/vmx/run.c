// SPDX-License-Identifier: GPL-2.0
/*
 * RINGVM_RUN: finish what userspace was asked to do, then enter the guest
 * until an exit needs userspace, a signal arrives, or an error occurs.
 *
 * Host state that VMX does not switch is handled here: the guest's FPU
 * state becomes the task's (so a context switch saves it), XCR0 is swapped
 * around each entry, and debug state the VM exit clobbered is put back.
 * The syscall MSRs and segments are switched lazily by loaded.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <asm/trapnr.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/tlbflush.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/vmx.h>

#include "apicv.h"
#include "capabilities.h"
#include "compat.h"
#include "entry_work.h"
#include "exits.h"
#include "hardware.h"
#include "irq.h"
#include "spec.h"
#include "trace.h"
#include "vcpu.h"
#include "vm.h"
#include "vmenter.h"
#include "vmx_ops.h"

u64 ringvm_host_xcr0;
u32 ringvm_preemption_ticks;

void ringvm_queue_exception(struct ringvm_vcpu *vcpu, u8 vector, bool has_error, u32 error)
{
	vcpu->exception_pending = true;
	vcpu->exception_vector = vector;
	vcpu->exception_has_error = has_error;
	vcpu->exception_error = error;
}

static bool interrupt_window_open(void)
{
	return ringvm_guest_interruptible(vmcs_read(GUEST_INTERRUPTIBILITY_INFO));
}

/* #DF, #TS, #NP, #SS, #GP, #PF, #AC and #CP push an error code. */
static bool exception_has_error_code(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DF:
	case X86_TRAP_TS:
	case X86_TRAP_NP:
	case X86_TRAP_SS:
	case X86_TRAP_GP:
	case X86_TRAP_PF:
	case X86_TRAP_AC:
	case X86_TRAP_CP:
		return true;
	default:
		return false;
	}
}

/* Traps (#DB as injected here, #BP, #OF) and aborts (#DF, #MC) do not set RF. */
static bool exception_is_fault(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DB:
	case X86_TRAP_BP:
	case X86_TRAP_OF:
	case X86_TRAP_DF:
	case X86_TRAP_MC:
		return false;
	default:
		return true;
	}
}

/* EPT violation exit qualification: NMI unblocking due to IRET (SDM 28.2.1). */
#define RV_EPT_QUAL_NMI_UNBLOCK	BIT(12)

/*
 * The exit came in the middle of an IRET that had unblocked NMIs (a fault
 * or an EPT violation on the guest's stack).  The guest runs that IRET
 * again, so NMIs must stay blocked until it does, or an NMI injected now
 * nests in the handler it was returning from (SDM 27.2.3).
 */
static void restore_nmi_blocking(struct ringvm_vcpu *vcpu, u32 reason)
{
	bool unblocked = false;
	u32 info;

	if (!vmx_caps.virtual_nmis || (vcpu->idt_vectoring & VECTORING_INFO_VALID_MASK))
		return;
	if (reason == EXIT_REASON_EXCEPTION_NMI) {
		info = vmcs_read(VM_EXIT_INTR_INFO);
		unblocked = (info & INTR_INFO_VALID_MASK) && (info & INTR_INFO_UNBLOCK_NMI) &&
			    (info & INTR_INFO_VECTOR_MASK) != X86_TRAP_DF;
	} else if (reason == EXIT_REASON_EPT_VIOLATION) {
		unblocked = vmcs_read(EXIT_QUALIFICATION) & RV_EPT_QUAL_NMI_UNBLOCK;
	}
	if (unblocked)
		vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
}

/*
 * Decide what the next entry delivers: an event cut short by the last exit
 * first, then a queued exception, then the acknowledged interrupt (the
 * VMM's, the PIC's from vlapic.c's INTA cycle, or one an exit cut short:
 * hold_cut_short_irq()) when the guest can take it; otherwise ask for an
 * exit when it can.  VM entry refuses an external
 * interrupt into a guest with IF clear, and the VMM may have cleared it
 * (SET_REGS) since the interrupt was acknowledged: it waits.
 */
static void inject_events(struct ringvm_vcpu *vcpu)
{
	u32 idt = vcpu->idt_vectoring;
	bool want_window = false, injected = true;

	vcpu->injected_irq = -1;

	if (idt & VECTORING_INFO_VALID_MASK) {
		u32 type = idt & VECTORING_INFO_TYPE_MASK;

		/*
		 * Only a protected-mode hardware exception that takes one gets
		 * its error code back; VM entry refuses any other combination,
		 * and the guest may have left protected mode meanwhile.
		 */
		if ((idt & VECTORING_INFO_DELIVER_CODE_MASK) &&
		    (type != INTR_TYPE_HARD_EXCEPTION || !(vcpu->cr0 & X86_CR0_PE) ||
		     !exception_has_error_code(idt & VECTORING_INFO_VECTOR_MASK)))
			idt &= ~VECTORING_INFO_DELIVER_CODE_MASK;
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, idt & ~INTR_INFO_RESVD_BITS_MASK);
		if (idt & VECTORING_INFO_DELIVER_CODE_MASK)
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vcpu->idt_vectoring_error);
		if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
		    type == INTR_TYPE_PRIV_SW_EXCEPTION)
			vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vcpu->idt_vectoring_len);
		/*
		 * An NMI whose delivery faulted left NMIs blocked; VM entry
		 * refuses to inject an NMI into that state (SDM 27.7.1.2).
		 */
		if (type == INTR_TYPE_NMI_INTR)
			vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
		vcpu->idt_vectoring = 0;
		want_window = vcpu->pending_irq >= 0;
	} else if (vcpu->exception_pending) {
		u32 info = vcpu->exception_vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;

		/* Real mode pushes no error codes; VM entry insists on that. */
		if (vcpu->exception_has_error && (vcpu->cr0 & X86_CR0_PE)) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vcpu->exception_error);
		}
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
		/*
		 * A fault pushes RFLAGS with RF set, so that the handler's IRET
		 * does not take an instruction breakpoint again (SDM Vol. 3
		 * 18.3.1.1); the CPU does it for its own faults, not for ours.
		 */
		if (exception_is_fault(vcpu->exception_vector))
			vmcs_write(GUEST_RFLAGS, vmcs_read(GUEST_RFLAGS) | X86_EFLAGS_RF);
		vcpu->exception_pending = false;
		trace_inject(vcpu->id, vcpu->exception_vector, true);
		want_window = vcpu->pending_irq >= 0;
	} else if (vcpu->pending_irq >= 0 && interrupt_window_open()) {
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, vcpu->pending_irq |
			   INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
		trace_inject(vcpu->id, vcpu->pending_irq, false);
		vcpu->injected_irq = vcpu->pending_irq;
		vcpu->pending_irq = -1;
	} else {
		injected = false;
		want_window = vcpu->pending_irq >= 0;
	}
	if (!vcpu->lapic && vcpu->run->request_interrupt_window)
		want_window = true;
	if (want_window)
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
	/*
	 * An interrupt still waiting for the window above keeps any APIC
	 * vector out (the guest cannot take one either); an NMI may go first.
	 */
	if (vcpu->lapic)
		ringvm_lapic_inject(vcpu, injected);
}

/*
 * After the exit has been handled: an external interrupt whose delivery it
 * cut short (an EPT violation on the IDT or the stack, say) was
 * acknowledged already, from the PIC, the APIC or the VMM.  It waits in
 * pending_irq, as it did before the entry if it came from there, for the
 * first entry the guest can take it (the VMM may clear IF meanwhile, and
 * VM entry refuses an external interrupt then), shown to the VMM in
 * SREGS.interrupt_bitmap as on KVM.  One the APIC had taken into service
 * is marked so, for SET_SREGS to give it back to IRR if it drops it.
 */
static void hold_cut_short_irq(struct ringvm_vcpu *vcpu)
{
	u32 idt = vcpu->idt_vectoring;
	int v = idt & VECTORING_INFO_VECTOR_MASK;

	if ((idt & (VECTORING_INFO_VALID_MASK | VECTORING_INFO_TYPE_MASK)) ==
	    (VECTORING_INFO_VALID_MASK | INTR_TYPE_EXT_INTR) && vcpu->pending_irq < 0) {
		/* Injected from pending_irq, it keeps its mark (an APIC vector held before). */
		if (v != vcpu->injected_irq)
			vcpu->pending_irq_apic = !!vcpu->lapic;
		vcpu->pending_irq = v;
		vcpu->idt_vectoring = 0;
	}
	vcpu->injected_irq = -1;
}

/*
 * The entry failed, or its exit says it did: it delivered nothing (the
 * field still holds what it was to inject, after VMfail and after an exit
 * for a failed entry alike).  The event comes back as KVM gives back an
 * injection it cancels: an external interrupt waits in pending_irq, an
 * APIC vector included (it is in ISR already), an NMI is pending again
 * (so that a SET_SREGS fixing the refused state keeps it; a replayed one
 * with another pending stays where it was, or the two would merge),
 * anything else is injected again by the next entry.
 */
static void cancel_injection(struct ringvm_vcpu *vcpu)
{
	u32 info = vmcs_read(VM_ENTRY_INTR_INFO_FIELD);

	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vcpu->idt_vectoring = 0;
	if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR) && vcpu->lapic && !vcpu->nmi_pending) {
		vcpu->nmi_pending = true;
	} else if (info & INTR_INFO_VALID_MASK) {
		vcpu->idt_vectoring = info;
		vcpu->idt_vectoring_error = vmcs_read(VM_ENTRY_EXCEPTION_ERROR_CODE);
		vcpu->idt_vectoring_len = vmcs_read(VM_ENTRY_INSTRUCTION_LEN);
	} else if (vcpu->injected_irq >= 0) {
		vcpu->idt_vectoring = vcpu->injected_irq | INTR_TYPE_EXT_INTR |
				      VECTORING_INFO_VALID_MASK;
	}
	hold_cut_short_irq(vcpu);
}

/*
 * Whether the VMM may inject with RINGVM_INTERRUPT now (no irqchip): the
 * guest takes interrupts and nothing else waits for the next entry.
 */
static bool ready_for_injection(struct ringvm_vcpu *vcpu)
{
	return vcpu->pending_irq < 0 && !vcpu->exception_pending &&
	       !(vcpu->idt_vectoring & VECTORING_INFO_VALID_MASK) && interrupt_window_open();
}

/* The fields KVM_RUN reports on every exit to userspace. */
static void report_interrupt_state(struct ringvm_vcpu *vcpu)
{
	struct ringvm_run *run = vcpu->run;

	run->if_flag = !!(vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = ready_for_injection(vcpu);
	run->cr8 = vcpu->lapic ? ringvm_lapic_get_cr8(vcpu) : vcpu->cr8;
	run->apic_base = vcpu->apic_base;
}

/* VMfail because VMLAUNCH met a launched VMCS or VMRESUME a clear one. */
static bool launch_state_mismatch(void)
{
	unsigned long err = vmcs_read(VM_INSTRUCTION_ERROR);

	return err == VMXERR_VMLAUNCH_NONCLEAR_VMCS || err == VMXERR_VMRESUME_NONLAUNCHED_VMCS;
}

/*
 * The host's machine-check handler, as if the #MC had hit user mode (the
 * guest is not the kernel): KVM's kvm_machine_check().  Interrupts off.
 */
static void machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/*
 * An exception exit: NMIs and #MC are the host's.  A guest #DB exits
 * before it reaches DR6 (exits.c reflects it), but reset DR6 after one
 * all the same, as hw_breakpoint_restore() did if the host had
 * breakpoints: the host's own #DB handler expects the reset value.
 */
static void host_nmi_or_mc(u32 info, bool restored_dr6)
{
	u32 kind = info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK);
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if (kind == (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
		ringvm_do_nmi_irqoff(RINGVM_NMI_ENTRY);
	else if (kind == (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION) &&
		 vector == X86_TRAP_MC)
		machine_check();
	else if (vector == X86_TRAP_DB && !restored_dr6)
		set_debugreg(DR6_RESERVED, 6);
}

/*
 * One round trip through the guest: 0 with the exit reason, the
 * VM-instruction error of a failed entry, -EAGAIN or -EIO.
 */
static int enter_guest(struct ringvm_vcpu *vcpu, u32 *exit_reason)
{
	unsigned long cr3, cr4, dr7 = 0;
	u64 debugctl;
	int fail;

	preempt_disable();
	local_irq_disable();

	/* The reboot notifier turned VMX off (hardware.c): nothing to enter. */
	if (unlikely(!ringvm_vmx_on_this_cpu())) {
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	ringvm_prepare_switch_to_guest(vcpu);
	/*
	 * With an irqchip, the last look at events (vlapic.c); and at the
	 * thread's work, which may have come since the loop looked.
	 */
	if (ringvm_entry_work_pending() || (vcpu->lapic && !ringvm_lapic_enter(vcpu))) {
		local_irq_enable();
		preempt_enable();
		return -EAGAIN;
	}
	inject_events(vcpu);
	/* On this CPU: another CPU flushes our VPID when the VMCS arrives there. */
	if (unlikely(vcpu->flush_tlb)) {
		vcpu->flush_tlb = false;
		if (vmx_caps.vpid)
			invvpid(vmx_caps.invvpid_single ? VMX_VPID_EXTENT_SINGLE_CONTEXT :
				VMX_VPID_EXTENT_ALL_CONTEXT, vcpu->vpid);
	}

	/* The kernel changes CR3 (PCID) and CR4 per task; VM exit must restore them. */
	cr3 = __read_cr3();
	if (cr3 != vcpu->host_cr3) {
		vmcs_write(HOST_CR3, cr3);
		vcpu->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (cr4 != vcpu->host_cr4) {
		vmcs_write(HOST_CR4, cr4);
		vcpu->host_cr4 = cr4;
	}
	if (hw_breakpoint_active())
		dr7 = 1;
	/*
	 * VM entry loads the guest's DR7; DR0-3 only matter once it arms
	 * one.  The host's DR7 goes off first, or a host breakpoint would
	 * watch a guest address until the entry.
	 */
	if (unlikely(vcpu->dr7 & RV_DR7_BP_EN)) {
		if (dr7)
			set_debugreg(0UL, 7);
		set_debugreg(vcpu->dr[0], 0);
		set_debugreg(vcpu->dr[1], 1);
		set_debugreg(vcpu->dr[2], 2);
		set_debugreg(vcpu->dr[3], 3);
	}
	debugctl = 0;
	if (vmx_caps.host_debugctl)
		rdmsrl(MSR_IA32_DEBUGCTLMSR, debugctl);
	/*
	 * However the guest behaves (spinning with interrupts off, say), the
	 * CPU comes back to the host within a time slice.
	 */
	if (vmx_caps.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, ringvm_preemption_ticks);
	if (vcpu->xcr0 != ringvm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);

	/*
	 * CR2 is not in the VMCS: without this the guest reads the host's
	 * last fault address (a kernel or another task's pointer), and its
	 * own CR2 is lost at the next host fault.  Interrupts are off, so
	 * nothing but an NMI (which saves and restores CR2) runs in between.
	 */
	if (native_read_cr2() != vcpu->cr2)
		native_write_cr2(vcpu->cr2);

	/*
	 * The guest holds no RCU reference of the host's, so entering it is
	 * a quiescent state, as returning to user mode is (KVM's
	 * guest_context_enter_irqoff without context tracking).  Without
	 * this a vCPU that stays in the guest delays every grace period,
	 * each synchronize_rcu() of a route change with it, until RCU
	 * forces a reschedule: this section has preemption off, and the
	 * ticks that end a guest's stay arrive inside it.
	 */
	rcu_note_context_switch(false);
	trace_entry(vcpu->id);
	ringvm_spec_before_entry();
	fail = __ringvm_vmenter(vcpu->regs, vcpu->launched);
	if (fail && launch_state_mismatch()) {
		/*
		 * After an entry that failed on guest state, CPUs differ on
		 * whether the VMCS counts as launched (Bochs says no): take
		 * the other instruction once rather than failing the vCPU.
		 */
		vcpu->launched = !vcpu->launched;
		fail = __ringvm_vmenter(vcpu->regs, vcpu->launched);
	}
	vcpu->cr2 = native_read_cr2();

	if (vcpu->lapic)
		ringvm_lapic_exited(vcpu);
	if (vcpu->xcr0 != ringvm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, ringvm_host_xcr0);
	/*
	 * VM exit cleared DEBUGCTL and set DR7 to 0x400; the guest's DR0-3
	 * may still be in the registers, harmless while DR7 is off.
	 */
	if (debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, debugctl);
	if (dr7)
		hw_breakpoint_restore();

	if (fail) {
		*exit_reason = 0;
		fail = vmcs_read(VM_INSTRUCTION_ERROR);
		cancel_injection(vcpu);
	} else if (vmcs_read(VM_EXIT_REASON) & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		/* Invalid guest state, an MSR load, #MC: no IDT-vectoring information. */
		vcpu->launched = true;
		*exit_reason = vmcs_read(VM_EXIT_REASON);
		cancel_injection(vcpu);
		if ((*exit_reason & 0xffff) == EXIT_REASON_MCE_DURING_VMENTRY)
			machine_check();
	} else {
		vcpu->launched = true;
		*exit_reason = vmcs_read(VM_EXIT_REASON);
		vcpu->idt_vectoring = vmcs_read(IDT_VECTORING_INFO_FIELD);
		if (vcpu->idt_vectoring & VECTORING_INFO_VALID_MASK) {
			vcpu->idt_vectoring_error = vmcs_read(IDT_VECTORING_ERROR_CODE);
			vcpu->idt_vectoring_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
			if (vcpu->lapic)
				ringvm_apicv_after_exit(vcpu);
		}
		restore_nmi_blocking(vcpu, *exit_reason & 0xffff);
		/* An NMI or #MC that hit the guest is the host's: handle it before IRQs. */
		if ((*exit_reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI)
			host_nmi_or_mc(vmcs_read(VM_EXIT_INTR_INFO), dr7);
	}
	local_irq_enable();
	preempt_enable();
	return fail;
}

/* What the VMM was asked to do at the last exit, now folded into the guest. */
static int complete_userspace(struct ringvm_vcpu *vcpu)
{
	enum ringvm_pending_completion c = vcpu->completion;
	int r = 0;

	vcpu->completion = RV_COMPLETE_NONE;
	switch (c) {
	case RV_COMPLETE_NONE:
		return 0;
	case RV_COMPLETE_PIO_IN:
		r = ringvm_complete_pio_in(vcpu);
		break;
	case RV_COMPLETE_MMIO_READ:
		if (ringvm_complete_mmio_read(vcpu))
			return 1;	/* a read-modify-write's write: back to the VMM */
		break;
	case RV_COMPLETE_SKIP:
		break;
	}
	if (!r)
		ringvm_skip_insn(vcpu, vcpu->insn_len);
	return r < 0 ? r : 0;
}

int ringvm_vcpu_run(struct ringvm_vcpu *vcpu)
{
	struct ringvm_run *run = vcpu->run;
	u32 exit_reason;
	int r;

	ringvm_vcpu_load(vcpu);
	r = complete_userspace(vcpu);
	if (r > 0) {	/* the completion filled in another exit */
		ringvm_vcpu_put(vcpu);
		vcpu->userspace_exits++;
		trace_userspace_exit(vcpu->id, run->exit_reason);
		return 0;
	}
	if (r) {
		/* An INS into memory the guest does not have: the guest's doing. */
		u64 data[2] = { vcpu->pio.dst, -r };

		r = ringvm_internal_error(vcpu, RINGVM_INTERNAL_ERROR_EMULATION, 2, data);
		ringvm_vcpu_put(vcpu);
		return r;
	}

	if (READ_ONCE(run->immediate_exit)) {
		ringvm_vcpu_put(vcpu);
		run->exit_reason = RINGVM_EXIT_INTR;
		return -EINTR;
	}

	ringvm_fpu_swap(&vcpu->fpu, true);
	for (;;) {
		/* What a return to user mode would do, a signal included (entry_work.c). */
		if (ringvm_entry_work(vcpu->entry_work)) {
			run->exit_reason = RINGVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (vcpu->lapic && ringvm_lapic_prepare_run(vcpu)) {
			run->exit_reason = RINGVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (!vcpu->lapic && run->request_interrupt_window && ready_for_injection(vcpu)) {
			run->exit_reason = RINGVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}

		r = enter_guest(vcpu, &exit_reason);
		if (r == -EAGAIN)	/* events or work came meanwhile: deal with them first */
			continue;
		if (r == -EIO)		/* host rebooting */
			break;
		if (r) {
			run->exit_reason = RINGVM_EXIT_FAIL_ENTRY;
			run->fail_entry.hardware_entry_failure_reason = r;
			run->fail_entry.cpu = vcpu->cpu;
			pr_warn_ratelimited("vCPU %u: VM entry failed, VM-instruction error %d\n",
					    vcpu->id, r);
			r = 0;
			break;
		}
		r = ringvm_handle_exit(vcpu, exit_reason);
		hold_cut_short_irq(vcpu);
		if (r <= 0)
			break;
	}

	report_interrupt_state(vcpu);
	ringvm_vcpu_put(vcpu);
	ringvm_fpu_swap(&vcpu->fpu, false);
	if (!r) {
		vcpu->userspace_exits++;
		trace_userspace_exit(vcpu->id, run->exit_reason);
	}
	return r;
}
