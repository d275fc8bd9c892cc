/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Speculative-execution hygiene around VM entry and exit (spec.c); the
 * RSB fill and the VERW live in vmenter.S.
 */
#ifndef RINGVM_SPEC_H
#define RINGVM_SPEC_H

#include <linux/jump_label.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>

DECLARE_STATIC_KEY_FALSE(ringvm_l1d_flush);

void ringvm_spec_init(void);

/* vmenter.S runs VERW before each entry (CLEAR_CPU_BUFFERS_FOR_GUEST). */
static __always_inline bool ringvm_spec_verw(void)
{
	return cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF) ||
	       cpu_feature_enabled(X86_FEATURE_CLEAR_CPU_BUF_VM);
}

/*
 * Interrupts off, the last thing before entry that is not the entry
 * itself: flush L1D where the host mitigates L1TF (the flush also clears
 * the CPU buffers), else clear the buffers where the host mitigates MMIO
 * stale data but not MDS (with MDS mitigated, vmenter.S's VERW does it).
 */
static __always_inline void ringvm_spec_before_entry(void)
{
	if (static_branch_unlikely(&ringvm_l1d_flush))
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	else if (static_branch_unlikely(&mmio_stale_data_clear) && !ringvm_spec_verw())
		x86_clear_cpu_buffers();
}

/*
 * Another VMCS becomes current on this CPU: another guest's (or another
 * vCPU's) branch predictions must not steer this one.  An alternative the
 * kernel patches to nothing unless it uses IBPB itself.
 */
static inline void ringvm_spec_vmcs_switch(void)
{
	indirect_branch_prediction_barrier();
}

#endif /* RINGVM_SPEC_H */
