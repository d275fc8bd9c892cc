// SPDX-License-Identifier: GPL-2.0
/*
 * Speculative-execution hygiene around the guest, following the host
 * kernel's own choices (mitigations=, spectre_v2=, mds=, l1tf=, ...): what
 * the kernel turned on for itself, ringvm does at entry and exit too, and
 * a host booted with mitigations=off pays nothing.  The asm parts are
 * alternatives the kernel patches when it loads the module; the C parts
 * are a static key and alternatives.  Documentation/security.rst, item 7,
 * says what each protects.
 *
 *   RSB fill after exit    vmenter.S  X86_FEATURE_RSB_VMEXIT, _RSB_VMEXIT_LITE
 *   VERW before entry      vmenter.S  X86_FEATURE_CLEAR_CPU_BUF(_VM)
 *   L1D flush before entry spec.h     X86_BUG_L1TF, l1tf= not off, FLUSH_L1D
 *   MMIO stale data        spec.h     mmio_stale_data_clear without the above
 *   IBPB on VMCS switch    loaded.c   X86_FEATURE_USE_IBPB
 *
 * The guest never owns IA32_SPEC_CTRL: CPUID hides IBRS, STIBP and SSBD
 * and the MSR raises #GP (cpuid.c, msr.c), so the host's value stays in
 * the register across entry and exit and needs no switching.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <asm/cpu.h>
#include <asm/processor.h>

#include "spec.h"

DEFINE_STATIC_KEY_FALSE(ringvm_l1d_flush);

static bool l1d_flush_wanted(void)
{
	u64 cap = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) || l1tf_mitigation == L1TF_MITIGATION_OFF)
		return false;
	/* A hypervisor below us may say it flushes on its own entries. */
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &cap) &&
	    (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH))
		return false;
	if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		pr_warn("L1TF: the CPU has no L1D flush command (microcode?); guests are not isolated from host data in L1D\n");
		return false;
	}
	return true;
}

void ringvm_spec_init(void)
{
	if (l1d_flush_wanted())
		static_branch_enable(&ringvm_l1d_flush);
}

/* /sys/module/ringvm/parameters/mitigations: what runs around each entry. */
static int mitigations_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "rsb_fill=%d verw=%d l1d_flush=%d mmio_verw=%d ibpb=%d\n",
			  boot_cpu_has(X86_FEATURE_RSB_VMEXIT) ||
			  boot_cpu_has(X86_FEATURE_RSB_VMEXIT_LITE),
			  ringvm_spec_verw(),
			  static_key_enabled(&ringvm_l1d_flush),
			  !static_key_enabled(&ringvm_l1d_flush) &&
			  static_key_enabled(&mmio_stale_data_clear) && !ringvm_spec_verw(),
			  boot_cpu_has(X86_FEATURE_USE_IBPB));
}

static const struct kernel_param_ops mitigations_ops = {
	.get = mitigations_get,
};
module_param_cb(mitigations, &mitigations_ops, NULL, 0444);
MODULE_PARM_DESC(mitigations, "speculation mitigations around VM entry (read-only)");
